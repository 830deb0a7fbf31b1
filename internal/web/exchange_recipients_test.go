package web_test

import (
	"context"
	"net/http"
	"testing"

	"edms/internal/demo"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

// TestRecipientServedByAnotherNode: a recipient that the network's directory places
// on another node is addressed as external (no local agency), so sending it goes
// through the exchange rather than a hand-off inside this node.
func TestRecipientServedByAnotherNode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	must(t, demo.Seed(ctx, pool, demoPassword))
	if _, err := pool.Exec(ctx, `INSERT INTO exchange_directory (organ_id, hub, node) VALUES ('000.03.09.H56', 'tinh', 'xa-yen-ninh')`); err != nil {
		t.Fatal(err)
	}
	ts, srv := serveDemo(t, pool, web.Config{}, nil)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	draft := map[string]any{"type": "cong_van", "subject": "Về việc gửi qua trục liên thông", "place": "Phú Lương",
		"recipients": []string{"000.03.09.H56", "000.00.00.H56"}, "page_count": 1, "request_key": "k-exchange"}
	status, out := specialist.upload("/documents", draft, minimalPDF)
	if status != http.StatusCreated {
		t.Fatalf("create draft: %d %v", status, out)
	}
	rows, err := pool.Query(ctx, `SELECT organ_id, agency_id IS NULL FROM document_recipients WHERE document_id = $1 ORDER BY ord`,
		int64(out["id"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	external := map[string]bool{}
	for rows.Next() {
		var organID string
		var isExternal bool
		must(t, rows.Scan(&organID, &isExternal))
		external[organID] = isExternal
	}
	if !external["000.03.09.H56"] || external["000.00.00.H56"] || len(external) != 2 {
		t.Fatalf("recipients external: %v", external)
	}
}
