package docs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
)

// ExchangeQueue is what an operator sees of the exchange's River queue for one
// agency: how many of its jobs are in each state, how long the oldest waiting job
// has waited, and the latest failures.
type ExchangeQueue struct {
	Counts        map[string]int // by River state: available, running, retryable, discarded, cancelled
	OldestWaiting *time.Time     // when the oldest job not yet run or retried was queued; nil when none waits
	Failures      []QueueFailure // latest first, at most queueFailuresShown
}

// QueueStates are the River states the operator page counts, in the order shown.
var QueueStates = []string{"available", "running", "retryable", "discarded", "cancelled"}

// QueueFailure is a job of the exchange, not completed, whose last attempt failed.
type QueueFailure struct {
	JobID       int64
	Kind        string // exchange.send_package or exchange.send_status
	State       string // retryable (will be tried again), discarded (gave up), cancelled...
	DocumentID  int64
	Subject     string
	Recipient   string // the recipient's OrganId, or the sender a status goes to
	Attempt     int
	MaxAttempts int
	Error       string
	At          time.Time // of the last failed attempt
}

const queueFailuresShown = 50

// exchangeJobs selects the exchange's jobs that concern an agency, its outgoing
// packages and the statuses it reports, in every state but completed (River keeps
// completed jobs for a day: at the exchange's rates, far more rows than the page
// needs; the state comes first in River's fetching index).
const exchangeJobs = `
	SELECT j.*, d.id AS doc_id, coalesce(d.subject, '') AS subject
	FROM river_job j LEFT JOIN documents d ON d.id = (j.args->>'document_id')::bigint
	WHERE j.state IN ('available', 'running', 'retryable', 'discarded', 'cancelled', 'scheduled', 'pending')
	  AND j.queue = @queue AND coalesce((j.args->>'agency_id')::bigint, d.agency_id) = @agency`

// ExchangeQueueOf reads the exchange queue of the actor's agency, for its
// administrator.
func (s *Service) ExchangeQueueOf(ctx context.Context, a Actor) (*ExchangeQueue, error) {
	if err := s.require(a, access.OrgManage, "quản trị"); err != nil {
		return nil, err
	}
	args := pgx.NamedArgs{"queue": QueueExchange, "agency": a.AgencyID}
	q := &ExchangeQueue{Counts: map[string]int{}}
	rows, err := s.Pool.Query(ctx, `WITH jobs AS (`+exchangeJobs+`)
		SELECT state::text, count(*), min(created_at) FILTER (WHERE state IN ('available', 'retryable', 'scheduled'))
		FROM jobs GROUP BY state`, args)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to count the exchange's jobs: %w", err)
	}
	var state string
	var count int
	var oldest *time.Time
	_, err = pgx.ForEachRow(rows, []any{&state, &count, &oldest}, func() error {
		q.Counts[state] = count
		if oldest != nil && (q.OldestWaiting == nil || oldest.Before(*q.OldestWaiting)) {
			q.OldestWaiting = oldest
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("docs: unable to count the exchange's jobs: %w", err)
	}
	if q.Failures, err = s.queueFailures(ctx, args); err != nil {
		return nil, err
	}
	return q, nil
}

func (s *Service) queueFailures(ctx context.Context, args pgx.NamedArgs) ([]QueueFailure, error) {
	args["limit"] = queueFailuresShown
	rows, err := s.Pool.Query(ctx, `WITH jobs AS (`+exchangeJobs+`)
		SELECT id, kind, state::text, coalesce(doc_id, 0), subject, coalesce(args->>'recipient', args->>'to', ''),
			attempt, max_attempts, errors[cardinality(errors)]->>'error', (errors[cardinality(errors)]->>'at')::timestamptz
		FROM jobs WHERE cardinality(errors) > 0
		ORDER BY (errors[cardinality(errors)]->>'at')::timestamptz DESC, id DESC LIMIT @limit`, args)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the exchange's failures: %w", err)
	}
	failures, err := pgx.CollectRows(rows, pgx.RowToStructByPos[QueueFailure])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the exchange's failures: %w", err)
	}
	return failures, nil
}
