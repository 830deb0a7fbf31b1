package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// entryColumns is the column list collectEntries reads, in order.
const entryColumns = `id, at, actor_id, actor, agency_id, action, object_type, object_id, client_ip, detail`

func collectEntries(rows pgx.Rows) ([]Entry, error) {
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Entry, error) {
		var e Entry
		err := row.Scan(&e.ID, &e.At, &e.ActorID, &e.Actor, &e.AgencyID, &e.Action, &e.ObjectType, &e.ObjectID, &e.ClientIP, &e.Detail)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: unable to read entries: %w", err)
	}
	return entries, nil
}

// Filter selects the entries of an agency that its auditors read: the agency's own
// chain and the node-wide one (accounts, sign-ins without an agency).
type Filter struct {
	AgencyID   int64
	Actor      string    // username, exact; "" for anyone
	From, To   time.Time // dates, inclusive; zero for no bound
	ObjectType string    // "" for any
	ObjectID   string    // "" for any
	Before     int64     // entries older than this id (the next page); 0 for the newest
	Limit      int
}

// List returns the newest entries matching f, at most f.Limit of them, and whether
// more follow (the next page starts before the last entry's id).
func List(ctx context.Context, db store.DB, f Filter) ([]Entry, bool, error) {
	args := pgx.NamedArgs{"agency": f.AgencyID, "actor": f.Actor, "type": f.ObjectType, "object": f.ObjectID,
		"before": f.Before, "limit": f.Limit + 1, "from": nullDate(f.From), "to": nullDate(f.To)}
	rows, err := db.Query(ctx, `SELECT `+entryColumns+` FROM audit_log
		WHERE (agency_id = @agency OR agency_id IS NULL)
		  AND (@actor = '' OR actor = @actor) AND (@type = '' OR object_type = @type) AND (@object = '' OR object_id = @object)
		  AND (@before = 0 OR id < @before)
		  AND (@from::date IS NULL OR at >= @from::date) AND (@to::date IS NULL OR at < @to::date + 1)
		ORDER BY id DESC LIMIT @limit`, args)
	if err != nil {
		return nil, false, fmt.Errorf("audit: unable to list entries: %w", err)
	}
	entries, err := collectEntries(rows)
	if err != nil || len(entries) <= f.Limit {
		return entries, false, err
	}
	return entries[:f.Limit], true, nil
}

func nullDate(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.DateOnly)
	return &s
}
