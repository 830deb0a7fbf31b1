// Package networktest starts networks of edms processes for tests: it builds the edms
// binary once per test binary and stops each network when its test ends.
package networktest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"edms/internal/network"
	"edms/internal/store"
	"edms/internal/testenv"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// BuildBinary builds ./cmd/edms of this module into <module root>/tmp/edms, once per
// test binary, and returns its path.
func BuildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() { binary, buildErr = build() })
	if buildErr != nil {
		t.Fatalf("networktest: %v", buildErr)
	}
	return binary
}

func build() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	target := filepath.Join(root, "tmp", "edms")
	tmp := target + ".building"
	cmd := exec.Command("go", "build", "-o", tmp, "./cmd/edms")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/edms: %w\n%s", err, out)
	}
	return target, os.Rename(tmp, target) // a process still running the old one keeps it
}

// RescueAfter is how soon the hubs of a test network run again a job that a killed
// instance left running: a minute, where production waits eleven.
const RescueAfter = time.Minute

// Start starts the plan's network (Binary defaults to BuildBinary's, Dir to a
// temporary folder removed afterwards, the cluster is ephemeral, hubs rescue after
// RescueAfter, several instances stand behind Balancers) and stops it when
// the test ends. A machine without PostgreSQL skips the test, or fails it under
// EDMS_REQUIRE_TOOLS.
func Start(t testing.TB, plan network.Plan) *network.Network {
	t.Helper()
	if plan.Binary == "" {
		plan.Binary = BuildBinary(t)
	}
	if plan.Dir == "" {
		// Short, unlike t.TempDir's: the cluster's unix socket lives inside it.
		dir, err := os.MkdirTemp("", "edms-net-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		plan.Dir = dir
	}
	plan.Ephemeral = true
	if plan.RescueAfter == 0 {
		plan.RescueAfter = RescueAfter
	}
	if plan.Balance == nil {
		plan.Balance = Balancers(t)
	}
	n, err := network.Start(context.Background(), plan)
	if err != nil {
		if errors.Is(err, store.ErrNoPostgres) {
			testenv.Missing(t, err.Error())
		}
		t.Fatalf("networktest: %v", err)
	}
	t.Cleanup(func() {
		if err := n.Stop(); err != nil {
			t.Errorf("networktest: stopping the network: %v", err)
		}
	})
	return n
}
