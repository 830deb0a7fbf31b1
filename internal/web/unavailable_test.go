package web_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/store"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

// getStatus requests path with an optional bearer token and returns the status and
// the Retry-After header.
func getStatus(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// TestExhaustedPoolAnswers503 keeps every connection of the server's pool busy: API
// calls and pages must answer 503 with Retry-After within the acquire timeout
// instead of waiting for ever.
func TestExhaustedPoolAnswers503(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabaseURL(t)
	pool, err := store.OpenPool(ctx, url, store.PoolOptions{MaxConns: 2, AcquireTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := demo.Seed(ctx, pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	ts, srv := serveDemo(t, pool, web.Config{}, nil)
	clerk := apiToken(t, srv.Pool(), "vanthu.huyen")
	b := newBrowser(t, ts.URL)
	if status, _ := b.login("vanthu.huyen", demoPassword); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	for range 2 {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
	}
	if status, retry := getStatus(t, http.DefaultClient, ts.URL+"/api/v1/me", clerk); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("API on an exhausted pool: %d, Retry-After %q; want 503 with Retry-After", status, retry)
	}
	if status, retry := getStatus(t, b.client, ts.URL+"/", ""); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("home page on an exhausted pool: %d, Retry-After %q; want 503 with Retry-After", status, retry)
	}
}

// TestDatabaseDownAnswers503 serves from a database that refuses connections: the
// API answers 503 with Retry-After, not 500.
func TestDatabaseDownAnswers503(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	if err := demo.Seed(ctx, pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	clerk := apiToken(t, pool, "vanthu.huyen")
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	down, err := pgxpool.New(ctx, "postgres://edms@127.0.0.1:1/edms?connect_timeout=2") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	srv, err := web.NewServer(web.Config{}, down, enforcer, &docs.Service{Pool: down, Access: enforcer})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, srv)
	if status, retry := getStatus(t, http.DefaultClient, ts.URL+"/api/v1/me", clerk); status != http.StatusServiceUnavailable || retry == "" {
		t.Errorf("API with the database down: %d, Retry-After %q; want 503 with Retry-After", status, retry)
	}
}

func apiToken(t *testing.T, pool *pgxpool.Pool, username string) string {
	t.Helper()
	ctx := context.Background()
	u, err := org.UserByUsername(ctx, pool, username)
	if err != nil {
		t.Fatal(err)
	}
	token, err := access.CreateAPIToken(ctx, pool, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return token
}
