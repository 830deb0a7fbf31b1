package webbench

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestSmallRun runs the benchmark on a small data set with bounds no step can meet:
// every request of the workload (reads, drafts, submissions, issuances) must succeed,
// and the first step must be reported as missed, ending the run.
func TestSmallRun(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	var log bytes.Buffer
	rep, err := Run(context.Background(), pool, Options{Documents: 3000, Agencies: 2, Officials: 20, StartRate: 20, MinRate: 20,
		Step: 3 * time.Second, ReadP95: time.Nanosecond, WriteP95: time.Nanosecond}, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	t.Log(log.String())
	if len(rep.Steps) != 1 || rep.Best != 0 {
		t.Fatalf("steps %+v, best %.1f: want one missed step", rep.Steps, rep.Best)
	}
	s := rep.Steps[0]
	if s.Errors != 0 || s.Reads == 0 || s.Writes == 0 {
		t.Fatalf("step %+v: want reads and writes, no errors\n%s", s, log.String())
	}
}
