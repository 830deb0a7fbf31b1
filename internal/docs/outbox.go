package docs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Outbox kinds: the work a committed change leaves for a consumer.
const (
	OutboxStatus   = "status"   // an edXML status (01–06) for the sender of an incoming document
	OutboxSend     = "send"     // an outgoing document to deliver to a recipient through the exchange
	OutboxRecall   = "recall"   // a recall (thu hồi) to deliver to a recipient through the exchange
	OutboxReminder = "reminder" // a deadline reminder for the handlers
	OutboxConvert  = "convert"  // a DOCX draft to convert to PDF
)

// OutboxItem is one pending piece of work.
type OutboxItem struct {
	ID         int64
	Kind       string
	DocumentID int64
	Code       string // the status code for kind "status"
	Payload    map[string]any
	CreatedAt  time.Time
	Attempts   int
}

// maxAttempts is how often an item of a kind is tried before it fails for good: a
// conversion that failed three times will fail again (LibreOffice is deterministic
// under its limits), deliveries wait out longer outages.
func maxAttempts(kind string) int {
	if kind == OutboxConvert {
		return 3
	}
	return 10
}

// enqueue writes an outbox row in the caller's transaction: it commits with the change
// that caused it, or not at all.
func enqueue(ctx context.Context, tx pgx.Tx, kind string, docID int64, code string, payload map[string]any) error {
	if payload == nil {
		payload = map[string]any{}
	}
	body, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("docs: unable to encode an outbox payload: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO document_outbox (kind, document_id, code, payload) VALUES ($1, $2, $3, $4)`,
		kind, docID, code, body); err != nil {
		return fmt.Errorf("docs: unable to enqueue %s for document %d: %w", kind, docID, err)
	}
	return nil
}

// ClaimOutbox runs handle on up to limit pending items of a kind, oldest first, each in
// its own transaction with the row locked (FOR UPDATE SKIP LOCKED), so several workers
// on several machines share the work without doing anything twice. An item whose
// handler succeeds is marked done in the handler's transaction; a failure is counted
// and the item retried on a later call. It returns how many items succeeded.
func ClaimOutbox(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, kind string, limit int, handle func(ctx context.Context, tx pgx.Tx, item OutboxItem) error) (int, error) {
	done := 0
	for range limit {
		var claimed int64
		var handleErr error
		err := pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
			item, ok, err := claimOne(ctx, tx, kind)
			if err != nil || !ok {
				return err
			}
			claimed = item.ID
			if handleErr = handle(ctx, tx, item); handleErr != nil {
				return handleErr
			}
			_, err = tx.Exec(ctx, `UPDATE document_outbox SET done_at = now(), attempts = attempts + 1 WHERE id = $1`, item.ID)
			return err
		})
		if handleErr != nil {
			if err := noteFailure(ctx, db, kind, claimed, handleErr); err != nil {
				return done, err
			}
			continue
		}
		if err != nil {
			return done, err
		}
		if claimed == 0 {
			break
		}
		done++
	}
	return done, nil
}

func claimOne(ctx context.Context, tx pgx.Tx, kind string) (OutboxItem, bool, error) {
	var it OutboxItem
	var payload []byte
	err := tx.QueryRow(ctx, `SELECT id, kind, document_id, code, payload, created_at, attempts FROM document_outbox
		WHERE kind = $1 AND done_at IS NULL AND attempts < $2
		ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`, kind, maxAttempts(kind)).
		Scan(&it.ID, &it.Kind, &it.DocumentID, &it.Code, &payload, &it.CreatedAt, &it.Attempts)
	if err == pgx.ErrNoRows {
		return it, false, nil
	}
	if err != nil {
		return it, false, fmt.Errorf("docs: unable to claim %s work: %w", kind, err)
	}
	if err := json.Unmarshal(payload, &it.Payload); err != nil {
		return it, false, fmt.Errorf("docs: outbox item %d has a bad payload: %w", it.ID, err)
	}
	return it, true, nil
}

// noteFailure counts a failed attempt on an item (its handler's transaction rolled
// back, so it is pending again) and keeps the error for the operator. An item that
// fails for good, at its last attempt or with ErrUnconvertible, keeps the user's
// sentence in its payload as "failure". It runs even when the work's context has
// expired (a job past its time limit), so that the attempt is always counted.
func noteFailure(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, kind string, id int64, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE document_outbox SET
				attempts = CASE WHEN $3 THEN $4 ELSE attempts + 1 END, last_error = $2,
				payload = CASE WHEN $3 OR attempts + 1 >= $4 THEN payload || jsonb_build_object('failure', $5::text) ELSE payload END
			WHERE id = $1`, id, cause.Error(), errors.Is(cause, ErrUnconvertible), maxAttempts(kind), UserMessage(cause))
		return err
	})
}

// PendingOutbox lists pending items of a kind, oldest first (for inspection and tests).
func PendingOutbox(ctx context.Context, db store.DB, kind string) ([]OutboxItem, error) {
	rows, err := db.Query(ctx, `SELECT id, kind, document_id, code, payload, created_at, attempts FROM document_outbox
		WHERE kind = $1 AND done_at IS NULL ORDER BY id`, kind)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the outbox: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (OutboxItem, error) {
		var it OutboxItem
		var payload []byte
		if err := row.Scan(&it.ID, &it.Kind, &it.DocumentID, &it.Code, &payload, &it.CreatedAt, &it.Attempts); err != nil {
			return it, err
		}
		return it, json.Unmarshal(payload, &it.Payload)
	})
}
