package docsbench

import (
	"bytes"
	"context"
	"os"
	"testing"

	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestSmallRun runs the whole benchmark on a small data set: the generated data must
// satisfy every constraint of the schema, every measured query must return a full
// page, and issuance must be gapless.
func TestSmallRun(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	var log bytes.Buffer
	rep, err := Run(context.Background(), pool, Options{Documents: 5000, Agencies: 3, Samples: 20, Clients: 8, Issuances: 200}, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !rep.Gapless || rep.Issued != 200 {
		t.Fatalf("issued %d, gapless %v", rep.Issued, rep.Gapless)
	}
	t.Log(log.String())
	for _, r := range rep.Latencies {
		if r.ResultsOnPage == 0 {
			t.Errorf("%s returned nothing: the data set does not exercise it\n%s", r.Name, log.String())
		}
	}
	var docs, assignments int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM assignments)`).Scan(&docs, &assignments); err != nil {
		t.Fatal(err)
	}
	if docs != 5200 || assignments < 1000 {
		t.Fatalf("%d documents and %d assignments loaded", docs, assignments)
	}
}
