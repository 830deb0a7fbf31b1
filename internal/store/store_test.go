package store_test

import (
	"context"
	"os"
	"strings"
	"testing"

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
