package docs

import (
	"context"
	"testing"
	"time"
)

// TestDashboardCountsWhatItsListsShow: the dashboard's month and overdue figures
// count the documents its drill-down lists select.
func TestDashboardCountsWhatItsListsShow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.receive(t, "Về việc rà soát hộ nghèo", "9", nil).DocumentID
	deadline := f.svc.today().AddDate(0, 0, 10)
	f.registerAndAssign(t, id, []AssignmentInput{{Role: RoleLead, UnitID: f.unitTP, Deadline: &deadline}})
	past := f.svc.today().AddDate(0, 0, -1)
	_, err := f.pool.Exec(ctx, `UPDATE documents SET due_date = $1 WHERE id = $2`, past, id) // the deadline passed
	must(t, err)
	f.draft(t, TypeBaoCao, "Báo cáo tháng", nil)

	issued := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // the fixture's issue date of what it receives
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), f.svc.today()
	d, err := f.svc.Dashboard(ctx, f.in(f.leader), from, to)
	must(t, err)
	incoming, outgoing := 0, 0
	for _, m := range d.Months {
		if m.Incoming > 0 && !m.Month.Equal(time.Date(issued.Year(), issued.Month(), 1, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("incoming counted in %s", m.Month)
		}
		incoming, outgoing = incoming+m.Incoming, outgoing+m.Outgoing
	}
	if d.Months[0].Month != from || incoming != 1 || outgoing != 1 {
		t.Errorf("months %+v", d.Months)
	}
	if len(d.Overdue) != 1 || d.Overdue[0] != (UnitCount{f.unitTP, 1}) {
		t.Errorf("overdue by unit %+v", d.Overdue)
	}
	listed, err := f.svc.Search(ctx, f.in(f.leader), Query{Direction: Incoming, UnitID: f.unitTP, Deadline: DeadlineOverdue})
	must(t, err)
	if len(listed.Items) != 1 || listed.Items[0].ID != id {
		t.Errorf("the overdue list of the unit holds %d documents", len(listed.Items))
	}
	if _, err := f.svc.Dashboard(ctx, f.in(f.specialist), from, to); err == nil {
		t.Error("a specialist read the leaders' dashboard")
	}
}
