package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/docs/docsbench"
	"edms/internal/network/exchangebench"
	"edms/internal/store"
	"edms/internal/web/webbench"
)

func runBench(ctx context.Context, args []string) error {
	return runGroup(ctx, "bench", args, []command{
		{"docs", "measure inbox, search and number issuance on generated documents", runBenchDocs},
		{"exchange", "send signed packages node → hub → node and time each until its status 01 is back", runBenchExchange},
		{"web", "find the highest request rate the HTTP server serves within its latency bounds", runBenchWeb},
	})
}

func runBenchDocs(ctx context.Context, args []string) error {
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
	db := addBenchFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Documents < 1 || o.Agencies < 1 || o.Samples < 10 || o.Clients < 1 || o.Issuances < 1 {
		return errors.New("-documents, -agencies, -clients and -issuances must be positive and -samples at least 10")
	}
	return db.run(ctx, int32(o.Clients+4), func(pool *pgxpool.Pool, pgVersion string) error {
		fmt.Printf("edms bench docs: %d documents, %d agencies, %d samples, %d clients, %d issuances; %d CPUs, %s, PostgreSQL %s\n",
			o.Documents, o.Agencies, o.Samples, o.Clients, o.Issuances, runtime.NumCPU(), runtime.Version(), pgVersion)
		_, err := docsbench.Run(ctx, pool, o, os.Stdout)
		return err
	})
}

func runBenchWeb(ctx context.Context, args []string) error {
	fs := newFlagSet("bench web", "[flags]",
		"Load a realistic data set of documents into a database of its own, serve it over HTTP on a\n"+
			"loopback port and send the mixed workload of officials signed in with sessions (80% reads:\n"+
			"inboxes, document pages, searches; 20% writes: drafts submitted for review, issuances) at a\n"+
			"rising rate, until the p95 of reads or writes passes its bound (see BENCHMARKS.md).")
	o := webbench.Options{}
	fs.IntVar(&o.Documents, "documents", 1_000_000, "documents to load")
	fs.IntVar(&o.Agencies, "agencies", 10, "agencies sharing the documents")
	fs.IntVar(&o.Officials, "officials", 200, "simulated officials, each with a session")
	fs.Float64Var(&o.StartRate, "start-rate", 20, "requests per second of the first step (each next step sends a quarter more, or a fifth less while the first ones miss the bounds)")
	fs.Float64Var(&o.MinRate, "min-rate", 1, "lowest rate tried")
	fs.DurationVar(&o.Step, "step", 20*time.Second, "how long each rate runs")
	fs.DurationVar(&o.ReadP95, "read-p95", 100*time.Millisecond, "bound on the p95 of reads")
	fs.DurationVar(&o.WriteP95, "write-p95", 300*time.Millisecond, "bound on the p95 of writes")
	db := addBenchFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if o.Documents < 1 || o.Agencies < 1 || o.Officials < 1 || o.MinRate <= 0 || o.StartRate < o.MinRate || o.Step <= 0 {
		return errors.New("-documents, -agencies, -officials, -min-rate and -step must be positive and -start-rate at least -min-rate")
	}
	return db.run(ctx, 0, func(pool *pgxpool.Pool, pgVersion string) error {
		fmt.Printf("edms bench web: %d documents, %d agencies, %d officials, steps of %s from %.0f req/s; %d CPUs, %s, PostgreSQL %s\n",
			o.Documents, o.Agencies, o.Officials, o.Step, o.StartRate, runtime.NumCPU(), runtime.Version(), pgVersion)
		rep, err := webbench.Run(ctx, pool, o, os.Stdout)
		if err == nil {
			fmt.Printf("highest rate within p95 %s (reads) and %s (writes): %.1f requests/s\n", o.ReadP95, o.WriteP95, rep.Best)
		}
		return err
	})
}

func runBenchExchange(ctx context.Context, args []string) error {
	fs := newFlagSet("bench exchange", "[flags]",
		"Start a hub and a receiving node as processes on a private PostgreSQL cluster and play a\n"+
			"sending node: build and sign packages with attachments of -attachment-size bytes, post them to\n"+
			"the hub, which forwards them to the node, which registers them and sends status 01 back\n"+
			"through the hub. After -warmup, open loop at -rate packages/s (latency percentiles), or, with -rate 0,\n"+
			"-concurrency senders each waiting for its 01 (throughput). Then pgbench's simple-insert rate on\n"+
			"the same cluster, the ceiling (see BENCHMARKS.md).")
	o := exchangebench.Options{}
	fs.Float64Var(&o.Rate, "rate", 100, "packages per second, open loop; 0: closed loop with -concurrency")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "concurrent senders when -rate is 0")
	fs.DurationVar(&o.Warmup, "warmup", 5*time.Second, "how long packages are sent, and their 01 awaited, before measuring (cold connections and caches)")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "how long packages are sent")
	fs.DurationVar(&o.Drain, "drain", 30*time.Second, "how long the last packages' 01 may take after -duration (and after -warmup)")
	fs.IntVar(&o.AttachmentSize, "attachment-size", 50<<10, "bytes of each package's attachments")
	fs.DurationVar(&o.Pgbench, "pgbench", 10*time.Second, "how long pgbench runs afterwards (0: not run)")
	fs.IntVar(&o.PgbenchClients, "pgbench-clients", 8, "pgbench's clients")
	fs.StringVar(&o.Dir, "dir", "", "folder of the network (default: a temporary one, removed)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	binary, err := os.Executable()
	if err != nil {
		return err
	}
	o.Binary = binary
	if !*asJSON {
		fmt.Printf("edms bench exchange: %d CPUs, %s\n", runtime.NumCPU(), runtime.Version())
	}
	rep, err := exchangebench.Run(ctx, o)
	if err != nil {
		return err
	}
	return rep.Print(os.Stdout, *asJSON)
}

// benchDB is where a benchmark runs: a server given by URL, or a private cluster.
type benchDB struct {
	serverURL *string
	keep      *bool
}

func addBenchFlags(fs *flag.FlagSet) benchDB {
	return benchDB{
		serverURL: fs.String("server-url", "", "PostgreSQL server URL (postgres://...) of a role that may create databases; a database edms_bench_<pid> is created there and dropped afterwards"),
		keep:      fs.Bool("keep", false, "keep the benchmark database (with -server-url) to study its query plans; its URL is printed"),
	}
}

// run creates the benchmark database, migrates it and runs fn with a pool of maxConns
// connections (0: the default size).
func (b benchDB) run(ctx context.Context, maxConns int32, fn func(pool *pgxpool.Pool, pgVersion string) error) error {
	if *b.keep && *b.serverURL == "" {
		return errors.New("-keep needs -server-url: the private cluster is removed at the end")
	}
	url, cleanup, err := benchDatabase(ctx, *b.serverURL)
	if err != nil {
		return err
	}
	if *b.keep {
		fmt.Println("benchmark database kept:", url)
	} else {
		defer cleanup()
	}
	pool, err := store.OpenPool(ctx, url, store.PoolOptions{MaxConns: maxConns})
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
	return fn(pool, pgVersion)
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
