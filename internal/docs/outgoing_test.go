package docs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestOutgoingCycleWithHandOffToACommune(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeQuyetDinh, "Quyết định về việc kiện toàn Ban chỉ đạo chuyển đổi số huyện", func(in *DraftInput) {
		in.Recipients = []Recipient{
			{AgencyID: f.commune, OrganID: "000.21.21.H55", Name: "UBND xã Yên Ninh"},
			{OrganID: "000.00.00.H55", Name: "UBND tỉnh Thái Nguyên"},
		}
	})
	f.toSigned(t, id)
	res, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	if res.Printed != "Số: 01/QĐ-UBND" {
		t.Fatalf("printed number %q, want Số: 01/QĐ-UBND", res.Printed)
	}
	must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))

	d, err := f.svc.Get(ctx, f.in(f.clerk), id)
	must(t, err)
	if d.OutgoingState != OutSent || d.LeaderSigned || d.AgencySigned {
		t.Fatalf("state %s, leader signed %v, agency signed %v: want sent and honestly unsigned without a signing hook",
			d.OutgoingState, d.LeaderSigned, d.AgencySigned)
	}
	if d.Signer.FullName != "Phạm Quốc Việt" || d.Signer.Position != "Chủ tịch" {
		t.Fatalf("signer %+v", d.Signer)
	}
	if d.ExternalID == "" || !strings.HasSuffix(d.ExternalID, ",01/QĐ-UBND") {
		t.Fatalf("external id %q", d.ExternalID)
	}
	sends := queuedJobs[SendPackageArgs](t, f.pool)
	if len(sends) != 1 || sends[0].Recipient != "000.00.00.H55" || sends[0].DocumentID != id || sends[0].Business != BusinessNew {
		t.Fatalf("packages queued %+v, want one for the province", sends)
	}

	// The commune received a copy at once, and registers it.
	communeClerk := Actor{UserID: f.communeClerk, AgencyID: f.commune}
	var copyID int64
	must(t, f.pool.QueryRow(ctx, `SELECT id FROM documents WHERE agency_id = $1 AND source_document_id = $2`, f.commune, id).Scan(&copyID))
	n, err := f.svc.Register(ctx, communeClerk, copyID, "")
	must(t, err)
	if n != 1 {
		t.Fatalf("incoming number %d, want 1", n)
	}
	copyDoc, err := f.svc.Get(ctx, communeClerk, copyID)
	must(t, err)
	if copyDoc.NumberSymbol() != "01/QĐ-UBND" || copyDoc.IssuerName != "Ủy ban nhân dân huyện Phú Lương" {
		t.Fatalf("copy metadata %s from %s", copyDoc.NumberSymbol(), copyDoc.IssuerName)
	}
	files, err := Files(ctx, f.pool, copyID)
	must(t, err)
	if len(files) != 1 || files[0].MediaType != MediaPDF {
		t.Fatalf("copy files %+v", files)
	}
	recipients, err := Recipients(ctx, f.pool, id)
	must(t, err)
	got := map[string]RecipientStatus{}
	for _, r := range recipients {
		got[r.OrganID] = r.Status
	}
	if got["000.21.21.H55"] != RecipientRegistered || got["000.00.00.H55"] != RecipientSending {
		t.Fatalf("recipient tracking %v", got)
	}

	// Recall: the commune's copy is withdrawn, the province gets a recall.
	must(t, f.svc.Recall(ctx, f.in(f.leader), id, "Sai thể thức"))
	copyDoc, err = f.svc.Get(ctx, communeClerk, copyID)
	must(t, err)
	if copyDoc.IncomingState != InRecalled {
		t.Fatalf("copy state %s after recall", copyDoc.IncomingState)
	}
	recalls := packages(t, f, BusinessRevoke)
	if len(recalls) != 1 || recalls[0].Business != BusinessRevoke || recalls[0].Recipient != "000.00.00.H55" || recalls[0].Reason != "Sai thể thức" {
		t.Fatalf("recalls queued %+v, want one for the province", recalls)
	}
	history, err := History(ctx, f.pool, id)
	must(t, err)
	var actions []string
	for _, h := range history {
		actions = append(actions, h.Action)
	}
	want := "create submit approve submit_signature sign issue seal send recall"
	if strings.Join(actions, " ") != want {
		t.Fatalf("history %v, want %s", actions, want)
	}
}

func TestOutgoingRefusesIllegalStepsAndWrongRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeCongVan, "Về việc báo cáo kết quả cải cách hành chính", nil)

	_, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("issuing a draft: %v", err)
	}
	if !strings.Contains(e.Message, "«Dự thảo»") || !strings.Contains(e.Message, "người soạn thảo có thể trình duyệt") {
		t.Fatalf("message does not name the state and who may act: %q", e.Message)
	}
	if err := f.svc.Submit(ctx, f.in(f.tpSpecialist), id, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("submit by someone who cannot see the draft: %v", err)
	}
	if err := f.svc.Submit(ctx, f.in(f.clerk), id, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("submit by someone else who sees the draft: %v", err)
	}
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	if err := f.svc.Submit(ctx, f.in(f.specialist), id, ""); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("double submit: %v", err)
	}
	if err := f.svc.Approve(ctx, f.in(f.specialist), id, ""); !errors.As(err, &e) || !errors.Is(err, ErrForbidden) ||
		!strings.Contains(e.Message, "lãnh đạo đơn vị soạn thảo") {
		t.Fatalf("approval by the drafter: %v", err)
	}
	if err := f.svc.Approve(ctx, f.in(f.tpHead), id, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("approval by the head of another unit, who cannot see the draft: %v", err)
	}
	if err := f.svc.Return(ctx, f.in(f.unitHead), id, "  "); !errors.Is(err, ErrInvalid) {
		t.Fatalf("return without comments: %v", err)
	}
	must(t, f.svc.Return(ctx, f.in(f.unitHead), id, "Sửa lại phần căn cứ"))
	must(t, f.svc.AddVersion(ctx, f.in(f.specialist), id, samplePDF(t, "ban sua 2"), "Sửa phần căn cứ"))
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	if err := f.svc.Sign(ctx, f.in(f.unitHead), id, SignInput{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("signature by a unit head: %v", err)
	}
	if err := f.svc.Sign(ctx, f.in(f.leader), id, SignInput{Competence: "THAY MẶT"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown competence prefix: %v", err)
	}
	must(t, f.svc.Sign(ctx, f.in(f.leader), id, SignInput{Competence: "KT. CHỦ TỊCH", Position: "Phó Chủ tịch"}))
	res, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	if res.Printed != "Số: 01/UBND-VP" {
		t.Fatalf("công văn printed as %q, want Số: 01/UBND-VP", res.Printed)
	}
	files, err := Files(ctx, f.pool, id)
	must(t, err)
	if len(files) != 2 || files[0].Version != 2 || files[0].Note != "Sửa phần căn cứ" {
		t.Fatalf("versions %+v", files)
	}
}

func TestDraftBadInputSavesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	docx := FileInput{Name: "a.pdf", MediaType: MediaPDF, Content: strings.NewReader("PK\x03\x04 word/document.xml")}
	cases := []struct {
		name string
		in   DraftInput
		want error
	}{
		{"unknown type", DraftInput{Document: Document{Type: "sac_lenh", Subject: "x"}, File: samplePDF(t, "x")}, ErrInvalid},
		{"no subject", DraftInput{Document: Document{Type: TypeBaoCao, Subject: "  "}, File: samplePDF(t, "x")}, ErrInvalid},
		{"past deadline", DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x", DueDate: date(2020, 1, 1)}, File: samplePDF(t, "x")}, ErrInvalid},
		{"bad urgency", DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x", Urgency: "rat_khan"}, File: samplePDF(t, "x")}, ErrInvalid},
		{"not a pdf", DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x"}, File: docx}, ErrFileWrongType},
		{"no file", DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x"}}, ErrInvalid},
	}
	for _, c := range cases {
		if _, err := f.svc.CreateDraft(ctx, f.in(f.specialist), c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := f.svc.CreateDraft(ctx, f.in(f.leader), DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x"}, File: samplePDF(t, "x")}); !errors.Is(err, ErrForbidden) {
		t.Errorf("draft by a role without outgoing:draft: %v", err)
	}
	small := *f.svc
	small.MaxFileSize = 100
	if _, err := small.CreateDraft(ctx, f.in(f.specialist), DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x"},
		File: samplePDF(t, "một tệp lớn hơn giới hạn")}); !errors.Is(err, ErrFileTooLarge) || UserMessage(err) != "Tệp vượt quá dung lượng cho phép." {
		t.Errorf("oversized upload: %v (%q)", err, UserMessage(err))
	}
	var docs, blobs int
	must(t, f.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM blobs)`).Scan(&docs, &blobs))
	if docs != 0 || blobs != 0 {
		t.Fatalf("bad input left %d documents and %d blobs", docs, blobs)
	}
	form := DraftInput{Document: Document{Type: TypeBaoCao, Subject: "Báo cáo quý"}, File: samplePDF(t, "x"), RequestKey: "form-123"}
	_, err := f.svc.CreateDraft(ctx, f.in(f.specialist), form)
	must(t, err)
	form.File = samplePDF(t, "x")
	if _, err := f.svc.CreateDraft(ctx, f.in(f.specialist), form); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("double submit of the same form: %v", err)
	}
}

func TestReplacementAndStatusesFromTheExchange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	province := []Recipient{{OrganID: "000.00.00.H55", Name: "UBND tỉnh Thái Nguyên"}}
	sendNew := func(subject string, replaces int64) int64 {
		id := f.draft(t, TypeBaoCao, subject, func(in *DraftInput) { in.Recipients, in.ReplacesID = province, replaces })
		f.toSigned(t, id)
		_, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
		must(t, err)
		must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
		must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
		return id
	}
	old := sendNew("Báo cáo kết quả thu ngân sách quý III", 0)
	if _, err := f.svc.CreateDraft(ctx, f.in(f.specialist), DraftInput{Document: Document{Type: TypeBaoCao, Subject: "x"},
		File: samplePDF(t, "x"), ReplacesID: old + 1000}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("replacing an unknown document: %v", err)
	}
	replacement := sendNew("Báo cáo kết quả thu ngân sách quý III (thay thế)", old)
	d, err := f.svc.Get(ctx, f.in(f.clerk), old)
	must(t, err)
	if d.OutgoingState != OutReplaced {
		t.Fatalf("replaced document in state %s", d.OutgoingState)
	}
	sends := queuedJobs[SendPackageArgs](t, f.pool)
	if len(sends) != 2 || sends[1].DocumentID != replacement || sends[1].Business != BusinessReplace ||
		!strings.HasPrefix(sends[1].Reason, "Thay thế văn bản số 01/BC-UBND") {
		t.Fatalf("sends %+v", sends)
	}

	// The province registers the replacement: its status package comes back.
	r, err := f.svc.Get(ctx, f.in(f.clerk), replacement)
	must(t, err)
	_, err = f.applyStatus(t, StatusUpdate{SenderAgencyID: f.district, ExternalID: r.ExternalID, Recipient: "000.00.00.H55",
		Code: string(EventRegistered), Note: "Đã vào sổ", At: time.Now()})
	must(t, err)
	recipients, err := Recipients(ctx, f.pool, replacement)
	must(t, err)
	if recipients[0].Status != RecipientRegistered || recipients[0].Note != "Đã vào sổ" {
		t.Fatalf("recipient after status 03: %+v", recipients[0])
	}
	_, err = f.applyStatus(t, StatusUpdate{SenderAgencyID: f.district, ExternalID: r.ExternalID, Recipient: "000.99.99.H55",
		Code: string(EventCompleted), At: time.Now()})
	if !errors.Is(err, ErrUnknownRecipient) {
		t.Fatal("a status from an agency that is not a recipient was accepted")
	}
}
