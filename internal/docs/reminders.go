package docs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reminder tells a person that an assignment is due soon or overdue.
type Reminder struct {
	ID           int64
	DocumentID   int64
	Subject      string
	AssignmentID int64
	Deadline     time.Time
	DaysLeft     int // on the day the reminder was queued; negative when overdue
	QueuedAt     time.Time
}

// QueueReminders queues a reminder (document_reminders) for every open assignment,
// in every agency, that is overdue or due within `within` days: at most one reminder
// per assignment per day, however often it runs (a periodic job calls it). It
// returns how many reminders it queued.
func QueueReminders(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, today time.Time, within int) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			INSERT INTO document_reminders (assignment_id, user_id, unit_id, deadline, days_left, queued_on)
			SELECT x.id, coalesce(x.handler_id, x.user_id), x.unit_id, x.deadline, x.deadline - $1::date, $1::date
			FROM assignments x JOIN documents d ON d.id = x.document_id
			WHERE x.completed_at IS NULL AND x.role <> 'de_biet' AND x.deadline <= $1::date + $2::int
			  AND d.incoming_state IN ('assigned', 'in_progress')
			ORDER BY x.id
			ON CONFLICT (assignment_id, queued_on) DO NOTHING`, today, within)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("docs: unable to queue reminders: %w", err)
	}
	return int(n), nil
}

// Reminders lists the reminders not yet dismissed that concern the actor: as the
// person assigned or handling, or as the head of the assigned unit.
func (s *Service) Reminders(ctx context.Context, a Actor) ([]Reminder, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT r.id, d.id, d.subject, r.assignment_id, r.deadline, r.days_left, r.queued_at
		FROM document_reminders r JOIN assignments x ON x.id = r.assignment_id JOIN documents d ON d.id = x.document_id
		WHERE r.dismissed_at IS NULL AND d.agency_id = @v_agency AND (r.user_id = @v_user OR r.unit_id = @v_unit)
		ORDER BY r.deadline, r.id`, v.args(pgx.NamedArgs{}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list reminders: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Reminder])
}

// DismissReminder marks a reminder of the actor as read.
func (s *Service) DismissReminder(ctx context.Context, a Actor, id int64) error {
	reminders, err := s.Reminders(ctx, a)
	if err != nil {
		return err
	}
	for _, r := range reminders {
		if r.ID == id {
			if _, err := s.Pool.Exec(ctx, `UPDATE document_reminders SET dismissed_at = now() WHERE id = $1`, id); err != nil {
				return fmt.Errorf("docs: unable to dismiss reminder %d: %w", id, err)
			}
			return nil
		}
	}
	return &Error{Kind: ErrNotFound, Message: "Không tìm thấy nhắc việc này.", Detail: fmt.Sprintf("reminder %d is not the actor's", id)}
}
