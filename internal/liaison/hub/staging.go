package hub

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// chunkSize is the size of one row of hub_package_chunks.
const chunkSize = 1 << 20

// stagingWriter writes a package's bytes to hub_package_chunks as they stream in,
// one short INSERT per full chunk, so that nothing holds a transaction while the
// body arrives. The last chunk (the only one of most packages) stays in memory until
// storeTail inserts it in the transaction that stores the package: one transaction
// fewer per package, and nothing to delete when the package is refused. The first
// write error sticks and is returned by every later call.
type stagingWriter struct {
	ctx  context.Context
	pool *pgxpool.Pool
	id   uuid.UUID
	seq  int
	buf  []byte
	size int64
	err  error
}

func newStagingWriter(ctx context.Context, pool *pgxpool.Pool) *stagingWriter {
	return &stagingWriter{ctx: ctx, pool: pool, id: uuid.New()} // buf grows with the package, up to a chunk
}

func (s *stagingWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	for len(p) > 0 {
		take := min(len(p), chunkSize-len(s.buf))
		s.buf = append(s.buf, p[:take]...)
		p = p[take:]
		if len(s.buf) == chunkSize {
			if err := s.flush(); err != nil {
				return 0, err
			}
		}
	}
	s.size += int64(n)
	return n, nil
}

// storeTail inserts the chunk still in memory in tx, the package's transaction.
func (s *stagingWriter) storeTail(ctx context.Context, tx pgx.Tx) error {
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `INSERT INTO hub_package_chunks (staging_id, seq, data) VALUES ($1, $2, $3)`, s.id, s.seq, s.buf); err != nil {
		return fmt.Errorf("hub: unable to stage the package: %w", err)
	}
	return nil
}

// discard deletes the chunks already flushed of a package that is not kept.
func (s *stagingWriter) discard(ctx context.Context) error {
	if s.seq == 0 {
		return nil
	}
	return discardStaged(ctx, s.pool, s.id)
}

// flush inserts a full chunk. Its commit does not wait for the WAL to reach the
// disk: the transaction that stores the package row and its last chunk does, later, and the WAL
// is flushed in order, so the chunks are durable when the package is acknowledged,
// for one disk flush per package instead of one per chunk.
func (s *stagingWriter) flush() error {
	err := pgx.BeginFunc(s.ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(s.ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		_, err := tx.Exec(s.ctx, `INSERT INTO hub_package_chunks (staging_id, seq, data) VALUES ($1, $2, $3)`, s.id, s.seq, s.buf)
		return err
	})
	if err != nil {
		s.err = fmt.Errorf("hub: unable to stage the package: %w", err)
		return s.err
	}
	s.seq++
	s.buf = s.buf[:0]
	return nil
}

// discardStaged deletes the chunks of a package that was refused or was a duplicate.
func discardStaged(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID) error {
	if _, err := pool.Exec(context.WithoutCancel(ctx), `DELETE FROM hub_package_chunks WHERE staging_id = $1`, id); err != nil {
		return fmt.Errorf("hub: unable to discard staged package %s: %w", id, err)
	}
	return nil
}

// errChunksMissing is returned when a staged package's bytes are gone before its
// whole size was read.
var errChunksMissing = errors.New("hub: the staged package is incomplete")

// chunkReader streams a staged package of a known size back, one short query per
// chunk.
type chunkReader struct {
	ctx  context.Context
	pool *pgxpool.Pool
	id   uuid.UUID
	left int64 // bytes not yet fetched
	seq  int
	buf  []byte
}

func newChunkReader(ctx context.Context, pool *pgxpool.Pool, id uuid.UUID, size int64) *chunkReader {
	return &chunkReader{ctx: ctx, pool: pool, id: id, left: size}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		if c.left <= 0 {
			return 0, io.EOF
		}
		err := c.pool.QueryRow(c.ctx, `SELECT data FROM hub_package_chunks WHERE staging_id = $1 AND seq = $2`, c.id, c.seq).Scan(&c.buf)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && len(c.buf) == 0) {
			return 0, fmt.Errorf("%w: %s has no chunk %d", errChunksMissing, c.id, c.seq)
		}
		if err != nil {
			return 0, fmt.Errorf("hub: unable to read staged package %s: %w", c.id, err)
		}
		c.seq++
		c.left -= int64(len(c.buf))
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// deleteUnclaimed removes staged chunks older than an hour that no package claimed
// (an upload cut midway, a hub that stopped between staging and storing), and the
// chunks of packages whose every delivery has ended.
func deleteUnclaimed(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	tag, err := pool.Exec(ctx, `
		DELETE FROM hub_package_chunks c
		WHERE (c.created_at < now() - interval '1 hour'
		       AND NOT EXISTS (SELECT 1 FROM hub_packages p WHERE p.staging_id = c.staging_id))
		   OR c.staging_id IN (SELECT p.staging_id FROM hub_packages p
		       WHERE NOT EXISTS (SELECT 1 FROM hub_deliveries d WHERE d.package = p.id AND d.state = 'pending'))`)
	if err != nil {
		return 0, fmt.Errorf("hub: unable to delete unclaimed staged packages: %w", err)
	}
	return tag.RowsAffected(), nil
}
