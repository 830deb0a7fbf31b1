package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/store"
)

// dbConfig selects the database: a URL, or the private cluster in the data folder.
type dbConfig struct {
	url            string
	dataDir        string
	maxConns       int
	acquireTimeout time.Duration
	envErr         error // a malformed EDMS_DB_* variable, reported when opening
}

// addDBFlags adds -database-url, -data-dir, -db-max-conns and -db-acquire-timeout,
// defaulting to EDMS_DATABASE_URL, EDMS_DATA_DIR, EDMS_DB_MAX_CONNS and
// EDMS_DB_ACQUIRE_TIMEOUT.
func addDBFlags(fs *flag.FlagSet) *dbConfig {
	c := &dbConfig{}
	fs.StringVar(&c.url, "database-url", os.Getenv("EDMS_DATABASE_URL"),
		"PostgreSQL URL (env EDMS_DATABASE_URL); when empty, a private cluster is started in <data-dir>/postgres")
	fs.StringVar(&c.dataDir, "data-dir", envOr("EDMS_DATA_DIR", ".data"), "folder for the private PostgreSQL cluster (env EDMS_DATA_DIR)")
	fs.IntVar(&c.maxConns, "db-max-conns", 0,
		"most database connections in the pool (env EDMS_DB_MAX_CONNS); 0: max(8, 4 × cores)")
	fs.DurationVar(&c.acquireTimeout, "db-acquire-timeout", store.DefaultAcquireTimeout,
		"longest wait for a free database connection before answering 503 (env EDMS_DB_ACQUIRE_TIMEOUT)")
	c.envErr = errors.Join(setFromEnv(fs, "db-max-conns", "EDMS_DB_MAX_CONNS"),
		setFromEnv(fs, "db-acquire-timeout", "EDMS_DB_ACQUIRE_TIMEOUT"))
	return c
}

// setFromEnv sets a flag's default from an environment variable when it is set.
func setFromEnv(fs *flag.FlagSet, flagName, envName string) error {
	v := os.Getenv(envName)
	if v == "" {
		return nil
	}
	if err := fs.Set(flagName, v); err != nil {
		return fmt.Errorf("%s=%q is not valid: %w", envName, v, err)
	}
	return nil
}

func (c *dbConfig) poolOptions() (store.PoolOptions, error) {
	if c.envErr != nil {
		return store.PoolOptions{}, c.envErr
	}
	if c.maxConns < 0 || c.maxConns > 10000 {
		return store.PoolOptions{}, fmt.Errorf("-db-max-conns %d is out of range (0 to 10000)", c.maxConns)
	}
	if c.acquireTimeout <= 0 {
		return store.PoolOptions{}, fmt.Errorf("-db-acquire-timeout %s must be positive", c.acquireTimeout)
	}
	return store.PoolOptions{MaxConns: int32(c.maxConns), AcquireTimeout: c.acquireTimeout}, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// open connects (starting the private cluster when no URL is set), applies pending
// migrations, and returns the pool with a function that releases everything.
func (c *dbConfig) open(ctx context.Context) (*pgxpool.Pool, func(), error) {
	opts, err := c.poolOptions()
	if err != nil {
		return nil, nil, err
	}
	url, stopServer := c.url, func() {}
	if url == "" {
		dir := filepath.Join(c.dataDir, "postgres")
		slog.Info("starting the private PostgreSQL cluster", "dir", dir)
		srv, err := store.StartLocal(ctx, dir, store.LocalOptions{})
		if err != nil {
			return nil, nil, err
		}
		stopServer = func() {
			if err := srv.Stop(); err != nil {
				slog.Error("stopping PostgreSQL", "err", err)
			}
		}
		if err := ensureDatabase(ctx, srv, "edms"); err != nil {
			stopServer()
			return nil, nil, err
		}
		url = srv.URL("edms")
	}
	pool, err := store.OpenPool(ctx, url, opts)
	if err != nil {
		stopServer()
		return nil, nil, err
	}
	if err := store.Migrate(ctx, pool); err != nil {
		pool.Close()
		stopServer()
		return nil, nil, err
	}
	return pool, func() { pool.Close(); stopServer() }, nil
}

// ensureDatabase creates the named database on the private cluster when missing.
func ensureDatabase(ctx context.Context, srv *store.LocalServer, name string) error {
	pool, err := store.Open(ctx, srv.URL("postgres"))
	if err != nil {
		return err
	}
	defer pool.Close()
	var exists bool
	if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("checking database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	_, err = pool.Exec(ctx, "CREATE DATABASE "+name)
	return err
}

// runWithDB parses the flags, opens the database (applying migrations) and runs fn.
func runWithDB(ctx context.Context, fs *flag.FlagSet, db *dbConfig, args []string, fn func(*pgxpool.Pool) error) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return db.with(ctx, fn)
}

// with opens the database, runs fn and closes it.
func (c *dbConfig) with(ctx context.Context, fn func(*pgxpool.Pool) error) error {
	pool, closeDB, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	return fn(pool)
}
