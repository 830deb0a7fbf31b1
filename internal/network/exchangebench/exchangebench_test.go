package exchangebench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"edms/internal/network/exchangebench"
	"edms/internal/network/networktest"
	"edms/internal/store"
	"edms/internal/testenv"
)

// TestRunSendsPackagesUntilTheirStatusComesBack runs the benchmark briefly in both
// modes, with pgbench after the second: every package sent gets its 01 back and
// the report prints as a table and as JSON.
func TestRunSendsPackagesUntilTheirStatusComesBack(t *testing.T) {
	binary := networktest.BuildBinary(t)
	for name, o := range map[string]exchangebench.Options{
		"open loop":   {Rate: 3},
		"closed loop": {Concurrency: 2, Pgbench: time.Second, PgbenchClients: 2},
	} {
		t.Run(name, func(t *testing.T) {
			o.Binary, o.Ephemeral = binary, true
			o.Duration, o.Drain, o.AttachmentSize = 2*time.Second, time.Minute, 50<<10
			rep, err := exchangebench.Run(context.Background(), o)
			if errors.Is(err, store.ErrNoPostgres) || errors.Is(err, exchangebench.ErrNoPgbench) {
				testenv.Missing(t, err.Error())
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Samples) == 0 || len(rep.Failures) > 0 {
				t.Fatalf("%d packages completed, failures: %v", len(rep.Samples), rep.Failures)
			}
			for _, s := range rep.Samples {
				if s.Sign <= 0 || s.Post <= 0 || s.Relay <= 0 || s.Total != s.Post+s.Relay {
					t.Errorf("a sample's phases do not add up: %+v", s)
				}
			}
			if o.Pgbench > 0 && rep.Pgbench.TPS <= 0 {
				t.Errorf("pgbench: %+v", rep.Pgbench)
			}
			var table, js bytes.Buffer
			if err := rep.Print(&table, false); err != nil || !bytes.Contains(table.Bytes(), []byte("end to end (post → 01)")) {
				t.Errorf("table: %v\n%s", err, table.String())
			}
			var summary exchangebench.Summary
			if err := rep.Print(&js, true); err != nil || json.Unmarshal(js.Bytes(), &summary) != nil || summary.Completed != len(rep.Samples) {
				t.Errorf("JSON: %v\n%s", err, js.String())
			}
		})
	}
}
