package docs

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestSecretDraftIsHandledOnlyByThoseGranted is the fault of issue 8: a secret draft
// was issued and sent by people none of whom could see it. Every write now answers
// "not found" to someone who cannot see the document, whatever its state (visibility
// is checked before legality, so the answer says nothing of the state), and the
// drafter grants the draft to the people who must handle it.
func TestSecretDraftIsHandledOnlyByThoseGranted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeQuyetDinh, "Quyết định mật về phương án bảo vệ", func(in *DraftInput) {
		in.Secrecy = SecrecyMat
		in.Recipients = []Recipient{{AgencyID: f.commune, Name: "UBND xã Yên Ninh"}}
	})
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, "Kính trình"))

	outsiders := map[string]Actor{"lãnh đạo phòng": f.in(f.unitHead), "lãnh đạo": f.in(f.leader), "văn thư": f.in(f.clerk),
		"văn thư xã ở huyện": f.in(f.communeClerk), "văn thư xã": {UserID: f.communeClerk, AgencyID: f.commune}}
	for who, a := range outsiders {
		writes := map[string]error{
			"approve":            f.svc.Approve(ctx, a, id, ""),
			"return":             f.svc.Return(ctx, a, id, "Sửa lại"),
			"return, no comment": f.svc.Return(ctx, a, id, " "),
			"recall, no reason":  f.svc.Recall(ctx, a, id, ""),
			"issue":              second(f.svc.Issue(ctx, a, id, "")),
			"seal":               f.svc.Seal(ctx, a, id, ""),
			"send":               f.svc.Send(ctx, a, id, ""),
			"recall":             f.svc.Recall(ctx, a, id, "Sai sót"),
			"version":            f.svc.AddVersion(ctx, a, id, samplePDF(t, "ban khac"), "Sửa"),
			"attachment":         f.svc.AddAttachment(ctx, a, id, samplePDF(t, "phu luc"), "Phụ lục"),
			"grant":              f.svc.Grant(ctx, a, id, a.UserID),
			"replace": second(f.svc.CreateDraft(ctx, a, DraftInput{Document: Document{Type: TypeQuyetDinh, Subject: "Thay thế"},
				File: samplePDF(t, "thay the"), ReplacesID: id})),
		}
		for step, err := range writes {
			var e *Error
			// Lacking a permission altogether is refused before the document is read.
			lacks := errors.Is(err, ErrForbidden) && strings.Contains(err.Error(), " lacks ")
			if !errors.As(err, &e) || !errors.Is(err, ErrNotFound) && !lacks {
				t.Errorf("%s: %s on a secret draft they cannot see: %v", who, step, err)
				continue
			}
			if strings.Contains(e.Message, StateName(Outgoing, string(OutInReview))) {
				t.Errorf("%s: %s reveals the state: %q", who, step, e.Message)
			}
		}
	}
	if d, err := f.svc.Get(ctx, f.in(f.specialist), id); err != nil || d.OutgoingState != OutInReview {
		t.Fatalf("the draft changed: %v, %v", d, err)
	}
	files, err := Files(ctx, f.pool, id)
	must(t, err)
	if len(files) != 1 {
		t.Fatalf("the draft has %d files, want its one version", len(files))
	}

	if err := f.svc.Grant(ctx, f.in(f.specialist), id, f.communeClerk); !errors.Is(err, ErrInvalid) {
		t.Fatalf("grant to someone outside the agency: %v", err)
	}
	for _, u := range []int64{f.unitHead, f.leader, f.clerk} {
		must(t, f.svc.Grant(ctx, f.in(f.specialist), id, u))
	}
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, "Đồng ý"))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.Sign(ctx, f.in(f.leader), id, SignInput{}))
	_, err = f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	if err := f.svc.Recall(ctx, f.in(f.tpHead), id, "Sai sót"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recall by someone who cannot see the sent document: %v", err)
	}
}

// TestAssignmentsOfHiddenDocumentsAreNotFound: the steps that name an assignment, not
// a document, go through the document's visibility too.
func TestAssignmentsOfHiddenDocumentsAreNotFound(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	deadline := f.svc.today().AddDate(0, 0, 5)
	id := f.receive(t, "Công văn mật giao cá nhân", "21", func(in *ReceiveInput) { in.Secrecy = SecrecyMat }).DocumentID
	_, err := f.svc.Register(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), id, ""))
	lines := []AssignmentInput{{Role: RoleLead, UserID: f.tpSpecialist, Deadline: &deadline}}
	unknownUnit := []AssignmentInput{{Role: RoleLead, Unit: "ZZ", Deadline: &deadline}}
	for _, try := range [][]AssignmentInput{lines, unknownUnit, nil} {
		if err := f.svc.Assign(ctx, f.in(f.leader), id, try, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("assigning %v on a secret document before its keeper granted it: %v", try, err)
		}
	}
	must(t, f.svc.Grant(ctx, f.in(f.clerk), id, f.leader))
	if err := f.svc.Assign(ctx, f.in(f.leader), id, unknownUnit, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("assigning to an unknown unit: %v", err)
	}
	must(t, f.svc.Assign(ctx, f.in(f.leader), id, lines, ""))
	as, err := Assignments(ctx, f.pool, id)
	must(t, err)
	for _, percent := range []int{10, -1} {
		if err := f.svc.ReportProgress(ctx, f.in(f.tpHead), as[0].ID, percent, ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("progress %d%% on a hidden document: %v", percent, err)
		}
	}
	if err := f.svc.AssignHandler(ctx, f.in(f.tpHead), as[0].ID, f.tpSpecialist); !errors.Is(err, ErrNotFound) {
		t.Fatalf("handler of a hidden document: %v", err)
	}
	if err := f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), as[0].ID+1000, 10, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("progress on an assignment that does not exist: %v", err)
	}
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), as[0].ID, 10, "Bắt đầu"))
}

func second[T any](_ T, err error) error { return err }
