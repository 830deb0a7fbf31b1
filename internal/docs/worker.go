package docs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// ReminderHorizon is how many days before a deadline reminders start.
const ReminderHorizon = 2

// The documents' background work in River: one job per DOCX version to convert
// (ConvertDocxArgs, inserted by the upload), and the periodic jobs run on whichever
// node is River's elected leader, stamping pending numbers and queueing deadline
// reminders. Each job's work is idempotent (a conversion completes in the
// transaction that stores its PDF, reminders are queued at most once per assignment
// and day), so a retry never does anything twice.
type (
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
func (QueueRemindersArgs) Kind() string { return "docs.queue_reminders" }

type convertDocxWorker struct {
	river.WorkerDefaults[ConvertDocxArgs]
	svc *Service
}

// Timeout gives the job the conversion's own limit and the time to store the PDF or
// record the failure, so that a conversion never outlives its job.
func (w *convertDocxWorker) Timeout(*river.Job[ConvertDocxArgs]) time.Duration {
	return w.svc.Converter.timeout() + 30*time.Second
}

// Work converts; a DOCX that can never convert is cancelled at once rather than
// tried again, and a failure for good is recorded for the drafter.
func (w *convertDocxWorker) Work(ctx context.Context, job *river.Job[ConvertDocxArgs]) error {
	err := w.svc.convertDocx(ctx, job)
	if err == nil {
		return nil
	}
	if recErr := w.svc.conversionGaveUp(ctx, job, err); recErr != nil {
		return errors.Join(err, recErr)
	}
	if errors.Is(err, ErrUnconvertible) {
		return river.JobCancel(err)
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
// pending number stamps every interval, reminders every hour, both once at start.
func (s *Service) Jobs(workers *river.Workers, interval time.Duration) []*river.PeriodicJob {
	river.AddWorker(workers, &convertDocxWorker{svc: s})
	river.AddWorker(workers, &queueRemindersWorker{svc: s})
	river.AddWorker(workers, &stampNumbersWorker{svc: s})
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(interval),
			func() (river.JobArgs, *river.InsertOpts) { return StampNumbersArgs{}, nil },
			&river.PeriodicJobOpts{ID: "docs.stamp_numbers", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return QueueRemindersArgs{}, nil },
			&river.PeriodicJobOpts{ID: "docs.queue_reminders", RunOnStart: true}),
	}
}
