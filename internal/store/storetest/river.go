package storetest

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// InsertOnlyQueue returns a River client that inserts jobs (InsertTx in a step's
// transaction) and works none, so that a test sees the jobs a step queued in
// river_job.
func InsertOnlyQueue(t testing.TB, pool *pgxpool.Pool) *river.Client[pgx.Tx] {
	t.Helper()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		t.Fatalf("storetest: unable to create the job queue client: %v", err)
	}
	return client
}
