package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// mainNames are the file names of a document's main versions, oldest first.
func mainNames(t *testing.T, f *fixture, id int64) []string {
	t.Helper()
	versions, err := Versions(context.Background(), f.pool, id)
	must(t, err)
	var names []string
	for i := len(versions) - 1; i >= 0; i-- {
		if versions[i].Kind == KindMain {
			names = append(names, versions[i].Name)
		}
	}
	return names
}

// TestReturnedDraftGetsNewVersionsAndIsIssuedUnderItsNumber: the agency leader returns
// an approved draft and then one submitted for signature; each time the drafter
// uploads a new version, named after the draft, and the issued file is named after
// its number.
func TestReturnedDraftGetsNewVersionsAndIsIssuedUnderItsNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeQuyetDinh, "Quyết định phê duyệt Kế hoạch chuyển đổi số", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	if err := f.svc.Return(ctx, f.in(f.leader), id, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a return without a reason: %v", err)
	}
	must(t, f.svc.Return(ctx, f.in(f.leader), id, "Bổ sung căn cứ pháp lý"))
	must(t, f.svc.AddVersion(ctx, f.in(f.specialist), id, samplePDF(t, "v2"), "Đã bổ sung căn cứ"))
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.ReturnFromSigner(ctx, f.in(f.leader), id, "Sửa Điều 2"))
	must(t, f.svc.AddVersion(ctx, f.in(f.specialist), id, samplePDF(t, "v3"), "Đã sửa Điều 2"))
	f.toSigned(t, id)
	res, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)

	slug := "quyet-dinh-phe-duyet-ke-hoach-chuyen-doi" // cut to eight words
	year := f.svc.today().Year()
	want := []string{"du-thao-v1-" + slug + ".pdf", "du-thao-v2-" + slug + ".pdf", fmt.Sprintf("%s-QD-UBND-%d.pdf", FormatNumber(res.Number), year)}
	if got := mainNames(t, f, id); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("versions %q, want %q", got, want)
	}
	versions, err := Versions(ctx, f.pool, id)
	must(t, err)
	if versions[len(versions)-1].By != "Trần Văn Minh" || versions[0].Note != "Đã sửa Điều 2" {
		t.Errorf("versions do not say who made them and why: %+v", versions)
	}
	if !strings.HasPrefix(want[2], "01-QD-UBND-") {
		t.Errorf("the first number of the year is %q", want[2])
	}
}

// TestDeleteDraft: the drafter deletes a draft never issued, which disappears for
// everyone with an audit entry; nobody else deletes it, and a signed document stays.
func TestDeleteDraft(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeBaoCao, "Báo cáo bỏ", nil)
	if err := f.svc.DeleteDraft(ctx, f.in(f.tpHead), id, "Không cần"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another unit's head deleting: %v", err)
	}
	must(t, f.svc.DeleteDraft(ctx, f.in(f.specialist), id, "Trùng với báo cáo khác"))
	for _, who := range []int64{f.specialist, f.leader} {
		if _, err := f.svc.Get(ctx, f.in(who), id); !errors.Is(err, ErrNotFound) {
			t.Errorf("user %d still sees the deleted draft: %v", who, err)
		}
	}
	var action, reason string
	must(t, f.pool.QueryRow(ctx, `SELECT action, detail->>'reason' FROM audit_log WHERE object_type = 'document' AND object_id = $1
		ORDER BY id DESC LIMIT 1`, fmt.Sprint(id)).Scan(&action, &reason))
	if action != "document.delete" || reason != "Trùng với báo cáo khác" {
		t.Errorf("audit entry %s %q", action, reason)
	}

	signed := f.draft(t, TypeBaoCao, "Báo cáo đã ký", nil)
	f.toSigned(t, signed)
	if err := f.svc.DeleteDraft(ctx, f.in(f.specialist), signed, ""); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("deleting a signed document: %v", err)
	}
}

// TestEditDraftMetadata: the drafter corrects a draft; once submitted, only the
// reviewer may.
func TestEditDraftMetadata(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeBaoCao, "Báo cáo tháng", nil)
	edit := DraftEdit{Type: TypeKeHoach, Subject: "Kế hoạch tháng 12", Urgency: UrgencyKhan,
		Recipients: []Recipient{{OrganID: "000.21.21.H55", Name: "Ủy ban nhân dân xã Yên Ninh"}}}
	if err := f.svc.EditDraft(ctx, f.in(f.specialist), id, DraftEdit{Type: TypeKeHoach}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("an edit without subject: %v", err)
	}
	must(t, f.svc.EditDraft(ctx, f.in(f.specialist), id, edit))
	d, err := f.svc.Get(ctx, f.in(f.specialist), id)
	must(t, err)
	if d.Type != TypeKeHoach || d.Subject != "Kế hoạch tháng 12" || d.Urgency != UrgencyKhan {
		t.Errorf("after the edit: %+v", d.Document)
	}
	rs, err := Recipients(ctx, f.pool, id)
	must(t, err)
	if len(rs) != 1 || rs[0].Name != "Ủy ban nhân dân xã Yên Ninh" {
		t.Errorf("recipients %+v", rs)
	}
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	if err := f.svc.EditDraft(ctx, f.in(f.specialist), id, edit); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the drafter editing a submitted draft: %v", err)
	}
	must(t, f.svc.EditDraft(ctx, f.in(f.unitHead), id, edit))
}

// TestDelegatedSigning: the chairman lets the unit head sign for a period; the unit
// head signs with "KT. CHỦ TỊCH", the audit names both; once revoked, they cannot.
func TestDelegatedSigning(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	today := f.svc.today()
	in := DelegationInput{DelegateID: f.unitHead, Scope: DelegateSigning, Prefix: "KT.", StartsOn: today, EndsOn: today.AddDate(0, 0, 7)}
	if _, err := f.svc.Delegate(ctx, f.in(f.unitHead), DelegationInput{DelegateID: f.specialist, Scope: DelegateSigning,
		Prefix: "TUQ.", StartsOn: today, EndsOn: today}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a unit head delegating what they do not hold: %v", err)
	}
	if _, err := f.svc.Delegate(ctx, f.in(f.leader), DelegationInput{DelegateID: f.unitHead, Scope: DelegateSigning,
		Prefix: "TM.", StartsOn: today, EndsOn: today}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a delegation with prefix TM.: %v", err)
	}
	delegation, err := f.svc.Delegate(ctx, f.in(f.leader), in)
	must(t, err)

	id := f.draft(t, TypeQuyetDinh, "Quyết định ký thay", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.Sign(ctx, f.in(f.unitHead), id, SignInput{}))
	d, err := f.svc.Get(ctx, f.in(f.unitHead), id)
	must(t, err)
	if d.Signer.Competence != "KT. CHỦ TỊCH" || d.Signer.Position != "Chánh Văn phòng" || d.Signer.FullName != "Lê Văn Hùng" {
		t.Errorf("signer %+v", d.Signer)
	}
	var delegator, delegate string
	must(t, f.pool.QueryRow(ctx, `SELECT detail->>'delegator', detail->>'delegate' FROM audit_log
		WHERE action = 'document.sign_on_behalf' AND object_id = $1`, fmt.Sprint(id)).Scan(&delegator, &delegate))
	if delegator != "Phạm Quốc Việt" || delegate != "Lê Văn Hùng" {
		t.Errorf("the audit names %q for %q", delegate, delegator)
	}

	if err := f.svc.RevokeDelegation(ctx, f.in(f.unitHead), delegation); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the delegate revoking: %v", err)
	}
	must(t, f.svc.RevokeDelegation(ctx, f.in(f.leader), delegation))
	other := f.draft(t, TypeQuyetDinh, "Quyết định sau thu hồi ủy quyền", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), other, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), other, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), other, ""))
	if err := f.svc.Sign(ctx, f.in(f.unitHead), other, SignInput{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("signing after the delegation was revoked: %v", err)
	}
	list, err := Delegations(ctx, f.pool, f.in(f.leader))
	must(t, err)
	if len(list) != 1 || list[0].RevokedAt == nil || list[0].DelegateName != "Lê Văn Hùng" {
		t.Errorf("delegations %+v", list)
	}
}

// TestComposedDraftSignedByDelegatePrintsTheSignerBlock: without a signing hook, a
// draft composed from typed content is laid out again with the delegate's block.
func TestComposedDraftSignedByDelegatePrintsTheSignerBlock(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	today := f.svc.today()
	_, err := f.svc.Delegate(ctx, f.in(f.leader), DelegationInput{DelegateID: f.unitHead, Scope: DelegateSigning, Prefix: "KT.",
		StartsOn: today, EndsOn: today})
	must(t, err)
	congVan, _ := LookupType(TypeCongVan)
	subject, body := "V/v rà soát hồ sơ", "Đề nghị các phòng rà soát hồ sơ."
	pdf, err := ComposePDF(ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: congVan, Subject: subject, Body: body})
	must(t, err)
	id := f.draft(t, TypeCongVan, subject, func(in *DraftInput) {
		in.Content, in.Composed = body, true
		in.File = FileInput{Name: "x.pdf", MediaType: MediaPDF, Content: bytes.NewReader(pdf)}
	})
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.Sign(ctx, f.in(f.unitHead), id, SignInput{}))
	current, err := currentPDF(ctx, f.pool, id)
	must(t, err)
	var buf bytes.Buffer
	_, err = CopyBlob(ctx, f.pool, current.BlobID, &buf)
	must(t, err)
	lines := layoutText(t, buf.Bytes())
	for _, want := range []string{"KT. CHỦ TỊCH", "CHÁNH VĂN PHÒNG", "Lê Văn Hùng"} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, want) }) {
			t.Errorf("the signed PDF has no line ending with %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}
}

// TestDelegatedAssignmentNamesBothPeople: a deputy holding the leader's assignment
// delegation assigns an arrived document, and the audit trail names both of them.
func TestDelegatedAssignmentNamesBothPeople(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	today := f.svc.today()
	id := f.receive(t, "Về việc báo cáo kết quả giải ngân", "81", nil).DocumentID
	_, err := f.svc.Register(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), id, ""))
	deadline := time.Now().AddDate(0, 0, 5)
	lines := []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &deadline}}
	must(t, f.svc.Grant(ctx, f.in(f.leader), id, f.unitHead))
	if err := f.svc.Assign(ctx, f.in(f.unitHead), id, lines, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a unit head assigning without a delegation: %v", err)
	}
	_, err = f.svc.Delegate(ctx, f.in(f.leader), DelegationInput{DelegateID: f.unitHead, Scope: DelegateAssignment, Prefix: "KT.",
		StartsOn: today, EndsOn: today})
	must(t, err)
	must(t, f.svc.Assign(ctx, f.in(f.unitHead), id, lines, "Giao Văn phòng theo ủy quyền."))
	var action, delegator, delegate string
	must(t, f.pool.QueryRow(ctx, `SELECT detail->>'action', detail->>'delegator', detail->>'delegate' FROM audit_log
		WHERE action = 'document.act_on_behalf' AND object_id = $1`, fmt.Sprint(id)).Scan(&action, &delegator, &delegate))
	if action != "assign" || delegator != "Phạm Quốc Việt" || delegate != "Lê Văn Hùng" {
		t.Errorf("the audit names %q for %q on %q", delegate, delegator, action)
	}
}
