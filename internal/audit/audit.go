// Package audit keeps the append-only trail of who did what to which object, when and
// from where. The trail is one hash chain per agency (entries without an agency form
// chain 0): each entry carries the SHA-256 of its predecessor's hash in the chain and
// its own content, so editing or deleting a row breaks the chain at that row; Verify
// walks every chain and names the first broken entry. The table also refuses UPDATE,
// DELETE and TRUNCATE by trigger; the chains catch what someone with the power to
// drop the trigger did anyway.
//
// Record runs inside the caller's transaction, so an action and its audit entry commit
// or roll back together. Appends to one chain are serialised by a transaction-scoped
// advisory lock on that chain, held until the caller commits: callers record last,
// just before committing, so that the lock is held for the final insert only, and
// agencies never wait for each other.
package audit

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
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

// chainLockClass is the first key of the advisory lock that serialises the appends
// to one chain (the second is the chain), so that each chain has one head.
const chainLockClass = 0x65646d73 // "edms"

// chain is the chain an entry belongs to: its agency, or 0.
func (e Entry) chain() int64 {
	if e.AgencyID == nil {
		return 0
	}
	return *e.AgencyID
}

// genesis is the previous hash of the first entry.
var genesis = make([]byte, sha256.Size)

// Record appends e to its agency's chain inside tx. It locks the chain until tx ends:
// call it as the last statement before committing.
func Record(ctx context.Context, tx pgx.Tx, e Entry) error {
	prev, err := lockHead(ctx, tx, e.chain())
	if err != nil {
		return err
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
		INSERT INTO audit_log (at, actor_id, actor, agency_id, action, object_type, object_id, client_ip, detail, prev_hash, hash, chain)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.At, e.ActorID, e.Actor, e.AgencyID, e.Action, e.ObjectType, e.ObjectID, e.ClientIP, detail, prev, sum, e.chain())
	if err != nil {
		return fmt.Errorf("audit: unable to append %s: %w", e.Action, err)
	}
	return nil
}

// RecordAll appends entries that may belong to several chains inside tx, chain by
// chain in ascending order, so that two transactions writing to the same chains lock
// them in the same order and never deadlock (an agency sending to another while that
// one sends back). Entries of one chain keep their order.
func RecordAll(ctx context.Context, tx pgx.Tx, entries []Entry) error {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b Entry) int { return cmp.Compare(a.chain(), b.chain()) })
	for _, e := range sorted {
		if err := Record(ctx, tx, e); err != nil {
			return err
		}
	}
	return nil
}

// lockHead takes the chain's lock and returns the hash of its last entry, in one round
// trip: the two statements of a batch each read their own snapshot, so the head is
// read after the lock is held and sees the entry of whoever held it before.
func lockHead(ctx context.Context, tx pgx.Tx, chain int64) ([]byte, error) {
	batch := &pgx.Batch{}
	batch.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, int32(chainLockClass), int32(chain&0x7fffffff))
	batch.Queue(`SELECT hash FROM audit_log WHERE chain = $1 ORDER BY id DESC LIMIT 1`, chain)
	results := tx.SendBatch(ctx, batch)
	defer results.Close()
	if _, err := results.Exec(); err != nil {
		return nil, fmt.Errorf("audit: unable to lock chain %d of the trail: %w", chain, err)
	}
	prev := genesis
	if err := results.QueryRow().Scan(&prev); err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("audit: unable to read the head of chain %d of the trail: %w", chain, err)
	}
	return prev, nil
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

// Broken describes the first entry where a chain does not hold.
type Broken struct {
	ID     int64
	Chain  int64 // the agency whose chain breaks, 0 for entries without an agency
	Reason string
}

// Verify walks every chain of the trail in order. It returns the number of entries
// checked and the first broken entry, or nil when every chain holds.
func Verify(ctx context.Context, db store.DB) (int, *Broken, error) {
	rows, err := db.Query(ctx, `
		SELECT id, chain, at, actor_id, actor, agency_id, action, object_type, object_id, client_ip, detail::text, prev_hash, hash
		FROM audit_log ORDER BY chain, id`)
	if err != nil {
		return 0, nil, fmt.Errorf("audit: unable to read the trail: %w", err)
	}
	defer rows.Close()
	var prev []byte
	n, chain := 0, int64(-1)
	for rows.Next() {
		var e Entry
		var detail string
		var entryChain int64
		var prevHash, hash []byte
		if err := rows.Scan(&e.ID, &entryChain, &e.At, &e.ActorID, &e.Actor, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.ClientIP, &detail, &prevHash, &hash); err != nil {
			return n, nil, fmt.Errorf("audit: unable to read entry: %w", err)
		}
		n++
		if entryChain != chain {
			chain, prev = entryChain, genesis
		}
		if reason := checkEntry(e, detail, prev, prevHash, hash); reason != "" {
			return n, &Broken{ID: e.ID, Chain: chain, Reason: reason}, nil
		}
		prev = hash
	}
	return n, nil, rows.Err()
}

// checkEntry returns why an entry breaks its chain, or "" when it holds.
func checkEntry(e Entry, detail string, prev, prevHash, hash []byte) string {
	if !bytes.Equal(prevHash, prev) {
		return "its link to the previous entry does not match: an entry before it was deleted or altered"
	}
	var err error
	if e.Detail, err = decodeDetail(detail); err != nil {
		return "its detail is not valid JSON"
	}
	want, err := e.hash(prevHash)
	if err != nil || !bytes.Equal(want, hash) {
		return "its content does not match its hash: the entry was altered"
	}
	return ""
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
		SELECT `+entryColumns+`
		FROM audit_log WHERE object_type = $1 AND object_id = $2 ORDER BY id`, objectType, objectID)
	if err != nil {
		return nil, fmt.Errorf("audit: unable to list entries: %w", err)
	}
	return collectEntries(rows)
}
