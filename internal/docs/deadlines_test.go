package docs

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestDeadlinesRemindersAndStatistics(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, vietnam)
	clock := start
	f.svc.Now = func() time.Time { return clock }
	day := func(n int) *time.Time { d := f.svc.today().AddDate(0, 0, n); return &d }

	// A: Tư pháp, due in 2 days, completed tomorrow (on time).
	a := f.receive(t, "Văn bản A", "1", nil).DocumentID
	f.registerAndAssign(t, a, []AssignmentInput{{Role: RoleLead, UnitID: f.unitTP, Deadline: day(2)}})
	// B: the Tư pháp specialist in person, due tomorrow, never done (overdue later).
	b := f.receive(t, "Văn bản B", "2", nil).DocumentID
	f.registerAndAssign(t, b, []AssignmentInput{{Role: RoleLead, UserID: f.tpSpecialist, Deadline: day(1)},
		{Role: RoleCoordinate, UnitID: f.unitVP, Deadline: day(1)}})
	// C: a paper document not scanned, Tư pháp, due in 3 days, completed after 6 (late).
	c, err := f.svc.Receive(ctx, f.in(f.clerk), ReceiveInput{Document: Document{Type: TypeThongBao, Subject: "Văn bản C giấy", Paper: true}})
	must(t, err)
	f.registerAndAssign(t, c.DocumentID, []AssignmentInput{{Role: RoleLead, UnitID: f.unitTP, Deadline: day(3)}})
	// D: due in 20 days, open.
	d := f.receive(t, "Văn bản D", "4", nil).DocumentID
	f.registerAndAssign(t, d, []AssignmentInput{{Role: RoleLead, UnitID: f.unitVP, Deadline: day(20)}})

	leads := map[int64]int64{}
	for _, id := range []int64{a, c.DocumentID} {
		as, err := Assignments(ctx, f.pool, id)
		must(t, err)
		leads[id] = as[0].ID
		must(t, f.svc.AssignHandler(ctx, f.in(f.tpHead), as[0].ID, f.tpSpecialist))
	}
	clock = start.AddDate(0, 0, 1)
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), leads[a], 100, "Xong"))
	must(t, f.svc.Complete(ctx, f.in(f.tpSpecialist), a, "", 0))

	clock = start.AddDate(0, 0, 2)
	soon, err := f.svc.Deadlines(ctx, f.in(f.leader), 1)
	must(t, err)
	// B (lead and coordination) overdue by one day, C due tomorrow.
	if len(soon) != 3 || soon[0].DocumentID != b || soon[0].DaysLeft != -1 || soon[2].DocumentID != c.DocumentID || soon[2].DaysLeft != 1 {
		t.Fatalf("due soon %+v", soon)
	}
	overdue, err := f.svc.Deadlines(ctx, f.in(f.tpSpecialist), 0)
	must(t, err)
	// The specialist sees document B, so both its overdue lines (lead and coordination).
	if len(overdue) != 2 || overdue[0].DocumentID != b || overdue[0].UserID != f.tpSpecialist || overdue[1].DocumentID != b {
		t.Fatalf("overdue for the specialist %+v", overdue)
	}
	n, err := QueueReminders(ctx, f.pool, f.svc.today(), 1)
	must(t, err)
	again, err := QueueReminders(ctx, f.pool, f.svc.today(), 1)
	must(t, err)
	if n != 3 || again != 0 {
		t.Fatalf("queued %d reminders then %d, want 3 then 0", n, again)
	}
	mine, err := f.svc.Reminders(ctx, f.in(f.tpSpecialist))
	must(t, err)
	vp, err := f.svc.Reminders(ctx, f.in(f.unitHead))
	must(t, err)
	if len(mine) != 2 || mine[0].DocumentID != b || mine[0].DaysLeft != -1 || len(vp) != 1 || vp[0].DocumentID != b {
		t.Fatalf("reminders: specialist %+v, head of VP %+v", mine, vp)
	}
	if err := f.svc.DismissReminder(ctx, f.in(f.tpSpecialist), vp[0].ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("dismissing someone else's reminder: %v", err)
	}
	must(t, f.svc.DismissReminder(ctx, f.in(f.tpSpecialist), mine[0].ID))
	mine, err = f.svc.Reminders(ctx, f.in(f.tpSpecialist))
	must(t, err)
	if len(mine) != 1 {
		t.Fatalf("%d reminders after dismissing one of two", len(mine))
	}

	clock = start.AddDate(0, 0, 3)
	must(t, (&queueRemindersWorker{svc: f.svc}).Work(ctx, nil)) // the periodic job: a new day, new reminders (B overdue, C due today)
	mine, err = f.svc.Reminders(ctx, f.in(f.tpSpecialist))
	must(t, err)
	if len(mine) != 3 {
		t.Fatalf("%d reminders after the worker ran on a new day, want 3", len(mine))
	}

	clock = start.AddDate(0, 0, 6)
	must(t, f.svc.ReportProgress(ctx, f.in(f.tpSpecialist), leads[c.DocumentID], 60, ""))
	must(t, f.svc.Complete(ctx, f.in(f.tpSpecialist), c.DocumentID, "", 0))

	if _, err := f.svc.Statistics(ctx, f.in(f.specialist), start, clock); !errors.Is(err, ErrForbidden) {
		t.Fatalf("statistics for a specialist: %v", err)
	}
	st, err := f.svc.Statistics(ctx, f.in(f.leader), start, clock)
	must(t, err)
	want := HandlingStats{Assigned: 4, OnTime: 1, Late: 1, Overdue: 1, Open: 1, Online: 3, Digitised: 3}
	if st.Total != want {
		t.Fatalf("total %+v, want %+v", st.Total, want)
	}
	if got := st.Total.OnTimeShare(); got < 33.3 || got > 33.4 {
		t.Fatalf("on-time share %.2f%%, want 33.33%%", got)
	}
	var tp HandlingStats
	for _, u := range st.Units {
		if u.UnitID == f.unitTP {
			tp = u
		}
	}
	// B was assigned to the specialist in person: counted in Tư pháp through membership.
	if tp.Assigned != 3 || tp.OnTime != 1 || tp.Late != 1 || tp.Overdue != 1 || tp.Digitised != 2 {
		t.Fatalf("Tư pháp %+v", tp)
	}
	var person HandlingStats
	for _, p := range st.Persons {
		if p.UserID == f.tpSpecialist {
			person = p
		}
	}
	if person.Assigned != 3 || person.OnTime != 1 {
		t.Fatalf("specialist %+v", person)
	}
}
