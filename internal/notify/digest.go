package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/store"
)

// DeadlineHorizon is how many days before an assignment's deadline its handler is
// notified.
const DeadlineHorizon = 2

// DigestArgs runs the morning digest: it notifies the handlers of assignments due
// soon or overdue, then e-mails everyone who wants e-mail the list of what they have
// not read.
type DigestArgs struct{}

// Kind names the job in River's table.
func (DigestArgs) Kind() string { return "notify.digest" }

// InsertOpts keeps to one digest a day, whichever node runs it.
func (DigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 20 * time.Hour}}
}

// vietnam is the time zone the digest's morning and dates are in (UTC+7).
var vietnam = time.FixedZone("ICT", 7*3600)

// digestHour is when the digest goes out, Vietnam time.
const digestHour = 7

// morning is the periodic schedule of the digest: every day at digestHour.
type morning struct{}

func (morning) Next(t time.Time) time.Time {
	t = t.In(vietnam)
	next := time.Date(t.Year(), t.Month(), t.Day(), digestHour, 0, 0, 0, vietnam)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Register adds the e-mail and digest workers and returns the digest's periodic job.
func Register(workers *river.Workers, pool *pgxpool.Pool, mailer *Mailer) []*river.PeriodicJob {
	river.AddWorker(workers, &emailWorker{mailer: mailer})
	river.AddWorker(workers, &digestWorker{pool: pool})
	return []*river.PeriodicJob{river.NewPeriodicJob(morning{},
		func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil },
		&river.PeriodicJobOpts{ID: "notify.digest"})}
}

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	pool *pgxpool.Pool
}

// Work notifies the deadlines, queues the digests and completes the job in one
// transaction, so a retry repeats nothing.
func (w *digestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	jobs := river.ClientFromContext[pgx.Tx](ctx)
	return store.InTx(ctx, w.pool, func(tx pgx.Tx) error {
		if _, err := Digest(ctx, tx, jobs, time.Now()); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

// Digest notifies the handlers of open assignments due within DeadlineHorizon days
// or overdue (once a day each), then queues one e-mail per person who wants e-mail,
// has an address and has unread notifications, listing them. It returns how many
// digests it queued.
func Digest(ctx context.Context, tx pgx.Tx, jobs Inserter, now time.Time) (int, error) {
	today := now.In(vietnam)
	if err := notifyDeadlines(ctx, tx, today); err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `
		SELECT u.email, count(*), string_agg('• ' || n.text, E'\n' ORDER BY n.id)
		FROM notifications n JOIN users u ON u.id = n.user_id
		LEFT JOIN notification_settings s ON s.user_id = u.id
		WHERE n.read_at IS NULL AND u.disabled_at IS NULL AND u.email <> '' AND coalesce(s.email_mode, $1) <> 'off'
		GROUP BY u.id, u.email ORDER BY u.id`, string(DefaultMode))
	if err != nil {
		return 0, fmt.Errorf("notify: unable to gather the digests: %w", err)
	}
	type digest struct {
		Email string
		Count int
		Lines string
	}
	digests, err := pgx.CollectRows(rows, pgx.RowToStructByPos[digest])
	if err != nil {
		return 0, fmt.Errorf("notify: unable to gather the digests: %w", err)
	}
	for _, d := range digests {
		e := EmailArgs{To: d.Email,
			Subject: fmt.Sprintf("Tóm tắt ngày %s: %d việc đang chờ bạn", today.Format("02/01/2006"), d.Count),
			Body:    "Các việc đang chờ bạn trong edms:\n\n" + d.Lines + "\n\nĐăng nhập edms để xem và xử lý."}
		if _, err := jobs.InsertTx(ctx, tx, e, nil); err != nil {
			return 0, fmt.Errorf("notify: unable to queue the digest to %s: %w", d.Email, err)
		}
	}
	return len(digests), nil
}

// notifyDeadlines notifies each handler of an open assignment due soon or overdue,
// at most once a day per person and document.
func notifyDeadlines(ctx context.Context, tx pgx.Tx, today time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO notifications (user_id, document_id, kind, text)
		SELECT DISTINCT ON (h.user_id, d.id) h.user_id, d.id, $3,
		       CASE WHEN x.deadline < $1::date THEN 'Quá hạn xử lý (hạn ' ELSE 'Sắp đến hạn xử lý (hạn ' END
		       || to_char(x.deadline, 'DD/MM/YYYY') || '): ' || d.subject
		FROM assignments x JOIN documents d ON d.id = x.document_id
		CROSS JOIN LATERAL (SELECT coalesce(x.handler_id, x.user_id) AS user_id) h
		WHERE h.user_id IS NOT NULL AND x.completed_at IS NULL AND x.role <> 'de_biet'
		  AND x.deadline <= $1::date + $2::int AND d.incoming_state IN ('assigned', 'in_progress')
		  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.user_id = h.user_id AND n.document_id = d.id
		                  AND n.kind = $3 AND n.created_at >= $1::date)
		ORDER BY h.user_id, d.id, x.deadline`, today.Format(time.DateOnly), DeadlineHorizon, string(Deadline))
	if err != nil {
		return fmt.Errorf("notify: unable to notify deadlines: %w", err)
	}
	return nil
}
