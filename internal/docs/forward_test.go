package docs

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// sees reports whether the actor can open the document; it fails on anything but
// found or not found.
func (f *fixture) sees(t *testing.T, a Actor, id int64) bool {
	t.Helper()
	_, err := f.svc.Get(context.Background(), a, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func handoverKinds(t *testing.T, f *fixture, a Actor, id int64) []HandoverKind {
	t.Helper()
	hs, err := f.svc.Handovers(context.Background(), a, id)
	must(t, err)
	var kinds []HandoverKind
	for _, h := range hs {
		kinds = append(kinds, h.Kind)
	}
	return kinds
}

// TestForwardHandsADocumentToAPerson: the leader assigns a document straight to a
// person, who can open and forward it with a note; the person it is forwarded to can
// open, handle and complete it; the forwarder keeps seeing it; someone who merely
// sees it, or cannot see it, cannot forward it.
func TestForwardHandsADocumentToAPerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	deadline := f.svc.today().AddDate(0, 0, 5)
	id := f.receive(t, "Công văn giao cá nhân", "21", nil).DocumentID
	if f.sees(t, f.in(f.specialist), id) {
		t.Fatal("the specialist sees an incoming document before it is assigned to him")
	}
	f.registerAndAssign(t, id, []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &deadline, Note: "Giao đồng chí Minh"}})
	if !f.sees(t, f.in(f.specialist), id) || f.sees(t, f.in(f.tpSpecialist), id) {
		t.Fatal("after the assignment, the person named must see the document and no one else of another unit")
	}

	// The clerk sees every incoming document but holds none: no forward. The head of
	// the Tư pháp unit does not even see it: not found.
	if err := f.svc.Forward(ctx, f.in(f.clerk), id, f.tpSpecialist, "Chuyển giúp"); !errors.Is(err, ErrForbidden) {
		t.Errorf("forward by the clerk who does not hold it: %v", err)
	}
	if err := f.svc.Forward(ctx, f.in(f.tpHead), id, f.tpSpecialist, "Chuyển giúp"); !errors.Is(err, ErrNotFound) {
		t.Errorf("forward by someone who cannot see it: %v", err)
	}
	if err := f.svc.Forward(ctx, f.in(f.specialist), id, f.tpSpecialist, " "); !errors.Is(err, ErrInvalid) {
		t.Errorf("forward without a note: %v", err)
	}
	if err := f.svc.Forward(ctx, f.in(f.specialist), id, f.communeLeader, "Sang xã"); !errors.Is(err, ErrInvalid) {
		t.Errorf("forward to someone of another agency: %v", err)
	}
	must(t, f.svc.Forward(ctx, f.in(f.specialist), id, f.tpSpecialist, "Nhờ chị Hoa xử lý giúp"))
	if !f.sees(t, f.in(f.tpSpecialist), id) {
		t.Fatal("the person the document was forwarded to cannot open it")
	}

	// She forwards it on; she keeps seeing it, and the next one handles and completes it.
	must(t, f.svc.Forward(ctx, f.in(f.tpSpecialist), id, f.tpHead, "Kính chuyển anh Thắng"))
	if !f.sees(t, f.in(f.tpSpecialist), id) {
		t.Error("a person who forwarded the document no longer sees it")
	}
	as, err := Assignments(ctx, f.pool, id)
	must(t, err)
	if err := f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), as[0].ID, 50, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("progress by someone who forwarded the line away: %v", err)
	}
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpHead), as[0].ID, 50, "Đang xử lý"))
	must(t, f.svc.Complete(ctx, f.in(f.tpHead), id, "Đã xong", 0))

	want := []HandoverKind{HandoverAssign, HandoverForward, HandoverForward}
	if got := handoverKinds(t, f, f.in(f.leader), id); !slices.Equal(got, want) {
		t.Errorf("hand-overs %v, want %v", got, want)
	}
	hs, err := f.svc.Handovers(ctx, f.in(f.leader), id)
	must(t, err)
	if h := hs[1]; h.FromUserID != f.specialist || h.ToUserID != f.tpSpecialist || h.Note != "Nhờ chị Hoa xử lý giúp" || h.Role != RoleLead {
		t.Errorf("the forward reads %+v", h)
	}
	if _, err := f.svc.Handovers(ctx, f.in(f.unitHead), id); !errors.Is(err, ErrNotFound) {
		t.Errorf("hand-overs of a document one cannot see: %v", err)
	}
}

// TestForwardOfASecretDocumentGrantsIt: a secret document forwarded to a person is
// granted to them (secret documents are seen only by grant).
func TestForwardOfASecretDocumentGrantsIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	deadline := f.svc.today().AddDate(0, 0, 3)
	id := f.receive(t, "Công văn mật", "22", func(in *ReceiveInput) { in.Secrecy = SecrecyMat }).DocumentID
	must(t, f.svc.Grant(context.Background(), f.in(f.clerk), id, f.leader))
	f.registerAndAssign(t, id, []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &deadline}})
	if f.sees(t, f.in(f.tpSpecialist), id) {
		t.Fatal("a secret document is visible before it is forwarded")
	}
	must(t, f.svc.Forward(context.Background(), f.in(f.specialist), id, f.tpSpecialist, "Chuyển xử lý"))
	if !f.sees(t, f.in(f.tpSpecialist), id) {
		t.Error("a secret document forwarded to a person is not granted to them")
	}
}

// TestReassignAndTakeBack: the leader gives a line to another unit or person, never to
// a unit nobody heads (nobody could name its handler), and takes the whole assignment
// back, after which the document waits for a new one.
func TestReassignAndTakeBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	headless := f.unit(t, f.district, "Phòng Nội vụ", "NV")
	deadline := f.svc.today().AddDate(0, 0, 5)
	later := f.svc.today().AddDate(0, 0, 9)
	id := f.receive(t, "Công văn phân công lại", "23", nil).DocumentID
	_, err := f.svc.Register(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), id, ""))
	stuck := []AssignmentInput{{Role: RoleLead, UnitID: headless, Deadline: &deadline}}
	if err := f.svc.Assign(ctx, f.in(f.leader), id, stuck, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("assignment to a unit nobody heads: %v", err)
	}
	must(t, f.svc.Assign(ctx, f.in(f.leader), id, []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &deadline}}, ""))
	as, err := Assignments(ctx, f.pool, id)
	must(t, err)
	lead := as[0].ID

	if err := f.svc.Reassign(ctx, f.in(f.specialist), lead, AssignmentInput{UnitID: f.unitTP}, ""); !errors.Is(err, ErrForbidden) {
		t.Errorf("re-assignment by the handler: %v", err)
	}
	if err := f.svc.Reassign(ctx, f.in(f.leader), lead, AssignmentInput{UnitID: headless}, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("re-assignment to a unit nobody heads: %v", err)
	}
	must(t, f.svc.Reassign(ctx, f.in(f.leader), lead, AssignmentInput{UnitID: f.unitTP, Deadline: &later}, "Giao phòng Tư pháp"))
	d, err := f.svc.Get(ctx, f.in(f.leader), id)
	must(t, err)
	if d.DueDate == nil || !d.DueDate.Equal(later) {
		t.Errorf("the document's deadline is %v after re-assigning the chủ trì with %v", d.DueDate, later)
	}
	if !f.sees(t, f.in(f.tpHead), id) {
		t.Error("the head of the unit the line was re-assigned to cannot see the document")
	}
	must(t, f.svc.AssignHandler(ctx, f.in(f.tpHead), lead, f.tpSpecialist))
	// The head of the unit holds its line: he may forward it outside the unit too.
	must(t, f.svc.Forward(ctx, f.in(f.tpHead), id, f.specialist, "Nhờ Văn phòng xử lý"))
	if !f.sees(t, f.in(f.specialist), id) {
		t.Error("the person a unit head forwarded the line to cannot see the document")
	}

	if err := f.svc.TakeBack(ctx, f.in(f.leader), id, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("take back without a reason: %v", err)
	}
	if err := f.svc.TakeBack(ctx, f.in(f.tpHead), id, "Thu hồi"); !errors.Is(err, ErrForbidden) {
		t.Errorf("take back by a unit head: %v", err)
	}
	must(t, f.svc.TakeBack(ctx, f.in(f.leader), id, "Giao lại cho Văn phòng"))
	d, err = f.svc.Get(ctx, f.in(f.leader), id)
	must(t, err)
	if d.IncomingState != InSubmitted || d.DueDate != nil {
		t.Errorf("after take back: state %s, deadline %v", d.IncomingState, d.DueDate)
	}
	if as, _ := Assignments(ctx, f.pool, id); len(as) != 0 {
		t.Errorf("%d assignments left after take back", len(as))
	}
	must(t, f.svc.Assign(ctx, f.in(f.leader), id, []AssignmentInput{{Role: RoleLead, UnitID: f.unitVP, Deadline: &deadline}}, ""))
	want := []HandoverKind{HandoverAssign, HandoverReassign, HandoverHandler, HandoverForward, HandoverTakeBack, HandoverAssign}
	if got := handoverKinds(t, f, f.in(f.leader), id); !slices.Equal(got, want) {
		t.Errorf("hand-overs %v, want %v", got, want)
	}
}

// TestChoicesProposeTheRequestedDeadline: the sender's deadline is kept apart from the
// agency's and proposed to the leader; the form offers units that have a head and the
// people who may handle documents.
func TestChoicesProposeTheRequestedDeadline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.unit(t, f.district, "Phòng Nội vụ", "NV")
	requested := f.svc.today().AddDate(0, 0, 10)
	id := f.receive(t, "Công văn có hạn", "24", func(in *ReceiveInput) { in.DueDate = &requested }).DocumentID
	c, err := f.svc.Choices(context.Background(), f.in(f.leader), id)
	must(t, err)
	if c.ProposedDeadline == nil || !c.ProposedDeadline.Equal(requested) {
		t.Errorf("proposed deadline %v, want %v", c.ProposedDeadline, requested)
	}
	var units []string
	for _, u := range c.Units {
		units = append(units, u.Unit)
	}
	if !slices.Equal(units, []string{"TP", "VP"}) {
		t.Errorf("units offered %v, want the two that have a head", units)
	}
	var people []int64
	for _, p := range c.People {
		people = append(people, p.UserID)
	}
	for _, who := range []int64{f.specialist, f.tpSpecialist, f.unitHead} {
		if !slices.Contains(people, who) {
			t.Errorf("user %d is not offered", who)
		}
	}
	if slices.Contains(people, f.clerk) || slices.Contains(people, f.leader) {
		t.Errorf("people offered %v include the clerk or the leader himself", people)
	}
	if _, err := f.svc.Choices(context.Background(), f.in(f.specialist), id); !errors.Is(err, ErrNotFound) {
		t.Errorf("choices of a document one cannot see: %v", err)
	}
}
