package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrNoPostgres is returned when no PostgreSQL server binaries can be found.
var ErrNoPostgres = errors.New("PostgreSQL server binaries not found: install the Debian package `postgresql` (apt-get install -y postgresql) or set EDMS_DATABASE_URL to an existing server")

// LocalServer is a private PostgreSQL cluster run from the system's binaries, listening
// only on a unix socket inside its own data folder. The demo keeps one under .data/;
// the tests start a throwaway one.
type LocalServer struct {
	dataDir string
	binDir  string
	cred    *syscall.Credential // set when running as root: the cluster runs as postgres
	owned   bool                // this process started the server, so it stops it
}

// LocalOptions tunes a local cluster.
type LocalOptions struct {
	// Ephemeral trades durability for speed (fsync off), for throwaway test clusters.
	Ephemeral bool
}

// StartLocal starts (creating it first if needed) a cluster in dataDir and waits until
// it accepts connections.
func StartLocal(ctx context.Context, dataDir string, opts LocalOptions) (*LocalServer, error) {
	binDir, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("store: bad data folder %q: %w", dataDir, err)
	}
	s := &LocalServer{dataDir: abs, binDir: binDir}
	if err := s.prepareOwner(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(abs, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := s.initdb(ctx); err != nil {
			return nil, err
		}
	}
	if s.running(ctx) { // another edms process (e.g. the demo) already serves this folder
		return s, nil
	}
	if err := s.start(ctx, opts); err != nil {
		return nil, err
	}
	s.owned = true
	return s, nil
}

// running reports whether a server already runs on the data folder.
func (s *LocalServer) running(ctx context.Context) bool {
	return s.command(ctx, "pg_ctl", "status", "-D", s.dataDir).Run() == nil
}

// URL returns the connection URL of database name on this cluster.
func (s *LocalServer) URL(database string) string {
	q := url.Values{"host": {s.dataDir}, "user": {"postgres"}, "sslmode": {"disable"}}
	return "postgres:///" + url.PathEscape(database) + "?" + q.Encode()
}

// Stop shuts the cluster down (fast mode: open sessions are ended), unless another
// process had started it.
func (s *LocalServer) Stop() error {
	if !s.owned {
		return nil
	}
	out, err := s.command(context.Background(), "pg_ctl", "stop", "-D", s.dataDir, "-m", "fast", "-w").CombinedOutput()
	if err != nil {
		return fmt.Errorf("store: unable to stop the local PostgreSQL: %v: %s", err, out)
	}
	return nil
}

func (s *LocalServer) initdb(ctx context.Context) error {
	cmd := s.command(ctx, "initdb", "-D", s.dataDir, "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("store: initdb failed in %s: %v: %s", s.dataDir, err, out)
	}
	return nil
}

func (s *LocalServer) start(ctx context.Context, opts LocalOptions) error {
	settings := []string{
		"-k " + s.dataDir, // unix socket inside the data folder
		"-c listen_addresses=''",
		"-c max_connections=200",
		"-c shared_buffers=256MB",
	}
	if opts.Ephemeral {
		settings = append(settings, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off")
	}
	if extra := os.Getenv("EDMS_POSTGRES_OPTIONS"); extra != "" {
		settings = append(settings, extra)
	}
	cmd := s.command(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", s.dataDir,
		"-l", filepath.Join(s.dataDir, "server.log"), "-o", strings.Join(settings, " "))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("store: the local PostgreSQL in %s did not start: %v: %s (see %s)", s.dataDir, err, out, filepath.Join(s.dataDir, "server.log"))
	}
	return nil
}

// prepareOwner creates the data folder; as root, it hands it to the postgres user,
// because initdb refuses to run as root.
func (s *LocalServer) prepareOwner() error {
	if err := os.MkdirAll(s.dataDir, 0o700); err != nil {
		return fmt.Errorf("store: unable to create %s: %w", s.dataDir, err)
	}
	if os.Geteuid() != 0 {
		return nil
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("store: running as root needs the `postgres` system user to own the cluster (install the Debian package postgresql): %w", err)
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if err := os.Chown(s.dataDir, uid, gid); err != nil {
		return fmt.Errorf("store: unable to give %s to postgres: %w", s.dataDir, err)
	}
	// Every parent folder must be traversable by postgres.
	for dir := filepath.Dir(s.dataDir); dir != "/"; dir = filepath.Dir(dir) {
		if info, err := os.Stat(dir); err == nil && info.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(dir, info.Mode().Perm()|0o011); err != nil {
				return fmt.Errorf("store: postgres cannot reach %s: %w", s.dataDir, err)
			}
		}
	}
	return nil
}

func (s *LocalServer) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	cmd.Dir = s.dataDir
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// findPostgresBin finds the newest PostgreSQL server binaries installed.
func findPostgresBin() (string, error) {
	if dir := os.Getenv("EDMS_PG_BINDIR"); dir != "" {
		return dir, nil
	}
	candidates, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(candidates, func(i, j int) bool { return pgMajor(candidates[i]) > pgMajor(candidates[j]) })
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}
