package docs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// DeadlineItem is an open assignment with its deadline.
type DeadlineItem struct {
	DocumentID    int64
	Subject       string
	ArrivalNumber int
	AssignmentID  int64
	Role          AssignmentRole
	UnitID        int64
	UserID        int64 // the person named, or the handler the unit head named
	Deadline      time.Time
	DaysLeft      int // negative when overdue
}

// Deadlines lists the open assignments (chủ trì and phối hợp) of documents the actor
// may see whose deadline is at most `within` days away; overdue ones come first
// (negative DaysLeft). within = 0 gives the overdue list alone.
func (s *Service) Deadlines(ctx context.Context, a Actor, within int) ([]DeadlineItem, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	today := s.today()
	horizon := today.AddDate(0, 0, within)
	if within == 0 {
		horizon = today.AddDate(0, 0, -1)
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT d.id, d.subject, coalesce(d.arrival_number, 0), x.id, x.role, coalesce(x.unit_id, 0),
			coalesce(x.handler_id, x.user_id, 0), x.deadline, x.deadline - @today::date
		FROM assignments x JOIN documents d ON d.id = x.document_id
		WHERE x.completed_at IS NULL AND x.role <> 'de_biet' AND x.deadline <= @horizon
		  AND d.incoming_state IN ('assigned', 'in_progress') AND `+v.sql()+`
		ORDER BY x.deadline, d.id, x.id`, v.args(pgx.NamedArgs{"today": today, "horizon": horizon}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list deadlines: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (DeadlineItem, error) {
		var it DeadlineItem
		err := row.Scan(&it.DocumentID, &it.Subject, &it.ArrivalNumber, &it.AssignmentID, &it.Role, &it.UnitID,
			&it.UserID, &it.Deadline, &it.DaysLeft)
		return it, err
	})
}
