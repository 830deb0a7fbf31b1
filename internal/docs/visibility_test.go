package docs

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestVisibilityMatrix checks, for every person of two agencies and every kind of
// document (each direction, unit, secrecy, assignment), that Get and Search agree with
// the rule and that nothing leaks across agencies, units or secrecy levels.
func TestVisibilityMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	deadline := f.svc.today().AddDate(0, 0, 5)

	outVP := f.draft(t, TypeKeHoach, "Kế hoạch văn phòng", nil)
	outVPSecret := f.draft(t, TypeKeHoach, "Kế hoạch mật của văn phòng", func(in *DraftInput) { in.Secrecy = SecrecyMat })
	outTP := f.draftBy(t, f.tpSpecialist, "Tờ trình của phòng Tư pháp")

	inTP := f.receive(t, "Công văn giao phòng Tư pháp", "11", nil).DocumentID
	f.registerAndAssign(t, inTP, []AssignmentInput{{Role: RoleLead, UnitID: f.unitTP, Deadline: &deadline}})
	inSecret := f.receive(t, "Công văn mật", "12", func(in *ReceiveInput) { in.Secrecy = SecrecyToiMat }).DocumentID
	// Its keeper, the clerk, grants it to the leader, who could not assign it otherwise.
	must(t, f.svc.Grant(ctx, f.in(f.clerk), inSecret, f.leader))
	f.registerAndAssign(t, inSecret, []AssignmentInput{{Role: RoleLead, UserID: f.tpSpecialist, Deadline: &deadline}})
	inNew := f.receive(t, "Công văn mới đến", "13", nil).DocumentID

	communeDoc, err := f.svc.Receive(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune},
		ReceiveInput{Document: Document{Type: TypeThongBao, Subject: "Thông báo của xã"}, Main: samplePDF(t, "xa")})
	must(t, err)

	// A specialist holds no secret:read, so cannot widen access to a secret document
	// even one assigned to them.
	if err := f.svc.Grant(ctx, f.in(f.tpSpecialist), inSecret, f.tpHead); !errors.Is(err, ErrForbidden) {
		t.Fatalf("grant without secret:read: %v", err)
	}

	docs := map[string]int64{"outVP": outVP, "outVPSecret": outVPSecret, "outTP": outTP, "inTP": inTP,
		"inSecret": inSecret, "inNew": inNew, "commune": communeDoc.DocumentID}
	district := func(u int64) Actor { return f.in(u) }
	commune := func(u int64) Actor { return Actor{UserID: u, AgencyID: f.commune} }
	cases := []struct {
		who   string
		actor Actor
		sees  []string
	}{
		// The clerk keeps the incoming documents and sees all non-secret ones.
		{"văn thư huyện", district(f.clerk), []string{"outVP", "outTP", "inTP", "inSecret", "inNew"}},
		{"chuyên viên VP (soạn thảo)", district(f.specialist), []string{"outVP", "outVPSecret"}},
		{"lãnh đạo phòng VP", district(f.unitHead), []string{"outVP"}},
		{"lãnh đạo huyện", district(f.leader), []string{"outVP", "outTP", "inTP", "inSecret", "inNew"}},
		{"chuyên viên Tư pháp", district(f.tpSpecialist), []string{"outTP", "inSecret"}},
		{"lãnh đạo phòng Tư pháp", district(f.tpHead), []string{"outTP", "inTP"}},
		{"văn thư xã", commune(f.communeClerk), []string{"commune"}},
		{"lãnh đạo xã", commune(f.communeLeader), []string{"commune"}},
		// Acting in an agency one does not belong to shows nothing.
		{"lãnh đạo xã ở huyện", district(f.communeLeader), nil},
		{"văn thư huyện ở xã", commune(f.clerk), nil},
	}
	for _, c := range cases {
		for name, id := range docs {
			want := slices.Contains(c.sees, name)
			_, err := f.svc.Get(ctx, c.actor, id)
			switch {
			case want && err != nil:
				t.Errorf("%s cannot see %s: %v", c.who, name, err)
			case !want && err == nil:
				t.Errorf("%s sees %s: leak", c.who, name)
			case !want && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden):
				t.Errorf("%s on %s: unexpected error %v", c.who, name, err)
			}
		}
		page, err := f.svc.Search(ctx, c.actor, Query{Limit: 100})
		if c.sees == nil {
			if err == nil && len(page.Items) > 0 {
				t.Errorf("%s lists %d documents, want none", c.who, len(page.Items))
			}
			continue
		}
		must(t, err)
		var listed []string
		for _, d := range page.Items {
			for name, id := range docs {
				if id == d.ID {
					listed = append(listed, name)
				}
			}
		}
		slices.Sort(listed)
		want := slices.Sorted(slices.Values(c.sees))
		if !slices.Equal(listed, want) {
			t.Errorf("%s lists %v, want %v", c.who, listed, want)
		}
	}
}

func (f *fixture) draftBy(t *testing.T, user int64, subject string) int64 {
	t.Helper()
	id, err := f.svc.CreateDraft(context.Background(), f.in(user),
		DraftInput{Document: Document{Type: TypeToTrinh, Subject: subject}, File: samplePDF(t, subject)})
	must(t, err)
	return id
}

func (f *fixture) registerAndAssign(t *testing.T, id int64, lines []AssignmentInput) {
	t.Helper()
	ctx := context.Background()
	_, err := f.svc.Register(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), id, ""))
	must(t, f.svc.Assign(ctx, f.in(f.leader), id, lines, ""))
}
