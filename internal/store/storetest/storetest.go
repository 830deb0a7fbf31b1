// Package storetest gives each test its own migrated PostgreSQL database.
//
// A test package calls Main from TestMain. When EDMS_TEST_DATABASE_URL names a server
// (any database on it; the role must be allowed to create databases), tests use it;
// otherwise Main starts a private, throwaway cluster from the system's PostgreSQL
// binaries and stops it when the package's tests end. The migrations run once into a
// template database; NewDB clones it, so each test gets a fresh database in
// milliseconds and tests can run in parallel.
package storetest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/store"
	"edms/internal/testenv"
)

var (
	serverURL string // URL of the maintenance database ("postgres") on the test server
	template  string // name of the migrated template database
	counter   atomic.Int64
	setupErr  error
)

// Main prepares the test server and template, runs the tests, and cleans up.
func Main(m *testing.M) int {
	ctx := context.Background()
	stop, err := setup(ctx)
	if err != nil {
		setupErr = err
		return m.Run() // each NewDB reports the setup error (or skips)
	}
	defer stop()
	return m.Run()
}

func setup(ctx context.Context) (func(), error) {
	template = fmt.Sprintf("edms_template_%d", os.Getpid())
	cleanup := func() {}
	if external := os.Getenv("EDMS_TEST_DATABASE_URL"); external != "" {
		serverURL = external
	} else {
		dir, err := os.MkdirTemp("", "edms-test-pg-")
		if err != nil {
			return nil, err
		}
		srv, err := store.StartLocal(ctx, dir, store.LocalOptions{Ephemeral: true})
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		serverURL = srv.URL("postgres")
		cleanup = func() { srv.Stop(); os.RemoveAll(dir) }
	}
	if err := createTemplate(ctx); err != nil {
		cleanup()
		return nil, err
	}
	return func() { dropDatabase(ctx, template); cleanup() }, nil
}

func createTemplate(ctx context.Context) error {
	if err := exec(ctx, serverURL, "CREATE DATABASE "+pgx.Identifier{template}.Sanitize()); err != nil {
		return err
	}
	pool, err := store.Open(ctx, withDatabase(serverURL, template))
	if err != nil {
		return err
	}
	defer pool.Close()
	return store.Migrate(ctx, pool)
}

// NewDB returns a pool on a new database cloned from the migrated template; it is
// dropped when the test ends.
func NewDB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return NewPool(t, NewDatabaseURL(t))
}

// NewDatabaseURL creates a fresh migrated database for the test and returns its URL.
func NewDatabaseURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, template)
}

func newDatabase(t testing.TB, from string) string {
	t.Helper()
	if setupErr != nil {
		testenv.Missing(t, "PostgreSQL for tests: "+setupErr.Error())
	}
	if serverURL == "" {
		t.Fatal("storetest: call storetest.Main from TestMain")
	}
	ctx := context.Background()
	name := fmt.Sprintf("edms_test_%d_%d", os.Getpid(), counter.Add(1))
	sql := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{from}.Sanitize())
	if err := exec(ctx, serverURL, sql); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { dropDatabase(ctx, name) })
	return withDatabase(serverURL, name)
}

// NewEmptyDatabaseURL creates a fresh database without any migration for the test
// and returns its URL.
func NewEmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	return newDatabase(t, "template0")
}

// NewPool opens a pool on url, closed when the test ends.
func NewPool(t testing.TB, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func dropDatabase(ctx context.Context, name string) {
	_ = exec(ctx, serverURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

func exec(ctx context.Context, url, sql string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// withDatabase returns the URL with its database name replaced.
func withDatabase(raw, database string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		// key=value connection string
		return strings.TrimSpace(raw) + " dbname=" + database
	}
	u.Path = "/" + database
	return u.String()
}
