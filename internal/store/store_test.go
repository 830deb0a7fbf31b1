package store_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"edms/internal/store"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

func TestMigrationsApplied(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	statuses, err := store.MigrationStatus(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(statuses) == 0 {
		t.Fatal("no migrations embedded")
	}
	for _, s := range statuses {
		if s.State != "applied" {
			t.Errorf("migration %s is %s", s.Source.Path, s.State)
		}
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	_, err := pool.Exec(ctx, `INSERT INTO audit_log (at, actor, action, object_type, object_id, prev_hash, hash)
		VALUES (now(), 'x', 'a', 'o', '1', '\x00', '\x01')`)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{`UPDATE audit_log SET actor = 'y'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := pool.Exec(ctx, sql); err == nil {
			t.Errorf("%s succeeded on the append-only audit log", sql)
		}
	}
}

func TestOpenUnreachableNamesTheFix(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), "postgres://nobody@127.0.0.1:1/edms?connect_timeout=2")
	if err == nil {
		t.Fatal("expected an error for an unreachable database")
	}
	if got := err.Error(); !strings.Contains(got, "EDMS_DATABASE_URL") {
		t.Errorf("error does not name the fix: %s", got)
	}
}

// TestConcurrentMigrate starts several "nodes" on one empty database at once: each
// migration must be applied exactly once and every node must start.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	url := storetest.NewEmptyDatabaseURL(t)
	ctx := context.Background()
	const nodes = 4
	errs := make(chan error, nodes)
	for range nodes {
		go func() {
			pool, err := store.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer pool.Close()
			errs <- store.Migrate(ctx, pool)
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Errorf("a node failed to migrate: %v", err)
		}
	}
	pool := storetest.NewPool(t, url)
	var applied, distinct int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT version_id) FROM goose_db_version WHERE is_applied AND version_id > 0`).Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != distinct {
		t.Errorf("%d migrations recorded for %d versions: some ran more than once", applied, distinct)
	}
}

// TestExhaustedPoolAnswersUnavailable holds every connection of a small pool: the next
// caller must get an error within the acquire timeout that Unavailable recognises,
// instead of waiting for ever.
func TestExhaustedPoolAnswersUnavailable(t *testing.T) {
	t.Parallel()
	url := storetest.NewDatabaseURL(t)
	ctx := context.Background()
	pool, err := store.OpenPool(ctx, url, store.PoolOptions{MaxConns: 2, AcquireTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for range 2 {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
	}
	bounded, cancel := context.WithTimeout(ctx, time.Minute) // fails the test instead of hanging it
	defer cancel()
	_, err = pool.Exec(bounded, `SELECT 1`)
	if bounded.Err() != nil {
		t.Fatal("the query waited for a connection until the test's own deadline")
	}
	if !store.Unavailable(err) {
		t.Errorf("error on an exhausted pool = %v; want one that Unavailable recognises", err)
	}
}

func TestDefaultPoolSize(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	if got, want := pool.Config().MaxConns, store.DefaultMaxConns(); got != want {
		t.Errorf("pool size = %d, want the default %d", got, want)
	}
	if store.DefaultMaxConns() < 8 {
		t.Errorf("default pool size %d is below 8", store.DefaultMaxConns())
	}
}
