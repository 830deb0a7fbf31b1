package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/docs/docsbench"
	"edms/internal/store"
)

func runBench(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "docs" {
		fmt.Fprintln(os.Stderr, "Usage: edms bench docs [flags]   (edms bench docs -h for its flags)")
		return errUsage
	}
	fs := newFlagSet("bench docs", "[flags]",
		"Load a realistic data set of documents into a database of its own and measure the inbox,\n"+
			"search and number issuance (see BENCHMARKS.md). Without -server-url a throw-away private\n"+
			"PostgreSQL cluster is started in a temporary folder.")
	o := docsbench.Options{}
	fs.IntVar(&o.Documents, "documents", 1_000_000, "documents to load")
	fs.IntVar(&o.Agencies, "agencies", 10, "agencies sharing the documents")
	fs.IntVar(&o.Samples, "samples", 200, "timed runs per measurement")
	fs.IntVar(&o.Clients, "clients", 64, "concurrent clerks issuing numbers")
	fs.IntVar(&o.Issuances, "issuances", 10_000, "numbers to issue")
	serverURL := fs.String("server-url", "", "PostgreSQL server URL (postgres://...) of a role that may create databases; a database edms_bench_<pid> is created there and dropped afterwards")
	keep := fs.Bool("keep", false, "keep the benchmark database (with -server-url) to study its query plans; its URL is printed")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if o.Documents < 1 || o.Agencies < 1 || o.Samples < 10 || o.Clients < 1 || o.Issuances < 1 {
		return errors.New("-documents, -agencies, -clients and -issuances must be positive and -samples at least 10")
	}
	if *keep && *serverURL == "" {
		return errors.New("-keep needs -server-url: the private cluster is removed at the end")
	}
	url, cleanup, err := benchDatabase(ctx, *serverURL)
	if err != nil {
		return err
	}
	if *keep {
		fmt.Println("benchmark database kept:", url)
	} else {
		defer cleanup()
	}
	pool, err := store.OpenPool(ctx, url, store.PoolOptions{MaxConns: int32(o.Clients + 4)})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool); err != nil {
		return err
	}
	var pgVersion string
	if err := pool.QueryRow(ctx, `SHOW server_version`).Scan(&pgVersion); err != nil {
		return err
	}
	fmt.Printf("edms bench docs: %d documents, %d agencies, %d samples, %d clients, %d issuances; %d CPUs, %s, PostgreSQL %s\n",
		o.Documents, o.Agencies, o.Samples, o.Clients, o.Issuances, runtime.NumCPU(), runtime.Version(), pgVersion)
	_, err = docsbench.Run(ctx, pool, o, os.Stdout)
	return err
}

// benchDatabase creates a database for the run, on the given server or on a private
// throw-away cluster, and returns its connection string and how to remove it.
func benchDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	name := fmt.Sprintf("edms_bench_%d", os.Getpid())
	if serverURL == "" {
		dir, err := os.MkdirTemp("", "edms-bench-pg-")
		if err != nil {
			return "", nil, err
		}
		srv, err := store.StartLocal(ctx, dir, store.LocalOptions{Ephemeral: true})
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, err
		}
		stop := func() { srv.Stop(); os.RemoveAll(dir) }
		if err := ensureDatabase(ctx, srv, name); err != nil {
			stop()
			return "", nil, err
		}
		return srv.URL(name), stop, nil
	}
	u, err := url.Parse(serverURL)
	if err != nil || u.Scheme == "" {
		return "", nil, errors.New("-server-url must be a URL such as postgres://user:pass@host:5432/postgres")
	}
	admin, err := store.Open(ctx, serverURL)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("creating the benchmark database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if admin, err := store.Open(ctx, serverURL); err == nil {
			admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
			admin.Close()
		}
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
