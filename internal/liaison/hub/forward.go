package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// forwardMaxAttempts is how often a delivery is tried, with River's exponential
// backoff (attempt⁴ seconds): about three days before it fails for good.
const forwardMaxAttempts = 25

// ForwardArgs forwards one delivery to its next hop.
type ForwardArgs struct {
	Delivery int64 `json:"delivery"`
}

// Kind names the job in River's table.
func (ForwardArgs) Kind() string { return "hub.forward" }

// InsertOpts puts forwarding on the hub queue with its attempts.
func (ForwardArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHub, MaxAttempts: forwardMaxAttempts}
}

// delivery is a delivery with what forwarding it needs from its package.
type delivery struct {
	ID         int64
	Recipient  string
	NextHop    string
	State      string
	Staging    uuid.UUID
	PackageID  string
	From       string
	DocumentID string
	Kind       string
	Size       int64
	ReceiptID  string
	ReceivedAt time.Time
	Hops       []wire.Hop
	member     *hop // the next hop's member row when it is an enabled member
}

// loadDelivery reads a delivery, its package and, in the same query, its next
// hop's member row (see nextHop).
func (h *Hub) loadDelivery(ctx context.Context, id int64) (delivery, error) {
	var d delivery
	var role, endpoint, spki *string
	err := h.Pool.QueryRow(ctx, `
		SELECT d.id, d.recipient, d.next_hop, d.state, p.staging_id, p.package_id, p.from_organ, p.document_id, p.kind, p.size,
		       p.receipt_id, p.received_at, p.hops, m.role, m.endpoint, m.spki
		FROM hub_deliveries d JOIN hub_packages p ON p.id = d.package
		LEFT JOIN hub_members m ON m.name = d.next_hop AND m.enabled
		WHERE d.id = $1`, id).Scan(
		&d.ID, &d.Recipient, &d.NextHop, &d.State, &d.Staging, &d.PackageID, &d.From, &d.DocumentID, &d.Kind, &d.Size,
		&d.ReceiptID, &d.ReceivedAt, &d.Hops, &role, &endpoint, &spki)
	if err != nil {
		return d, fmt.Errorf("hub: unable to load delivery %d: %w", id, err)
	}
	if role != nil {
		d.member = &hop{Name: d.NextHop, Role: *role, Endpoint: *endpoint, SPKI: *spki}
	}
	return d, nil
}

// nextHop is where the delivery goes: the uplink by its name, else the enabled
// member loadDelivery found.
func (h *Hub) nextHop(d delivery) (hop, error) {
	switch {
	case h.Uplink != nil && h.Uplink.Name() == d.NextHop:
		return hop{Name: d.NextHop, Role: roleUplink}, nil
	case d.member == nil:
		return hop{}, fmt.Errorf("%w: %s is no longer a member", errUnroutable, d.NextHop)
	}
	return *d.member, nil
}

// senderReceipt is the receipt id the sender got: the first hub's on its way.
func (d delivery) senderReceipt() string {
	if len(d.Hops) > 0 {
		return d.Hops[0].ReceiptID
	}
	return d.ReceiptID
}

func (d delivery) log() *slog.Logger {
	return slog.With("document_id", d.DocumentID, "package_id", d.PackageID, "recipient", d.Recipient, "next_hop", d.NextHop)
}

type forwardWorker struct {
	river.WorkerDefaults[ForwardArgs]
	hub *Hub
}

// Timeout leaves room for a large package on a slow link.
func (w *forwardWorker) Timeout(*river.Job[ForwardArgs]) time.Duration { return w.hub.forwardTimeout() }

func (w *forwardWorker) Work(ctx context.Context, job *river.Job[ForwardArgs]) error {
	h := w.hub
	d, err := h.loadDelivery(ctx, job.Args.Delivery)
	if err != nil {
		return err
	}
	if d.State != "pending" {
		return h.completeJob(ctx, job, func(pgx.Tx) error { return nil })
	}
	receiptID, err := h.send(ctx, d)
	return h.recordOutcome(ctx, job, d, receiptID, err)
}

// send streams the staged package to the next hop; the error is a *wire.Refusal
// when the next hop refused it for good.
func (h *Hub) send(ctx context.Context, d delivery) (string, error) {
	next, err := h.nextHop(d)
	if err != nil {
		return "", refusal(wire.CodeWrongRecipient, err.Error())
	}
	body := newChunkReader(ctx, h.Pool, d.Staging, d.Size)
	if next.Role == roleUplink {
		kind := liaison.KindDocument
		if d.Kind == liaison.KindStatus.String() {
			kind = liaison.KindStatus
		}
		return h.Uplink.Forward(ctx, wire.Forwarded{Body: body, Size: d.Size, PackageID: d.PackageID, From: d.From,
			DocumentID: d.DocumentID, Recipients: []string{d.Recipient}, Kind: kind})
	}
	client := h.clientFor(next.Endpoint, next.SPKI)
	receipt, err := client.Send(ctx, wire.Outgoing{Body: body, Length: d.Size, PackageID: d.PackageID, Recipient: d.Recipient, Hops: d.Hops})
	return receipt.ReceiptID, err
}

// recordOutcome writes what became of an attempt and completes the job in the same
// transaction; a temporary failure before the last attempt is returned for River to
// retry.
func (h *Hub) recordOutcome(ctx context.Context, job *river.Job[ForwardArgs], d delivery, receiptID string, sendErr error) error {
	if sendErr == nil {
		err := h.completeJob(ctx, job, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `UPDATE hub_deliveries SET state = 'delivered', next_receipt_id = $2, delivered_at = now(),
				attempts = $3, error_code = '', last_error = '', updated_at = now() WHERE id = $1`, d.ID, receiptID, job.Attempt)
			return err
		})
		if err == nil {
			h.metrics.out.WithLabelValues(d.NextHop).Inc()
			h.metrics.latency.Observe(time.Since(d.ReceivedAt).Seconds())
			d.log().Info("hub: package delivered", "receipt_id", receiptID, "attempt", job.Attempt)
			if h.hopChecks.due(d.NextHop, job.Attempt > 1, time.Now()) {
				h.retryWaitingFor(ctx, d.NextHop)
			}
		}
		return err
	}
	var ref *wire.Refusal
	if !errors.As(sendErr, &ref) && job.Attempt < job.MaxAttempts {
		d.log().Warn("hub: delivery failed, will retry", "attempt", job.Attempt, "err", sendErr)
		h.hopChecks.failed(d.NextHop)
		if _, err := h.Pool.Exec(ctx, `UPDATE hub_deliveries SET attempts = $2, last_error = $3, updated_at = now() WHERE id = $1`,
			d.ID, job.Attempt, sendErr.Error()); err != nil {
			return errors.Join(sendErr, err)
		}
		return sendErr
	}
	code := wire.CodeUnavailable
	if ref != nil {
		code = ref.Code
	}
	return h.fail(ctx, job, d, code, sendErr)
}

// fail marks the delivery failed for good and queues a report to the sender.
func (h *Hub) fail(ctx context.Context, job *river.Job[ForwardArgs], d delivery, code string, cause error) error {
	report := wire.Report{PackageID: d.PackageID, DocumentID: d.DocumentID, From: d.From, Recipient: d.Recipient, Code: code,
		Message: cause.Error(), ReportedBy: h.Name, ReportedAt: time.Now().UTC(), OriginalRef: d.senderReceipt()}
	err := h.completeJob(ctx, job, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE hub_deliveries SET state = 'failed', attempts = $2, error_code = $3, last_error = $4,
			updated_at = now() WHERE id = $1`, d.ID, job.Attempt, code, cause.Error()); err != nil {
			return err
		}
		_, err := h.jobs.InsertTx(ctx, tx, ReportArgs{Report: report}, nil)
		return err
	})
	if err == nil {
		h.metrics.failed.WithLabelValues(d.NextHop).Inc()
		d.log().Error("hub: delivery failed for good, reporting to the sender", "code", code, "err", cause, "attempt", job.Attempt)
	}
	return err
}

// completeJob runs write and completes the job in one transaction.
func (h *Hub) completeJob(ctx context.Context, job *river.Job[ForwardArgs], write func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

// retryWaitingFor makes the forwards to hop that wait out a backoff run now: a
// delivery to it just succeeded, so it is back. Without this a package whose
// attempts failed while the hop, this hub or the database was down (a job rescued
// after a crash counts one more failure) waits out River's exponential backoff,
// minutes after the hop returned. Best effort: the backoff still retries them.
func (h *Hub) retryWaitingFor(ctx context.Context, hop string) {
	ids, err := h.waitingFor(ctx, hop)
	for i := 0; err == nil && i < len(ids); i++ {
		_, err = h.jobs.JobRetry(ctx, ids[i])
	}
	if err != nil {
		slog.Warn("hub: unable to retry the forwards waiting for a hop that is back", "next_hop", hop, "err", err)
	} else if len(ids) > 0 {
		slog.Info("hub: forwards waiting for a hop that is back retried now", "next_hop", hop, "count", len(ids))
	}
}

// hopChecks decides when a delivery that succeeded looks for the forwards waiting
// for its hop: after a failure to that hop seen here, when the delivery itself had
// waited (a retry, or a job rescued after a crash), and otherwise at most once per
// hopCheckInterval — the failures another instance saw are caught within it —,
// instead of one query over River's jobs per package.
type hopChecks struct {
	mu      sync.Mutex
	checked map[string]time.Time
	failing map[string]bool
}

// hopCheckInterval bounds how long a forward waiting out a backoff can miss that
// its hop is back because the failures were seen by another instance.
const hopCheckInterval = time.Second

// due reports whether the forwards waiting for hop should be looked for now, and
// if so records the look.
func (c *hopChecks) due(hop string, retried bool, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	last, seen := c.checked[hop]
	if !retried && !c.failing[hop] && seen && now.Sub(last) < hopCheckInterval {
		return false
	}
	c.makeMaps()
	c.checked[hop], c.failing[hop] = now, false
	return true
}

// failed records that a forward to hop failed and will be retried.
func (c *hopChecks) failed(hop string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.makeMaps()
	c.failing[hop] = true
}

func (c *hopChecks) makeMaps() {
	if c.checked == nil {
		c.checked, c.failing = map[string]time.Time{}, map[string]bool{}
	}
}

// waitingFor lists the forwarding jobs of pending deliveries to hop that wait out
// a backoff.
func (h *Hub) waitingFor(ctx context.Context, hop string) ([]int64, error) {
	rows, _ := h.Pool.Query(ctx, `
		SELECT j.id FROM river_job j JOIN hub_deliveries d ON d.id = (j.args->>'delivery')::bigint
		WHERE j.kind = $1 AND j.state = 'retryable' AND d.next_hop = $2 AND d.state = 'pending'`, ForwardArgs{}.Kind(), hop)
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64]) // a failed query's error comes with its rows
	if err != nil {
		return nil, fmt.Errorf("hub: unable to list the forwards waiting for %s: %w", hop, err)
	}
	return ids, nil
}
