package audit_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/audit"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func appendEntries(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			uid := int64(i)
			e := audit.Entry{ActorID: &uid, Actor: fmt.Sprintf("user%d", i), Action: "document.view", ObjectType: "document",
				ObjectID: fmt.Sprint(i), ClientIP: "10.0.0.1",
				Detail: map[string]any{"ghi_chú": "Xem văn bản", "n": i, "ratio": 0.5, "nested": map[string]any{"a": []any{1, "b"}}}}
			if err := audit.RecordNow(context.Background(), pool, e); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestChainHoldsUnderConcurrentAppends(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	appendEntries(t, pool, 40)
	n, broken, err := audit.Verify(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if n != 40 || broken != nil {
		t.Fatalf("verified %d entries, broken = %+v", n, broken)
	}
}

func TestTamperingIsDetected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, sql, reason string
	}{
		{"edited actor", `UPDATE audit_log SET actor = 'someone else' WHERE id = 5`, "altered"},
		{"edited detail", `UPDATE audit_log SET detail = '{"n": 999}' WHERE id = 5`, "altered"},
		{"deleted row", `DELETE FROM audit_log WHERE id = 5`, "deleted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := storetest.NewDB(t)
			appendEntries(t, pool, 8)
			ctx := context.Background()
			// Only someone able to drop the append-only trigger can do this.
			for _, sql := range []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`, tt.sql, `ALTER TABLE audit_log ENABLE TRIGGER USER`} {
				if _, err := pool.Exec(ctx, sql); err != nil {
					t.Fatal(err)
				}
			}
			_, broken, err := audit.Verify(ctx, pool)
			if err != nil {
				t.Fatal(err)
			}
			wantID := int64(5)
			if tt.reason == "deleted" {
				wantID = 6
			}
			if broken == nil || broken.ID != wantID || !strings.Contains(broken.Reason, tt.reason) {
				t.Fatalf("broken = %+v, want entry %d (%s)", broken, wantID, tt.reason)
			}
		})
	}
}

func agencyEntry(agency int64, action string) audit.Entry {
	return audit.Entry{Actor: "system", AgencyID: &agency, Action: action, ObjectType: "document", ObjectID: "1"}
}

// TestAgenciesDoNotWaitForEachOther holds an uncommitted append in one agency: an
// append in another agency must not wait for it, one in the same agency must.
func TestAgenciesDoNotWaitForEachOther(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if err := audit.Record(ctx, holder, agencyEntry(1, "document.issue")); err != nil {
		t.Fatal(err)
	}
	appendWithLockTimeout := func(agency int64) error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL lock_timeout = '1s'`); err != nil {
				return err
			}
			return audit.Record(ctx, tx, agencyEntry(agency, "document.sign"))
		})
	}
	if err := appendWithLockTimeout(2); err != nil {
		t.Errorf("an append in agency 2 waited for agency 1's: %v", err)
	}
	if err := appendWithLockTimeout(1); err == nil {
		t.Error("two appends to agency 1's chain ran at once")
	}
}

// TestEveryChainIsVerified interleaves entries of several agencies and of none, then
// alters one agency's entry: Verify must name it and its chain.
func TestEveryChainIsVerified(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	for i := range 12 {
		e := agencyEntry(int64(i%3), fmt.Sprintf("document.step%d", i))
		if i%3 == 0 {
			e.AgencyID = nil
		}
		if err := audit.RecordNow(ctx, pool, e); err != nil {
			t.Fatal(err)
		}
	}
	n, broken, err := audit.Verify(ctx, pool)
	if err != nil || broken != nil || n != 12 {
		t.Fatalf("intact trail: %d entries, broken = %+v, err = %v", n, broken, err)
	}
	var target int64
	if err := pool.QueryRow(ctx, `SELECT max(id) FROM audit_log WHERE chain = 2`).Scan(&target); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`ALTER TABLE audit_log DISABLE TRIGGER USER`,
		fmt.Sprintf(`UPDATE audit_log SET actor = 'someone else' WHERE id = %d`, target), `ALTER TABLE audit_log ENABLE TRIGGER USER`} {
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, broken, err = audit.Verify(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if broken == nil || broken.ID != target || broken.Chain != 2 {
		t.Fatalf("broken = %+v, want entry %d in chain 2", broken, target)
	}
}

// TestRecordAllNeverDeadlocks has pairs of transactions append to two agencies'
// chains in opposite orders, as two agencies sending to each other do: with the
// entries appended in the same chain order by both, neither is ever aborted.
func TestRecordAllNeverDeadlocks(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 30 {
		for _, chains := range [][2]int64{{1, 2}, {2, 1}} {
			wg.Go(func() {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					return audit.RecordAll(ctx, tx, []audit.Entry{
						agencyEntry(chains[0], fmt.Sprintf("document.send%d", i)),
						agencyEntry(chains[1], fmt.Sprintf("document.receive%d", i)),
					})
				})
				if err != nil {
					t.Errorf("appending to chains %v: %v", chains, err)
				}
			})
		}
	}
	wg.Wait()
	if n, broken, err := audit.Verify(ctx, pool); err != nil || broken != nil || n != 120 {
		t.Fatalf("%d entries, broken %+v, %v", n, broken, err)
	}
}
