package exchange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/store"
)

// Messages a clerk reads when a delivery fails for good.
const (
	msgNoHub       = "Nút chưa được kết nối với trục liên thông."
	msgSecret      = "Văn bản mật không được gửi qua trục liên thông; hãy gửi bản giấy."
	msgNoAgencyKey = "Cơ quan chưa có khóa ký số nên không gửi được gói tin qua trục liên thông."
)

// Kinds of the sending log.
const (
	kindPackage = "package"
	kindStatus  = "status"
)

// delivery is one package on its way to one recipient, as the sending log and the
// metrics see it.
type delivery struct {
	kind       string
	packageID  string
	recipient  string
	documentID int64
	createdAt  time.Time
	lastTry    bool
}

func (d delivery) logger() *slog.Logger {
	return slog.With("document_id", d.documentID, "package_id", d.packageID, "recipient", d.recipient, "kind", d.kind)
}

func deliveryOf[T river.JobArgs](job *river.Job[T], kind, packageID, recipient string, documentID int64) delivery {
	return delivery{kind: kind, packageID: packageID, recipient: recipient, documentID: documentID,
		createdAt: job.CreatedAt, lastTry: job.Attempt >= job.MaxAttempts}
}

// outcome is what the documents record when a delivery settles.
type outcome struct {
	sent   func(ctx context.Context, tx pgx.Tx, receipt wire.Receipt) error
	failed func(ctx context.Context, tx pgx.Tx, reason string) error
}

// settle records what became of a delivery: a receipt or a refusal in one
// transaction with the job's completion; a temporary failure is returned for River
// to retry with backoff, except at the last attempt, where it is recorded as failed
// first.
func settle[T river.JobArgs](ctx context.Context, l *Link, job *river.Job[T], d delivery, out outcome, receipt wire.Receipt, sendErr error) error {
	log := d.logger()
	var refused *wire.Refusal
	switch {
	case sendErr == nil:
		l.Metrics.sent(l.hubName(), d.kind, time.Since(d.createdAt))
		log.Info("exchange: package delivered", "receipt_id", receipt.ReceiptID, "duplicate", receipt.Duplicate)
		return complete(ctx, l, job, d, func(tx pgx.Tx) error {
			if err := recordOutbound(ctx, tx, d, "sent", receipt, ""); err != nil {
				return err
			}
			return out.sent(ctx, tx, receipt)
		})
	case errors.As(sendErr, &refused):
		l.Metrics.failed(l.hubName(), d.kind)
		log.Warn("exchange: package refused", "code", refused.Code, "message", refused.Message)
		return fail(ctx, l, job, d, out, refused.Message)
	case d.lastTry:
		l.Metrics.failed(l.hubName(), d.kind)
		log.Error("exchange: package given up after its last attempt", "error", sendErr)
		return unsettled(ctx, l, d, sendErr, "failed", func(tx pgx.Tx) error {
			return out.failed(ctx, tx, "Không gửi được sau nhiều lần thử: "+sendErr.Error())
		})
	default:
		log.Warn("exchange: package not delivered, will retry", "error", sendErr)
		return unsettled(ctx, l, d, sendErr, "pending", func(pgx.Tx) error { return nil })
	}
}

// unsettled records an attempt that failed for now, with what else the state
// calls for, and returns its error: River retries the job, or discards it after
// its last attempt.
func unsettled(ctx context.Context, l *Link, d delivery, sendErr error, state string, also func(pgx.Tx) error) error {
	err := store.InTx(ctx, l.Pool, func(tx pgx.Tx) error {
		if err := recordOutbound(ctx, tx, d, state, wire.Receipt{}, sendErr.Error()); err != nil {
			return err
		}
		return also(tx)
	})
	return errors.Join(sendErr, err)
}

// fail records a delivery that will never succeed and completes its job: no retry.
func fail[T river.JobArgs](ctx context.Context, l *Link, job *river.Job[T], d delivery, out outcome, reason string) error {
	return complete(ctx, l, job, d, func(tx pgx.Tx) error {
		if err := recordOutbound(ctx, tx, d, "failed", wire.Receipt{}, reason); err != nil {
			return err
		}
		return out.failed(ctx, tx, reason)
	})
}

// complete runs record and completes the job in one transaction.
func complete[T river.JobArgs](ctx context.Context, l *Link, job *river.Job[T], d delivery, record func(tx pgx.Tx) error) error {
	return store.InTx(ctx, l.Pool, func(tx pgx.Tx) error {
		if err := record(tx); err != nil {
			return err
		}
		if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
			return fmt.Errorf("exchange: unable to complete the job of package %s: %w", d.packageID, err)
		}
		return nil
	})
}

// enterOutbound puts a delivery in the sending log, if it is not there yet.
func enterOutbound(ctx context.Context, tx pgx.Tx, d delivery) error {
	_, err := tx.Exec(ctx, `INSERT INTO exchange_outbound (package_id, recipient, kind, document_id)
		VALUES ($1, $2, $3, $4) ON CONFLICT (package_id, recipient) DO NOTHING`, d.packageID, d.recipient, d.kind, d.documentID)
	if err != nil {
		return fmt.Errorf("exchange: unable to enter package %s in the sending log: %w", d.packageID, err)
	}
	return nil
}

// recordOutbound writes the delivery's latest attempt to the sending log.
func recordOutbound(ctx context.Context, tx pgx.Tx, d delivery, state string, receipt wire.Receipt, lastError string) error {
	var hubReceivedAt *time.Time
	if !receipt.ReceivedAt.IsZero() {
		hubReceivedAt = &receipt.ReceivedAt
	}
	var documentID *int64
	if d.documentID != 0 {
		documentID = &d.documentID
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO exchange_outbound (package_id, recipient, kind, document_id, state, receipt_id, hub_received_at, attempts, last_error)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)
		ON CONFLICT (package_id, recipient) DO UPDATE SET state = excluded.state, receipt_id = excluded.receipt_id,
			hub_received_at = excluded.hub_received_at, attempts = exchange_outbound.attempts + 1,
			last_error = excluded.last_error, updated_at = now()`,
		d.packageID, d.recipient, d.kind, documentID, state, receipt.ReceiptID, hubReceivedAt, lastError)
	if err != nil {
		return fmt.Errorf("exchange: unable to record package %s in the sending log: %w", d.packageID, err)
	}
	return nil
}

// post sends a built package to the hub.
func (l *Link) post(ctx context.Context, built *Built, packageID, recipient string) (wire.Receipt, error) {
	return l.Hub.Send(ctx, wire.Outgoing{Body: built, Length: built.Size, PackageID: packageID, Recipient: recipient})
}

// sendTimeout bounds one delivery attempt: building, signing and posting a package
// of tens of megabytes.
const sendTimeout = 10 * time.Minute

type sendPackageWorker struct {
	river.WorkerDefaults[docs.SendPackageArgs]
	l *Link
}

func (w *sendPackageWorker) Timeout(*river.Job[docs.SendPackageArgs]) time.Duration {
	return sendTimeout
}

// Work builds, signs and posts one document package to the hub, outside any
// transaction, then records the outcome with the job's completion.
func (w *sendPackageWorker) Work(ctx context.Context, job *river.Job[docs.SendPackageArgs]) error {
	l, a := w.l, job.Args
	d := deliveryOf(job, kindPackage, a.PackageID, a.Recipient, a.DocumentID)
	out := outcome{
		sent: func(ctx context.Context, tx pgx.Tx, r wire.Receipt) error {
			return l.Docs.MarkSent(ctx, tx, a.DocumentID, a.Recipient, r.ReceiptID)
		},
		failed: func(ctx context.Context, tx pgx.Tx, reason string) error {
			return l.Docs.MarkFailed(ctx, tx, a.DocumentID, a.Recipient, reason)
		},
	}
	if l.Hub == nil {
		return fail(ctx, l, job, d, out, msgNoHub)
	}
	rec, business, err := l.loadOutgoing(ctx, a, d)
	if err != nil {
		return err
	}
	if rec.Secrecy.Secret() {
		return fail(ctx, l, job, d, out, msgSecret)
	}
	built, err := l.Packer.Document(ctx, rec, business, l.now())
	if errors.Is(err, ErrNotExportable) {
		return fail(ctx, l, job, d, out, "Không tạo được gói tin: "+err.Error())
	}
	if err != nil {
		return err
	}
	defer built.Close()
	if !built.Signed {
		return fail(ctx, l, job, d, out, msgNoAgencyKey)
	}
	receipt, err := l.post(ctx, built, a.PackageID, a.Recipient)
	return settle(ctx, l, job, d, out, receipt, err)
}

// loadOutgoing reads the document to send, in a short transaction, and what the
// package does to it. The delivery enters the sending log before the package
// leaves, so that a hub's report about it finds its document even when it comes
// back before the receipt is recorded.
func (l *Link) loadOutgoing(ctx context.Context, a docs.SendPackageArgs, d delivery) (*docs.Record, *liaison.Business, error) {
	var rec *docs.Record
	business := &liaison.Business{DocType: liaison.BusinessType(a.Business), Reason: a.Reason}
	err := store.InTx(ctx, l.Pool, func(tx pgx.Tx) error {
		var err error
		if rec, err = docs.OutgoingForExchange(ctx, tx, a.DocumentID); err != nil {
			return err
		}
		if err := enterOutbound(ctx, tx, d); err != nil {
			return err
		}
		if rec.ReplacesID == 0 || business.DocType != liaison.BusinessReplace {
			return nil
		}
		replaced, err := docs.OutgoingForExchange(ctx, tx, rec.ReplacesID)
		if err != nil {
			return err
		}
		business.Replacements = []liaison.ReplacementInfo{{DocumentID: replaced.ExternalID, OrganIDs: []string{a.Recipient}}}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("exchange: unable to load document %d to send: %w", a.DocumentID, err)
	}
	return rec, business, nil
}

type sendStatusWorker struct {
	river.WorkerDefaults[docs.SendStatusArgs]
	l *Link
}

func (w *sendStatusWorker) Timeout(*river.Job[docs.SendStatusArgs]) time.Duration { return sendTimeout }

// Work builds, signs and posts one status package to the hub; its outcome goes to
// the sending log.
func (w *sendStatusWorker) Work(ctx context.Context, job *river.Job[docs.SendStatusArgs]) error {
	l, a := w.l, job.Args
	d := deliveryOf(job, kindStatus, a.PackageID, a.To, a.DocumentID)
	noop := func(context.Context, pgx.Tx, string) error { return nil }
	out := outcome{sent: func(context.Context, pgx.Tx, wire.Receipt) error { return nil }, failed: noop}
	if l.Hub == nil {
		return fail(ctx, l, job, d, out, msgNoHub)
	}
	st := liaison.Status{
		ResponseFor: liaison.ResponseFor{OrganID: a.To, DocumentID: a.ResponseFor},
		StatusCode:  a.Code, Description: a.Note, Timestamp: a.At,
	}
	built, err := l.Packer.Status(ctx, a.AgencyID, st)
	if errors.Is(err, ErrNotExportable) {
		return fail(ctx, l, job, d, out, "Không tạo được gói trạng thái: "+err.Error())
	}
	if err != nil {
		return err
	}
	defer built.Close()
	if !built.Signed {
		return fail(ctx, l, job, d, out, msgNoAgencyKey)
	}
	receipt, err := l.post(ctx, built, a.PackageID, a.To)
	return settle(ctx, l, job, d, out, receipt, err)
}
