package docs

import (
	"context"
	"slices"
	"testing"
)

// groupsOf reads a person's work list as group → document ids.
func groupsOf(t *testing.T, f *fixture, a Actor) (map[WorkGroup][]int64, *Inbox) {
	t.Helper()
	box, err := f.svc.WaitingFor(context.Background(), a, 7)
	must(t, err)
	out := map[WorkGroup][]int64{}
	total := 0
	for _, g := range box.Groups {
		if g.Count != len(g.Items) || g.Label == "" {
			t.Errorf("group %s: count %d for %d items, label %q", g.Group, g.Count, len(g.Items), g.Label)
		}
		total += g.Count
		for _, it := range g.Items {
			out[g.Group] = append(out[g.Group], it.DocumentID)
		}
	}
	if total != box.Total {
		t.Errorf("total %d, groups add up to %d", box.Total, total)
	}
	return out, box
}

// TestWaitingForShowsOnlyWhatWaitsForThePerson: each person's work list holds the
// documents waiting for a step they take, grouped by step; not documents issued, nor
// other people's drafts; the deadline list names a document once.
func TestWaitingForShowsOnlyWhatWaitsForThePerson(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	soon := f.svc.today().AddDate(0, 0, 2)
	later := f.svc.today().AddDate(0, 0, 4)

	arrived := f.receive(t, "Công văn mới đến", "31", nil).DocumentID
	toAssign := f.receive(t, "Công văn chờ phân công", "32", nil).DocumentID
	_, err := f.svc.Register(ctx, f.in(f.clerk), toAssign, "")
	must(t, err)
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), toAssign, ""))
	// The VP head leads through his unit and coordinates in person: two lines, one
	// deadline row for him.
	handled := f.receive(t, "Công văn đang xử lý", "33", nil).DocumentID
	f.registerAndAssign(t, handled, []AssignmentInput{{Role: RoleLead, UnitID: f.unitVP, Deadline: &soon},
		{Role: RoleCoordinate, UserID: f.unitHead, Deadline: &later}, {Role: RoleInformation, UserID: f.tpSpecialist}})
	personal := f.receive(t, "Công văn giao chuyên viên", "34", nil).DocumentID
	f.registerAndAssign(t, personal, []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &later}})

	ownDraft := f.draft(t, TypeKeHoach, "Dự thảo của chuyên viên", nil)
	otherDraft := f.draftBy(t, f.tpSpecialist, "Dự thảo của phòng Tư pháp")
	inReview := f.draft(t, TypeKeHoach, "Dự thảo chờ duyệt", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), inReview, ""))
	toSign := f.draft(t, TypeKeHoach, "Dự thảo chờ ký", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), toSign, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), toSign, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), toSign, ""))
	signed := f.draft(t, TypeKeHoach, "Văn bản đã ký", nil)
	f.toSigned(t, signed)

	cases := []struct {
		who   string
		actor Actor
		want  map[WorkGroup][]int64
	}{
		{"văn thư", f.in(f.clerk), map[WorkGroup][]int64{WorkRegister: {arrived}, WorkIssue: {signed}}},
		{"lãnh đạo", f.in(f.leader), map[WorkGroup][]int64{WorkAssign: {toAssign}, WorkSign: {toSign}}},
		{"lãnh đạo phòng VP", f.in(f.unitHead), map[WorkGroup][]int64{WorkAssign: {handled}, WorkHandle: {handled}, WorkReview: {inReview}}},
		{"chuyên viên VP", f.in(f.specialist), map[WorkGroup][]int64{WorkHandle: {personal}, WorkRedraft: {ownDraft}}},
		{"chuyên viên Tư pháp", f.in(f.tpSpecialist), map[WorkGroup][]int64{WorkRedraft: {otherDraft}}},
	}
	for _, c := range cases {
		got, box := groupsOf(t, f, c.actor)
		for g := range got {
			slices.Sort(got[g])
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: groups %v, want %v", c.who, got, c.want)
			continue
		}
		for g, ids := range c.want {
			if !slices.Equal(got[g], ids) {
				t.Errorf("%s: %s holds %v, want %v", c.who, g, got[g], ids)
			}
		}
		if c.who == "lãnh đạo phòng VP" {
			if len(box.Deadlines) != 1 || box.Deadlines[0].DocumentID != handled || !box.Deadlines[0].Deadline.Equal(soon) {
				t.Errorf("the unit head's deadlines %+v, want the one document once, at its nearest deadline", box.Deadlines)
			}
		}
	}
}
