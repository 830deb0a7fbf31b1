// Package audit keeps the append-only trail of who did what to which object, when and
// from where. Each entry carries the SHA-256 of its predecessor's hash and its own
// content, so editing or deleting a row breaks the chain at that row; Verify walks
// the chain and names the first broken entry. The table also refuses UPDATE, DELETE
// and TRUNCATE by trigger; the chain catches what someone with the power to drop the
// trigger did anyway.
//
// Record runs inside the caller's transaction, so an action and its audit entry commit
// or roll back together. Appends are serialised by a transaction-scoped advisory lock.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Entry is one audited action.
type Entry struct {
	ID         int64
	At         time.Time
	ActorID    *int64 // nil for the system itself
	Actor      string // username, or "system"
	AgencyID   *int64
	Action     string // e.g. "user.create", "session.login"
	ObjectType string // e.g. "user", "document"
	ObjectID   string
	ClientIP   string
	Detail     map[string]any
}

// advisoryLockKey serialises audit appends so that the chain has one head.
const advisoryLockKey = 0x65646d7361756469 // "edmsaudi"

// genesis is the previous hash of the first entry.
var genesis = make([]byte, sha256.Size)

// Record appends e to the trail inside tx.
func Record(ctx context.Context, tx pgx.Tx, e Entry) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(advisoryLockKey)); err != nil {
		return fmt.Errorf("audit: unable to lock the trail: %w", err)
	}
	prev := genesis
	err := tx.QueryRow(ctx, `SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && err != pgx.ErrNoRows {
		return fmt.Errorf("audit: unable to read the head of the trail: %w", err)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	e.At = e.At.UTC().Truncate(time.Microsecond) // what PostgreSQL keeps
	if e.Detail == nil {
		e.Detail = map[string]any{}
	}
	sum, err := e.hash(prev)
	if err != nil {
		return err
	}
	detail, _ := json.Marshal(e.Detail)
	_, err = tx.Exec(ctx, `
		INSERT INTO audit_log (at, actor_id, actor, agency_id, action, object_type, object_id, client_ip, detail, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.At, e.ActorID, e.Actor, e.AgencyID, e.Action, e.ObjectType, e.ObjectID, e.ClientIP, detail, prev, sum)
	if err != nil {
		return fmt.Errorf("audit: unable to append %s: %w", e.Action, err)
	}
	return nil
}

// RecordNow appends e in a transaction of its own, for actions that change nothing
// else (a sign-in, a failed sign-in).
func RecordNow(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, e Entry) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := Record(ctx, tx, e); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// hash is SHA-256(prev || canonical JSON of the entry's content).
func (e Entry) hash(prev []byte) ([]byte, error) {
	canonical, err := json.Marshal([]any{
		e.At.Format(time.RFC3339Nano), e.ActorID, e.Actor, e.AgencyID, e.Action,
		e.ObjectType, e.ObjectID, e.ClientIP, e.Detail,
	})
	if err != nil {
		return nil, fmt.Errorf("audit: detail of %s is not serialisable: %w", e.Action, err)
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return h.Sum(nil), nil
}

// Broken describes the first entry where the chain does not hold.
type Broken struct {
	ID     int64
	Reason string
}

// Verify walks the whole trail in order. It returns the number of entries checked and
// the first broken entry, or nil when the chain holds.
func Verify(ctx context.Context, db store.DB) (int, *Broken, error) {
	rows, err := db.Query(ctx, `
		SELECT id, at, actor_id, actor, agency_id, action, object_type, object_id, client_ip, detail::text, prev_hash, hash
		FROM audit_log ORDER BY id`)
	if err != nil {
		return 0, nil, fmt.Errorf("audit: unable to read the trail: %w", err)
	}
	defer rows.Close()
	prev, n := genesis, 0
	for rows.Next() {
		var e Entry
		var detail string
		var prevHash, hash []byte
		if err := rows.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.ClientIP, &detail, &prevHash, &hash); err != nil {
			return n, nil, fmt.Errorf("audit: unable to read entry: %w", err)
		}
		n++
		if !bytes.Equal(prevHash, prev) {
			return n, &Broken{e.ID, "its link to the previous entry does not match: an entry before it was deleted or altered"}, nil
		}
		if e.Detail, err = decodeDetail(detail); err != nil {
			return n, &Broken{e.ID, "its detail is not valid JSON"}, nil
		}
		want, err := e.hash(prevHash)
		if err != nil || !bytes.Equal(want, hash) {
			return n, &Broken{e.ID, "its content does not match its hash: the entry was altered"}, nil
		}
		prev = hash
	}
	return n, nil, rows.Err()
}

// decodeDetail reads jsonb back into the same map Record hashed, keeping numbers exact.
func decodeDetail(s string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	normaliseNumbers(m)
	return m, nil
}

// normaliseNumbers turns json.Number values into the float64 or int64 that json.Marshal
// writes the same way as the value Record was given.
func normaliseNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = normaliseNumbers(val)
		}
	case []any:
		for i, val := range x {
			x[i] = normaliseNumbers(val)
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// ForObject lists the entries about one object, oldest first.
func ForObject(ctx context.Context, db store.DB, objectType, objectID string) ([]Entry, error) {
	rows, err := db.Query(ctx, `
		SELECT id, at, actor_id, actor, agency_id, action, object_type, object_id, client_ip, detail
		FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id`, objectType, objectID)
	if err != nil {
		return nil, fmt.Errorf("audit: unable to list entries: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.ClientIP, &e.Detail)
		return e, err
	})
}
