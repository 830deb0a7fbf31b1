package docs

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// received is an electronic incoming document from the province.
func (f *fixture) receive(t *testing.T, subject, number string, mutate func(*ReceiveInput)) Receipt {
	t.Helper()
	issued := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	in := ReceiveInput{Document: Document{Type: TypeCongVan, Subject: subject, CodeNumber: number, CodeNotation: "UBND-KT",
		IssuerOrganID: "000.00.00.H55", IssuerName: "Ủy ban nhân dân tỉnh Thái Nguyên", IssuedDate: &issued,
		ExternalID: ExternalID("000.00.00.H55", issued, number, "UBND-KT")}, Main: samplePDF(t, subject)}
	if mutate != nil {
		mutate(&in)
	}
	r, err := f.svc.Receive(context.Background(), f.in(f.clerk), in)
	must(t, err)
	return r
}

func TestIncomingCycleEmitsEveryEventInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	r := f.receive(t, "Về việc triển khai thu thập dữ liệu dân cư", "4512", nil)
	if len(r.Duplicates) != 0 {
		t.Fatalf("first receipt flagged as duplicate: %+v", r.Duplicates)
	}
	id := r.DocumentID
	n, err := f.svc.Register(ctx, f.in(f.clerk), id, "")
	must(t, err)
	if n != 1 {
		t.Fatalf("số đến %d, want 1", n)
	}
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), id, ""))

	deadline := f.svc.today().AddDate(0, 0, 10)
	lines := []AssignmentInput{
		{Role: RoleLead, UnitID: f.unitTP, Deadline: &deadline, Note: "Phòng Tư pháp chủ trì, báo cáo trước ngày hạn"},
		{Role: RoleCoordinate, UnitID: f.unitVP, Deadline: &deadline},
		{Role: RoleInformation, UserID: f.unitHead},
	}
	if err := f.svc.Assign(ctx, f.in(f.clerk), id, lines, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("assignment by the clerk: %v", err)
	}
	twoLeads := append([]AssignmentInput{{Role: RoleLead, UnitID: f.unitVP, Deadline: &deadline}}, lines...)
	if err := f.svc.Assign(ctx, f.in(f.leader), id, twoLeads, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("two chủ trì: %v", err)
	}
	past := f.svc.today().AddDate(0, 0, -1)
	if err := f.svc.Assign(ctx, f.in(f.leader), id, []AssignmentInput{{Role: RoleLead, UnitID: f.unitTP, Deadline: &past}}, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("deadline in the past: %v", err)
	}
	must(t, f.svc.Assign(ctx, f.in(f.leader), id, lines, "Giao Phòng Tư pháp"))

	as, err := Assignments(ctx, f.pool, id)
	must(t, err)
	lead := as[0]
	if lead.Role != RoleLead || lead.UnitID != f.unitTP {
		t.Fatalf("first assignment %+v", lead)
	}
	if err := f.svc.AssignHandler(ctx, f.in(f.unitHead), lead.ID, f.specialist); !errors.Is(err, ErrForbidden) {
		t.Fatalf("handler named by the head of another unit: %v", err)
	}
	if err := f.svc.AssignHandler(ctx, f.in(f.tpHead), lead.ID, f.specialist); !errors.Is(err, ErrInvalid) {
		t.Fatalf("handler outside the unit: %v", err)
	}
	must(t, f.svc.AssignHandler(ctx, f.in(f.tpHead), lead.ID, f.tpSpecialist))
	if err := f.svc.ReportProgress(ctx, f.in(f.specialist), lead.ID, 50, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("progress by someone who cannot see the document: %v", err)
	}
	if err := f.svc.ReportProgress(ctx, f.in(f.tpHead), lead.ID, 50, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("progress by someone who sees the document but does not handle it: %v", err)
	}
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), lead.ID, 50, "Đang tổng hợp"))
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), lead.ID, 80, "Đã có dự thảo báo cáo"))
	if err := f.svc.Complete(ctx, f.in(f.specialist), id, "", 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("completion by someone who cannot see the document: %v", err)
	}
	if err := f.svc.Complete(ctx, f.in(f.tpHead), id, "", 0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("completion by someone who sees the document but does not lead it: %v", err)
	}
	must(t, f.svc.Complete(ctx, f.in(f.tpSpecialist), id, "Đã báo cáo", 0))

	record, err := f.svc.CreateRecord(ctx, f.in(f.clerk), "01.TP", "Hồ sơ dữ liệu dân cư năm 2026", 2026)
	must(t, err)
	must(t, f.svc.File(ctx, f.in(f.tpSpecialist), id, record, ""))

	events := queuedJobs[SendStatusArgs](t, f.pool)
	var codes []string
	for _, e := range events {
		codes = append(codes, e.Code)
		if e.ResponseFor != "000.00.00.H55,2026/11/20,4512/UBND-KT" {
			t.Fatalf("event without the document id: %+v", e)
		}
	}
	if strings.Join(codes, " ") != "01 03 04 05 06" {
		t.Fatalf("events %v, want 01 03 04 05 06", codes)
	}
	d, err := f.svc.Get(ctx, f.in(f.tpSpecialist), id)
	must(t, err)
	if d.IncomingState != InFiled || d.DueDate == nil || !d.DueDate.Equal(deadline) {
		t.Fatalf("state %s, due %v", d.IncomingState, d.DueDate)
	}

	// The same document again: a duplicate warning; rejecting it emits 02.
	dup := f.receive(t, "Về việc triển khai thu thập dữ liệu dân cư", "4512", nil)
	if len(dup.Duplicates) != 1 || dup.Duplicates[0].DocumentID != id {
		t.Fatalf("duplicate not flagged: %+v", dup.Duplicates)
	}
	if err := f.svc.Reject(ctx, f.in(f.clerk), dup.DocumentID, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("rejection without a reason: %v", err)
	}
	must(t, f.svc.Reject(ctx, f.in(f.clerk), dup.DocumentID, "Văn bản trùng"))
	events = queuedJobs[SendStatusArgs](t, f.pool)
	if last := events[len(events)-1]; last.Code != "02" || last.Note != "Văn bản trùng" {
		t.Fatalf("last event %+v, want 02 with the reason", last)
	}
}

// Real producers exceed the standard's lengths; a received document keeps the whole
// value up to the reader's hard bounds, while what edms drafts keeps to the standard.
func TestReceivedDocumentsKeepOverlongFields(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	subject := strings.Repeat("Về việc triển khai ", 40) // 760 characters
	place := strings.Repeat("Thành phố Thái Nguyên ", 3)
	r := f.receive(t, subject, "2026000123456", func(in *ReceiveInput) {
		in.Document.Place = place
		in.Document.CodeNotation = "UBND-KT-TCKH-NV-VHTT-TNMT-LĐTBXH-YT"
	})
	got, err := f.svc.Get(ctx, f.in(f.clerk), r.DocumentID)
	must(t, err)
	if got.Subject != strings.TrimSpace(subject) || got.Place != place || got.CodeNumber != "2026000123456" || got.CodeNotation != "UBND-KT-TCKH-NV-VHTT-TNMT-LĐTBXH-YT" {
		t.Fatalf("received document cut: %q %q %q %q", got.Subject, got.Place, got.CodeNumber, got.CodeNotation)
	}
	in := ReceiveInput{Document: Document{Type: TypeCongVan, Subject: strings.Repeat("x", 5001)}, Main: samplePDF(t, "x")}
	if _, err := f.svc.Receive(ctx, f.in(f.clerk), in); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a subject beyond the hard bound: %v", err)
	}
	draft := DraftInput{Document: Document{Type: TypeBaoCao, Subject: subject}, File: samplePDF(t, "x")}
	if _, err := f.svc.CreateDraft(ctx, f.in(f.specialist), draft); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a draft beyond the standard's 500 characters: %v", err)
	}
}
