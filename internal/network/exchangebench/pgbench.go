package exchangebench

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPgbench is returned when pgbench is not installed.
var ErrNoPgbench = errors.New("exchangebench: pgbench not found (PATH, EDMS_PG_BINDIR, /usr/lib/postgresql/*/bin)")

// PgbenchResult is pgbench's rate of simple inserts on the benchmark's cluster.
type PgbenchResult struct {
	Command string
	TPS     float64
}

// insertScript is one short transaction inserting one row, pgbench's own -N
// history insert without the account update around it.
const insertScript = `\set aid random(1, 100000)
INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, :aid, 1, CURRENT_TIMESTAMP);
`

var tpsLine = regexp.MustCompile(`tps = ([0-9.]+)`)

// runPgbench creates a database beside the one at nodeURL, initialises pgbench's
// tables there and runs the insert script for d with the given clients.
func runPgbench(ctx context.Context, nodeURL string, d time.Duration, clients int) (PgbenchResult, error) {
	bin, err := pgbenchPath()
	if err != nil {
		return PgbenchResult{}, err
	}
	target, err := pgbenchDatabase(ctx, nodeURL)
	if err != nil {
		return PgbenchResult{}, err
	}
	if out, err := exec.CommandContext(ctx, bin, "-i", "-q", target).CombinedOutput(); err != nil {
		return PgbenchResult{}, fmt.Errorf("exchangebench: pgbench -i: %w: %s", err, out)
	}
	script := filepath.Join(os.TempDir(), fmt.Sprintf("edms-pgbench-%d.sql", os.Getpid()))
	if err := os.WriteFile(script, []byte(insertScript), 0o644); err != nil {
		return PgbenchResult{}, fmt.Errorf("exchangebench: %w", err)
	}
	defer os.Remove(script)
	clients = max(clients, 1)
	args := []string{"-n", "-f", script, "-c", strconv.Itoa(clients), "-j", strconv.Itoa(min(clients, 2)),
		"-T", strconv.Itoa(max(int(d.Seconds()), 1))}
	out, err := exec.CommandContext(ctx, bin, append(args, target)...).CombinedOutput()
	if err != nil {
		return PgbenchResult{}, fmt.Errorf("exchangebench: pgbench: %w: %s", err, out)
	}
	m := tpsLine.FindSubmatch(out)
	if m == nil {
		return PgbenchResult{}, fmt.Errorf("exchangebench: no rate in pgbench's output: %s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return PgbenchResult{Command: "pgbench " + strings.Join(args[:1], " ") + " -f insert.sql " + strings.Join(args[3:], " "), TPS: tps}, nil
}

// pgbenchDatabase creates the database edms_pgbench on the cluster of nodeURL,
// anew, and returns its URL.
func pgbenchDatabase(ctx context.Context, nodeURL string) (string, error) {
	u, err := url.Parse(nodeURL)
	if err != nil {
		return "", fmt.Errorf("exchangebench: %w", err)
	}
	conn, err := pgx.Connect(ctx, nodeURL)
	if err != nil {
		return "", fmt.Errorf("exchangebench: %w", err)
	}
	defer conn.Close(ctx)
	for _, stmt := range []string{"DROP DATABASE IF EXISTS edms_pgbench", "CREATE DATABASE edms_pgbench"} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return "", fmt.Errorf("exchangebench: unable to prepare pgbench's database: %w", err)
		}
	}
	u.Path = "/edms_pgbench"
	return u.String(), nil
}

// pgbenchPath finds pgbench on PATH or beside PostgreSQL's other programs.
func pgbenchPath() (string, error) {
	if p, err := exec.LookPath("pgbench"); err == nil {
		return p, nil
	}
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pgbench")
	if dir := os.Getenv("EDMS_PG_BINDIR"); dir != "" {
		candidates = append([]string{filepath.Join(dir, "pgbench")}, candidates...)
	}
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", ErrNoPgbench
}
