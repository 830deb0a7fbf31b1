package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"edms/schemas"
)

// Open connects to the database at url with the default pool options and checks
// that it answers.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return OpenPool(ctx, url, PoolOptions{})
}

// OpenPool connects to the database at url with a pool sized by opts and checks that
// it answers.
func OpenPool(ctx context.Context, url string, opts PoolOptions) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: the database URL is not valid (%v); expected e.g. postgres://user:pass@host:5432/edms", redact(err))
	}
	opts.apply(cfg, url)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: unable to create the connection pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: the database at %s is unreachable: %w; check EDMS_DATABASE_URL and that PostgreSQL is running", cfg.ConnConfig.Host, err)
	}
	return pool, nil
}

// redact drops a connection string echoed back in a parse error, since it may hold a password.
func redact(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return "cannot parse the connection string"
	}
	return err.Error()
}

// Migrate applies every pending migration embedded from schemas/migrations, then
// River's. It holds goose's PostgreSQL session lock meanwhile, so that several nodes
// starting together on one database apply each migration once: the others wait for
// the lock and then find nothing left to do.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	provider, err := newMigrator(pool)
	if err != nil {
		return err
	}
	return withMigrationLock(ctx, pool, func() error {
		results, err := provider.Up(ctx)
		if err != nil {
			return fmt.Errorf("store: unable to apply migrations: %w", err)
		}
		for _, r := range results {
			slog.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
		}
		return migrateRiver(ctx, pool)
	})
}

// withMigrationLock runs fn while holding goose's session-level advisory lock on a
// connection of its own (checked every second, for up to five minutes).
func withMigrationLock(ctx context.Context, pool *pgxpool.Pool, fn func() error) error {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("store: unable to prepare the migration lock: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: unable to connect for the migration lock: %w", err)
	}
	defer conn.Close()
	if err := locker.SessionLock(ctx, conn); err != nil {
		return fmt.Errorf("store: unable to take the migration lock (another node migrating for too long?): %w", err)
	}
	defer func() {
		if err := locker.SessionUnlock(context.WithoutCancel(ctx), conn); err != nil {
			slog.Error("store: unable to release the migration lock", "err", err)
		}
	}()
	return fn()
}

// migrateRiver applies the migrations of River, the job queue (its own tables and
// versioning, kept beside ours).
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("store: unable to prepare River's migrations: %w", err)
	}
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("store: unable to apply River's migrations: %w", err)
	}
	for _, v := range res.Versions {
		slog.Info("river migration applied", "version", v.Version)
	}
	return nil
}

// MigrationStatus returns, for each embedded migration, whether it is applied.
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool) ([]*goose.MigrationStatus, error) {
	provider, err := newMigrator(pool)
	if err != nil {
		return nil, err
	}
	return provider.Status(ctx)
}

func newMigrator(pool *pgxpool.Pool) (*goose.Provider, error) {
	migrations, err := fs.Sub(schemas.Migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: embedded migrations missing: %w", err)
	}
	db := stdlib.OpenDBFromPool(pool)
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations, goose.WithAllowOutofOrder(true))
	if err != nil {
		return nil, fmt.Errorf("store: unable to read migrations: %w", err)
	}
	return provider, nil
}

// InTx runs fn in one transaction: committed when fn returns nil, rolled back otherwise,
// so a multi-step change is all or nothing.
func InTx(ctx context.Context, pool *pgxpool.Pool, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, fn)
}

// IsUniqueViolation reports whether err is a unique-constraint violation, optionally of
// the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// DB is what both a pool and a transaction offer, so domain functions can run alone or
// inside a caller's transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
