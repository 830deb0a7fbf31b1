package docs

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// askChange delivers a change request from the province about a copy it sent us.
func (f *fixture) askChange(t *testing.T, externalID string, business int, reason, receipt string, update *Document) error {
	t.Helper()
	return store.InTx(context.Background(), f.pool, func(tx pgx.Tx) error {
		return f.svc.ReceiveChangeTx(context.Background(), tx, ChangeRequest{AgencyID: f.district, ExternalID: externalID,
			From: provinceOrganID, Business: business, Reason: reason, Update: update, ReceiptID: receipt})
	})
}

// statusJobs lists the status packages queued for the province, oldest first.
func statusJobs(t *testing.T, f *fixture) []SendStatusArgs {
	t.Helper()
	var out []SendStatusArgs
	for _, j := range queuedJobs[SendStatusArgs](t, f.pool) {
		if j.Code == "15" || j.Code == "16" {
			out = append(out, j)
		}
	}
	return out
}

// auditActions lists the audited actions on a document, oldest first.
func auditActions(t *testing.T, f *fixture, docID int64) []string {
	t.Helper()
	rows, err := f.pool.Query(context.Background(), `SELECT action FROM audit_log WHERE object_type = 'document' AND object_id = $1 ORDER BY id`,
		strconv.FormatInt(docID, 10))
	must(t, err)
	actions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	return actions
}

func TestChangeRequestsFromTheSender(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clerk := f.in(f.clerk)
	received := func(t *testing.T, subject string) *Record {
		r := f.receive(t, subject, "77", nil)
		_, err := f.svc.Register(ctx, clerk, r.DocumentID, "")
		must(t, err)
		d, err := f.svc.Get(ctx, clerk, r.DocumentID)
		must(t, err)
		return d
	}
	t.Run("recall accepted", func(t *testing.T) {
		d := received(t, "Về việc lịch tiếp công dân tháng 12")
		before := len(statusJobs(t, f))
		must(t, f.askChange(t, d.ExternalID, BusinessRevoke, "Sai thể thức", "r-1", nil))
		must(t, f.askChange(t, d.ExternalID, BusinessRevoke, "Sai thể thức", "r-1", nil)) // a resend
		p, err := PendingChangeOf(ctx, f.pool, d.ID)
		must(t, err)
		if p == nil || p.Business != BusinessRevoke || p.Reason != "Sai thể thức" {
			t.Fatalf("pending change %+v", p)
		}
		if err := f.svc.AcceptChange(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, d.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a clerk of another agency accepts: %v", err)
		}
		if err := f.svc.AcceptChange(ctx, f.in(f.specialist), d.ID); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden) {
			t.Fatalf("a specialist accepts: %v", err)
		}
		must(t, f.svc.AcceptChange(ctx, clerk, d.ID))
		got, err := f.svc.Get(ctx, clerk, d.ID)
		must(t, err)
		if got.IncomingState != InRecalled {
			t.Fatalf("state %s after an accepted recall", got.IncomingState)
		}
		jobs := statusJobs(t, f)[before:]
		if len(jobs) != 1 || jobs[0].Code != "15" || jobs[0].DocumentID != d.ID || jobs[0].To != provinceOrganID || jobs[0].ResponseFor != d.ExternalID {
			t.Fatalf("answers queued %+v, want one 15", jobs)
		}
		if actions := auditActions(t, f, d.ID); !containsAll(actions, "document.change_request", "document.recalled", "document.change_accepted") {
			t.Fatalf("audit %v", actions)
		}
		if err := f.svc.AcceptChange(ctx, clerk, d.ID); !errors.Is(err, ErrInvalid) {
			t.Fatalf("accepting twice: %v", err)
		}
	})
	t.Run("recall refused", func(t *testing.T) {
		d := received(t, "Về việc tổ chức hội nghị sơ kết")
		before := len(statusJobs(t, f))
		must(t, f.askChange(t, d.ExternalID, BusinessRevoke, "Nhầm nơi nhận", "", nil))
		must(t, f.askChange(t, d.ExternalID, BusinessRevoke, "Nhầm nơi nhận", "", nil)) // the same request, still pending
		if err := f.svc.RefuseChange(ctx, clerk, d.ID, " "); !errors.Is(err, ErrInvalid) {
			t.Fatalf("refusing without a reason: %v", err)
		}
		var requests int
		must(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM document_change_requests WHERE document_id = $1`, d.ID).Scan(&requests))
		if requests != 1 {
			t.Fatalf("%d change requests recorded for one request sent twice", requests)
		}
		must(t, f.svc.RefuseChange(ctx, clerk, d.ID, "Văn bản đã chuyển lãnh đạo"))
		jobs := statusJobs(t, f)[before:]
		if len(jobs) != 1 || jobs[0].Code != "16" || jobs[0].Note != "Văn bản đã chuyển lãnh đạo" {
			t.Fatalf("answers queued %+v, want one 16 with the reason", jobs)
		}
		got, err := f.svc.Get(ctx, clerk, d.ID)
		must(t, err)
		if got.IncomingState != InRegistered {
			t.Fatalf("state %s after a refused recall", got.IncomingState)
		}
	})
	t.Run("update accepted", func(t *testing.T) {
		d := received(t, "Về việc tăng cường phòng chống cháy rừng")
		before := len(statusJobs(t, f))
		update := &Document{Subject: "Về việc tăng cường phòng cháy, chữa cháy rừng mùa khô", Urgency: UrgencyKhan}
		must(t, f.askChange(t, d.ExternalID, BusinessUpdate, "Sửa trích yếu", "u-1", update))
		must(t, f.svc.AcceptChange(ctx, clerk, d.ID))
		got, err := f.svc.Get(ctx, clerk, d.ID)
		must(t, err)
		if got.Subject != update.Subject || got.Urgency != UrgencyKhan || got.IncomingState != InRegistered {
			t.Fatalf("after the update: %q %s %s", got.Subject, got.Urgency, got.IncomingState)
		}
		jobs := statusJobs(t, f)[before:]
		if len(jobs) != 1 || jobs[0].Code != "15" {
			t.Fatalf("answers queued %+v, want one 15", jobs)
		}
		if actions := auditActions(t, f, d.ID); !containsAll(actions, "document.update", "document.change_accepted") {
			t.Fatalf("audit %v", actions)
		}
	})
	t.Run("a completed copy refuses by itself", func(t *testing.T) {
		r := f.receive(t, "Về việc rà soát hộ nghèo", "78", nil)
		deadline := f.svc.today().AddDate(0, 0, 5)
		f.registerAndAssign(t, r.DocumentID, []AssignmentInput{{Role: RoleLead, UserID: f.tpSpecialist, Deadline: &deadline}})
		must(t, f.svc.Complete(ctx, f.in(f.tpSpecialist), r.DocumentID, "Đã xong", 0))
		d, err := f.svc.Get(ctx, clerk, r.DocumentID)
		must(t, err)
		before := len(statusJobs(t, f))
		must(t, f.askChange(t, d.ExternalID, BusinessRevoke, "Thu hồi", "c-1", nil))
		jobs := statusJobs(t, f)[before:]
		if len(jobs) != 1 || jobs[0].Code != "16" || jobs[0].Note != handledNote {
			t.Fatalf("answers queued %+v, want one automatic 16", jobs)
		}
		if p, err := PendingChangeOf(ctx, f.pool, d.ID); err != nil || p != nil {
			t.Fatalf("pending change %+v, %v", p, err)
		}
	})
	t.Run("unknown document", func(t *testing.T) {
		if err := f.askChange(t, "000.00.00.H55,2026/01/01,1/UBND", BusinessRevoke, "x", "", nil); !errors.Is(err, ErrUnknownDocument) {
			t.Fatalf("change of a document never received: %v", err)
		}
	})
}

func containsAll(list []string, want ...string) bool {
	seen := map[string]bool{}
	for _, s := range list {
		seen[s] = true
	}
	for _, w := range want {
		if !seen[w] {
			return false
		}
	}
	return true
}

func TestSenderUpdatesAndRecallsThroughTheExchange(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clerk := f.in(f.clerk)
	commune := Recipient{AgencyID: f.commune, OrganID: "000.21.21.H55", Name: "UBND xã Yên Ninh"}
	d := f.sent(t, "Về việc triển khai kê khai giá đất", province, commune)
	added := Recipient{OrganID: "000.00.22.H55", Name: "UBND huyện Đồng Hỷ"}
	in := UpdateInput{Subject: "Về việc triển khai kê khai, công khai giá đất", Reason: "Sửa trích yếu", AddRecipients: []Recipient{added}}
	if err := f.svc.Update(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, d.ID, in); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an update by a clerk of another agency: %v", err)
	}
	if err := f.svc.Update(ctx, clerk, d.ID, UpdateInput{Subject: in.Subject}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an update without a reason: %v", err)
	}
	must(t, f.svc.Update(ctx, clerk, d.ID, in))
	got, err := f.svc.Get(ctx, clerk, d.ID)
	must(t, err)
	if got.Subject != in.Subject {
		t.Fatalf("subject %q after the update", got.Subject)
	}
	if sends := packages(t, f, BusinessUpdate); len(sends) != 1 || sends[0].Recipient != provinceOrganID || sends[0].Reason != "Sửa trích yếu" {
		t.Fatalf("updates queued %+v, want one for the province", sends)
	}
	if tr := f.trackingOf(t, d.ID, provinceOrganID); tr.ChangeLabel() != "Chờ trả lời yêu cầu cập nhật" {
		t.Fatalf("province's change %q", tr.ChangeLabel())
	}
	if tr := f.trackingOf(t, d.ID, added.OrganID); tr.Status != RecipientSending || tr.ChangeBusiness != 0 {
		t.Fatalf("the recipient added: %s, change %d", tr.Status, tr.ChangeBusiness)
	}
	if err := f.svc.Update(ctx, clerk, d.ID, UpdateInput{AddRecipients: []Recipient{added}, Reason: "x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("adding a recipient twice: %v", err)
	}

	// The commune's clerk sees the update on its copy and accepts it: 15 in the tracking.
	copyID := f.copyIn(t, f.commune, d.ID)
	communeClerk := Actor{UserID: f.communeClerk, AgencyID: f.commune}
	must(t, f.svc.AcceptChange(ctx, communeClerk, copyID))
	copyDoc, err := f.svc.Get(ctx, communeClerk, copyID)
	must(t, err)
	if copyDoc.Subject != in.Subject {
		t.Fatalf("copy subject %q", copyDoc.Subject)
	}
	if tr := f.trackingOf(t, d.ID, commune.OrganID); tr.ChangeLabel() != "Đồng ý cập nhật" {
		t.Fatalf("commune's change %q", tr.ChangeLabel())
	}

	// The province refuses through the exchange.
	_, err = f.applyStatus(t, StatusUpdate{SenderAgencyID: f.district, ExternalID: d.ExternalID, Recipient: provinceOrganID,
		Code: "16", Note: "Đã ban hành văn bản hướng dẫn", At: f.svc.now()})
	must(t, err)
	if tr := f.trackingOf(t, d.ID, provinceOrganID); tr.ChangeLabel() != "Từ chối cập nhật: Đã ban hành văn bản hướng dẫn" {
		t.Fatalf("province's change %q", tr.ChangeLabel())
	}

	// Recall: the local copy is withdrawn at once, the others get business type 1.
	must(t, f.svc.Recall(ctx, f.in(f.leader), d.ID, "Sai căn cứ pháp lý"))
	if sends := packages(t, f, BusinessRevoke); len(sends) != 2 || sends[0].Recipient != provinceOrganID ||
		sends[1].Recipient != added.OrganID || sends[0].Reason != "Sai căn cứ pháp lý" {
		t.Fatalf("recalls queued %+v, want one for each recipient outside the node", sends)
	}
	if tr := f.trackingOf(t, d.ID, commune.OrganID); tr.Status != RecipientRecalled || tr.ChangeLabel() != "Đồng ý thu hồi" {
		t.Fatalf("commune after the recall: %s %q", tr.Status, tr.ChangeLabel())
	}
	_, err = f.applyStatus(t, StatusUpdate{SenderAgencyID: f.district, ExternalID: d.ExternalID, Recipient: provinceOrganID,
		Code: "15", At: f.svc.now()})
	must(t, err)
	if tr := f.trackingOf(t, d.ID, provinceOrganID); tr.Status != RecipientRecalled || tr.ChangeLabel() != "Đồng ý thu hồi" {
		t.Fatalf("province after its 15: %s %q", tr.Status, tr.ChangeLabel())
	}
}

func TestReplacementSupersedesTheReceivedCopy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clerk := f.in(f.clerk)
	old := f.receive(t, "Về việc điều chỉnh kế hoạch đầu tư công", "90", nil)
	oldDoc, err := f.svc.Get(ctx, clerk, old.DocumentID)
	must(t, err)
	replacement := f.receive(t, "Về việc điều chỉnh kế hoạch đầu tư công (thay thế)", "95", func(in *ReceiveInput) {
		in.ReplacesExternalID = oldDoc.ExternalID
	})
	got, err := f.svc.Get(ctx, clerk, old.DocumentID)
	must(t, err)
	if got.IncomingState != InReplaced || got.ReplacedByID != replacement.DocumentID {
		t.Fatalf("old copy %s, replaced by %d", got.IncomingState, got.ReplacedByID)
	}
	inbox, err := f.svc.Inbox(ctx, clerk, "", 20)
	must(t, err)
	if len(inbox.Items) != 1 || inbox.Items[0].ID != replacement.DocumentID {
		t.Fatalf("inbox holds %d documents, want the replacement only", len(inbox.Items))
	}
	newDoc, err := f.svc.Get(ctx, clerk, replacement.DocumentID)
	must(t, err)
	if newDoc.ReplacesExternalID != oldDoc.ExternalID {
		t.Fatalf("the replacement names %q", newDoc.ReplacesExternalID)
	}
}

// A replacement handed off to an agency of this node supersedes its copy there.
func TestLocalReplacementSupersedesTheCopy(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	commune := Recipient{AgencyID: f.commune, OrganID: "000.21.21.H55", Name: "UBND xã Yên Ninh"}
	old := f.sent(t, "Về việc tổ chức Ngày hội Đại đoàn kết", commune)
	oldCopy := f.copyIn(t, f.commune, old.ID)
	id := f.draft(t, TypeCongVan, "Về việc tổ chức Ngày hội Đại đoàn kết (thay thế)", func(in *DraftInput) {
		in.Recipients, in.ReplacesID = []Recipient{commune}, old.ID
	})
	f.toSigned(t, id)
	_, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	newCopy := f.copyIn(t, f.commune, id)
	got, err := f.svc.Get(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, oldCopy)
	must(t, err)
	if got.IncomingState != InReplaced || got.ReplacedByID != newCopy {
		t.Fatalf("old copy %s, replaced by %d (new copy %d)", got.IncomingState, got.ReplacedByID, newCopy)
	}
}
