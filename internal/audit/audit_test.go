package audit_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

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
