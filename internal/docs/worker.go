package docs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// ReminderHorizon is how many days before a deadline reminders start.
const ReminderHorizon = 2

// The periodic jobs of the documents, run by River on whichever node is its elected
// leader: converting pending DOCX drafts to PDF and queueing deadline reminders. Each
// job's work is idempotent (conversions are claimed with SKIP LOCKED, reminders are
// queued at most once per assignment and day), so a retry never does anything twice.
type (
	// ConvertDraftsArgs converts the DOCX drafts waiting for a PDF rendition.
	ConvertDraftsArgs struct{}
	// QueueRemindersArgs queues the reminders of the day.
	QueueRemindersArgs struct{}
	// StampNumbersArgs stamps the issued numbers still missing from their PDFs.
	StampNumbersArgs struct{}
)

// Kind names the job in River's table.
func (StampNumbersArgs) Kind() string { return "docs.stamp_numbers" }

type stampNumbersWorker struct {
	river.WorkerDefaults[StampNumbersArgs]
	svc *Service
}

func (w *stampNumbersWorker) Work(ctx context.Context, _ *river.Job[StampNumbersArgs]) error {
	n, err := w.svc.StampPending(ctx, 10)
	if n > 0 {
		slog.Info("docs: pending number stamps written", "count", n)
	}
	return err
}

// Kind names the job in River's table.
func (ConvertDraftsArgs) Kind() string { return "docs.convert_drafts" }

// Kind names the job in River's table.
func (QueueRemindersArgs) Kind() string { return "docs.queue_reminders" }

type convertDraftsWorker struct {
	river.WorkerDefaults[ConvertDraftsArgs]
	svc *Service
}

// convertBatch is how many conversions one job runs.
const convertBatch = 3

// Timeout gives the job room for its whole batch, each conversion with its own
// shorter limit and the time to record a failure, so that a conversion never outlives
// its job.
func (w *convertDraftsWorker) Timeout(*river.Job[ConvertDraftsArgs]) time.Duration {
	return convertBatch * (w.svc.Converter.timeout() + 30*time.Second)
}

func (w *convertDraftsWorker) Work(ctx context.Context, _ *river.Job[ConvertDraftsArgs]) error {
	if !w.svc.Converter.Available() {
		return nil
	}
	n, err := w.svc.ConvertPending(ctx, convertBatch)
	if n > 0 {
		slog.Info("docs: drafts converted to PDF", "count", n)
	}
	return err
}

type queueRemindersWorker struct {
	river.WorkerDefaults[QueueRemindersArgs]
	svc *Service
}

func (w *queueRemindersWorker) Work(ctx context.Context, _ *river.Job[QueueRemindersArgs]) error {
	n, err := QueueReminders(ctx, w.svc.Pool, w.svc.today(), ReminderHorizon)
	if n > 0 {
		slog.Info("docs: deadline reminders queued", "count", n)
	}
	return err
}

// Jobs registers the documents' workers and returns their periodic schedule:
// conversions and pending number stamps every interval, reminders every hour, all
// once at start.
func (s *Service) Jobs(workers *river.Workers, interval time.Duration) []*river.PeriodicJob {
	river.AddWorker(workers, &convertDraftsWorker{svc: s})
	river.AddWorker(workers, &queueRemindersWorker{svc: s})
	river.AddWorker(workers, &stampNumbersWorker{svc: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) { return StampNumbersArgs{}, nil },
			&river.PeriodicJobOpts{ID: "docs.stamp_numbers", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(interval),
			// Not retried: the next period runs it again, and the outbox counts attempts.
			func() (river.JobArgs, *river.InsertOpts) {
				return ConvertDraftsArgs{}, &river.InsertOpts{MaxAttempts: 1}
			},
			&river.PeriodicJobOpts{ID: "docs.convert_drafts", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return QueueRemindersArgs{}, nil },
			&river.PeriodicJobOpts{ID: "docs.queue_reminders", RunOnStart: true}),
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
	return &Error{Kind: ErrNotFound, Message: "Không tìm thấy nhắc việc này.", Detail: fmt.Sprintf("reminder %d is not the actor's", id)}
}
