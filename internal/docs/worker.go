package docs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// ReminderHorizon is how many days before a deadline reminders start.
const ReminderHorizon = 2

// RunWorkers does the background work of the documents until ctx ends: it converts
// pending DOCX drafts to PDF and queues deadline reminders, every interval. Every node
// may run it: conversions are claimed with SKIP LOCKED and reminders are queued at
// most once per assignment and day, so several instances never do anything twice.
func (s *Service) RunWorkers(ctx context.Context, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		s.workOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (s *Service) workOnce(ctx context.Context) {
	if s.Converter.Available() {
		if n, err := s.ConvertPending(ctx, 10); err != nil {
			slog.Error("docs: converting drafts", "err", err)
		} else if n > 0 {
			slog.Info("docs: drafts converted to PDF", "count", n)
		}
	}
	if n, err := QueueReminders(ctx, s.Pool, s.today(), ReminderHorizon); err != nil {
		slog.Error("docs: queueing reminders", "err", err)
	} else if n > 0 {
		slog.Info("docs: deadline reminders queued", "count", n)
	}
}

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

// Reminders lists the reminders not yet dismissed that concern the actor: as the
// person assigned or handling, or as the head of the assigned unit.
func (s *Service) Reminders(ctx context.Context, a Actor) ([]Reminder, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `
		SELECT o.id, o.document_id, d.subject, (o.payload->>'assignment_id')::bigint, o.payload->>'deadline',
			(o.payload->>'days_left')::int, o.created_at
		FROM document_outbox o JOIN documents d ON d.id = o.document_id
		WHERE o.kind = 'reminder' AND o.done_at IS NULL AND d.agency_id = @v_agency
		  AND ((o.payload->>'user_id')::bigint = @v_user OR (o.payload->>'unit_id')::bigint = @v_unit)
		ORDER BY o.payload->>'deadline', o.id`, v.args(pgx.NamedArgs{}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list reminders: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Reminder, error) {
		var r Reminder
		var deadline string
		if err := row.Scan(&r.ID, &r.DocumentID, &r.Subject, &r.AssignmentID, &deadline, &r.DaysLeft, &r.QueuedAt); err != nil {
			return r, err
		}
		r.Deadline, err = time.Parse(time.DateOnly, deadline)
		return r, err
	})
}

// DismissReminder marks a reminder of the actor as read.
func (s *Service) DismissReminder(ctx context.Context, a Actor, id int64) error {
	reminders, err := s.Reminders(ctx, a)
	if err != nil {
		return err
	}
	for _, r := range reminders {
		if r.ID == id {
			_, err := s.Pool.Exec(ctx, `UPDATE document_outbox SET done_at = now() WHERE id = $1`, id)
			return err
		}
	}
	return invalid("Không tìm thấy nhắc việc này.", "reminder %d is not the actor's", id)
}
