package store

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PoolOptions size the connection pool and bound the wait for a connection.
type PoolOptions struct {
	// MaxConns is the most connections the pool opens; 0 keeps the URL's
	// pool_max_conns when it names one, DefaultMaxConns otherwise.
	MaxConns int32
	// AcquireTimeout bounds how long a caller waits for a free connection; 0 means
	// DefaultAcquireTimeout. A caller that waits longer gets an error for which
	// Unavailable is true.
	AcquireTimeout time.Duration
}

// DefaultAcquireTimeout is how long a request waits for a connection before the
// node answers that it is busy.
const DefaultAcquireTimeout = 5 * time.Second

// DefaultMaxConns is max(8, 4 × cores): a request holds a connection only while it
// talks to PostgreSQL, so a few per core keep the cores busy without queueing.
func DefaultMaxConns() int32 {
	return int32(max(8, 4*runtime.GOMAXPROCS(0)))
}

func (o PoolOptions) apply(cfg *pgxpool.Config, url string) {
	switch {
	case o.MaxConns > 0:
		cfg.MaxConns = o.MaxConns
	case !strings.Contains(url, "pool_max_conns"):
		cfg.MaxConns = DefaultMaxConns()
	}
	timeout := o.AcquireTimeout
	if timeout <= 0 {
		timeout = DefaultAcquireTimeout
	}
	cfg.ConnConfig.Tracer = acquireDeadline{timeout: timeout}
}

// acquireDeadline bounds every wait for a pool connection (pgxpool has no setting
// for it): pgxpool calls TraceAcquireStart before waiting and waits on the context it
// returns, while the statement that follows runs under the caller's own context.
type acquireDeadline struct{ timeout time.Duration }

type acquireCancelKey struct{}

func (a acquireDeadline) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	return context.WithValue(ctx, acquireCancelKey{}, cancel)
}

func (acquireDeadline) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	if cancel, ok := ctx.Value(acquireCancelKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// TraceQueryStart and TraceQueryEnd make acquireDeadline a pgx tracer (the only way
// to install an acquire tracer); queries are not traced.
func (acquireDeadline) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (acquireDeadline) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Unavailable reports whether err means the database cannot serve now — every
// connection busy past the acquire timeout, the server unreachable, shutting down or
// starting — so that the caller should answer "try again later" rather than "failed".
// A caller whose own context ended must check that first: a deadline exceeded is
// only the pool's when the caller's context is still alive.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P01-57P03: admin/crash shutdown, cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return pgconn.SafeToRetry(err)
}
