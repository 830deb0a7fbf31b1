package docs

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
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
		{"chuyên viên Tư pháp", f.in(f.tpSpecialist), map[WorkGroup][]int64{WorkInform: {handled}, WorkRedraft: {otherDraft}}},
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

// idsIn reads the documents one group of a person's work list holds.
func idsIn(t *testing.T, f *fixture, a Actor, g WorkGroup) []int64 {
	t.Helper()
	got, _ := groupsOf(t, f, a)
	slices.Sort(got[g])
	return got[g]
}

// TestWaitingForListsInformationAndHeadlessDrafts: a document sent để biết waits in
// the group of that name for the person named and for the head of the unit named,
// until it is completed; a draft in review waits for its unit's head, and for the
// agency leader only when its unit has no head.
func TestWaitingForListsInformationAndHeadlessDrafts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	due := f.svc.today().AddDate(0, 0, 5)

	info := f.receive(t, "Công văn gửi để biết", "41", nil).DocumentID
	f.registerAndAssign(t, info, []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &due},
		{Role: RoleInformation, UserID: f.clerk}, {Role: RoleInformation, UnitID: f.unitTP}})
	for _, who := range []int64{f.clerk, f.tpHead} {
		if got := idsIn(t, f, f.in(who), WorkInform); !slices.Equal(got, []int64{info}) {
			t.Errorf("user %d: để biết holds %v, want %v", who, got, []int64{info})
		}
	}
	if got := idsIn(t, f, f.in(f.specialist), WorkInform); len(got) != 0 {
		t.Errorf("the handler's để biết holds %v", got)
	}
	must(t, f.svc.Complete(ctx, f.in(f.specialist), info, "Đã xử lý xong.", 0))
	if got := idsIn(t, f, f.in(f.clerk), WorkInform); len(got) != 0 {
		t.Errorf("a completed document stays in để biết: %v", got)
	}

	draft := f.draftBy(t, f.tpSpecialist, "Tờ trình của phòng Tư pháp")
	must(t, f.svc.Submit(ctx, f.in(f.tpSpecialist), draft, ""))
	if got := idsIn(t, f, f.in(f.tpHead), WorkReview); !slices.Equal(got, []int64{draft}) {
		t.Errorf("the unit head's review holds %v, want %v", got, []int64{draft})
	}
	if got := idsIn(t, f, f.in(f.leader), WorkReview); len(got) != 0 {
		t.Errorf("the leader's review holds %v while the unit has a head", got)
	}
	must(t, store.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		return access.RevokeRole(ctx, tx, f.tpHead, access.LanhDaoPhong, f.district)
	}))
	if got := idsIn(t, f, f.in(f.leader), WorkReview); !slices.Equal(got, []int64{draft}) {
		t.Errorf("the leader's review holds %v, want the headless unit's draft %v", got, []int64{draft})
	}
}
