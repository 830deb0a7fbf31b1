// Package trust owns the administration of the node's trust anchors: the root CA
// certificates every signature is checked against. Anchors added or removed by an
// administrator are kept in PostgreSQL, the source of truth for every instance behind
// the database; the trust folder's files are the operator's initial set and a cache
// of the added ones. A change notifies every instance, which then replaces its
// running signing.TrustStore in place (Reload), without a restart.
package trust

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/audit"
	"edms/internal/signing"
	"edms/internal/store"
)

// channel is the notification every instance listens on to reload its anchors.
const channel = "edms_trust"

var (
	// ErrNotCertificate: the upload is not one PEM or DER certificate.
	ErrNotCertificate = errors.New("trust: not a certificate")
	// ErrNotCA: the certificate may not issue certificates.
	ErrNotCA = errors.New("trust: not a CA certificate")
	// ErrExpired: the certificate is outside its validity period.
	ErrExpired = errors.New("trust: certificate expired or not yet valid")
	// ErrNotFound: no such anchor is trusted.
	ErrNotFound = errors.New("trust: no such anchor")
)

// Actor is who changes the anchors, for the audit log.
type Actor struct {
	UserID   int64
	AgencyID int64
	ClientIP string
}

// Fingerprint is the SHA-256 of the certificate's DER, lower-case hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// Parse reads one certificate (PEM or DER) and checks that it may be an anchor: a
// CA certificate inside its validity period at now.
func Parse(data []byte, now time.Time) (*x509.Certificate, error) {
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "CERTIFICATE" {
			return nil, ErrNotCertificate
		}
		data = block.Bytes
	} else if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, ErrNotCertificate
	}
	c, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotCertificate, err)
	}
	if !c.BasicConstraintsValid || !c.IsCA {
		return c, ErrNotCA
	}
	if now.Before(c.NotBefore) || now.After(c.NotAfter) {
		return c, ErrExpired
	}
	return c, nil
}

// Add trusts c on every instance from now on and records who did it.
func Add(ctx context.Context, pool *pgxpool.Pool, a Actor, c *x509.Certificate) error {
	return change(ctx, pool, a, "trust.add", c.Subject.String(), Fingerprint(c), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `
			INSERT INTO trust_anchors (fingerprint, der, subject, removed, changed_by) VALUES ($1, $2, $3, false, $4)
			ON CONFLICT (fingerprint) DO UPDATE SET removed = false, changed_by = $4, changed_at = now()`,
			Fingerprint(c), c.Raw, c.Subject.String(), a.UserID)
		return err
	})
}

// Remove stops trusting the anchor with the fingerprint, whether an administrator
// added it or a file of the trust folder holds it (trusted, the current anchors).
func Remove(ctx context.Context, pool *pgxpool.Pool, a Actor, fingerprint string, trusted []*x509.Certificate) error {
	for _, c := range trusted {
		if Fingerprint(c) != fingerprint {
			continue
		}
		return change(ctx, pool, a, "trust.remove", c.Subject.String(), fingerprint, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, `
				INSERT INTO trust_anchors (fingerprint, der, subject, removed, changed_by) VALUES ($1, $2, $3, true, $4)
				ON CONFLICT (fingerprint) DO UPDATE SET removed = true, changed_by = $4, changed_at = now()`,
				fingerprint, c.Raw, c.Subject.String(), a.UserID)
			return err
		})
	}
	return ErrNotFound
}

// change writes one change, its audit entry and the reload notification in one
// transaction.
func change(ctx context.Context, pool *pgxpool.Pool, a Actor, action, subject, fingerprint string, write func(pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := write(tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT pg_notify($1, '')`, channel); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Entry{ActorID: &a.UserID, AgencyID: &a.AgencyID, Action: action,
			ObjectType: "trust_anchor", ObjectID: fingerprint, ClientIP: a.ClientIP, Detail: map[string]any{"subject": subject}})
	})
	if err != nil {
		return fmt.Errorf("trust: unable to record %s: %w", action, err)
	}
	return nil
}

// Anchors are the anchors in force: the trust folder's certificates (dir; "" for
// none) and the added ones, without the removed ones.
func Anchors(ctx context.Context, db store.DB, dir string) ([]*x509.Certificate, error) {
	var files []*x509.Certificate
	if dir != "" {
		if fromFiles, err := signing.LoadTrustStore(dir); err == nil {
			files = fromFiles.Anchors()
		}
	}
	rows, err := db.Query(ctx, `SELECT fingerprint, der, removed FROM trust_anchors`)
	if err != nil {
		return nil, fmt.Errorf("trust: unable to read the anchors: %w", err)
	}
	defer rows.Close()
	removed := map[string]bool{}
	var added []*x509.Certificate
	for rows.Next() {
		var fp string
		var der []byte
		var gone bool
		if err := rows.Scan(&fp, &der, &gone); err != nil {
			return nil, err
		}
		removed[fp] = gone
		if c, err := x509.ParseCertificate(der); err == nil && !gone {
			added = append(added, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var anchors []*x509.Certificate
	seen := map[string]bool{}
	for _, c := range append(files, added...) {
		fp := Fingerprint(c)
		if !removed[fp] && !seen[fp] {
			seen[fp] = true
			anchors = append(anchors, c)
		}
	}
	return anchors, nil
}

// reloading serialises the reloads, so that a slow one (the listener's) cannot put
// back an older set after a newer one was read.
var reloading sync.Mutex

// Reload replaces the running store's anchors with the ones in force and refreshes
// the folder's cache of added anchors.
func Reload(ctx context.Context, db store.DB, ts *signing.TrustStore, dir string) error {
	reloading.Lock()
	defer reloading.Unlock()
	anchors, err := Anchors(ctx, db, dir)
	if err != nil {
		return err
	}
	ts.Replace(anchors)
	return writeCache(ctx, db, dir)
}

// cacheName is the file of the trust folder that caches an added anchor.
func cacheName(fingerprint string) string { return "added-" + fingerprint[:16] + ".pem" }

// writeCache writes every added anchor to the trust folder (atomically: a temporary
// file renamed) and deletes the cached copies of removed ones.
func writeCache(ctx context.Context, db store.DB, dir string) error {
	if dir == "" {
		return nil
	}
	rows, err := db.Query(ctx, `SELECT fingerprint, der, removed FROM trust_anchors`)
	if err != nil {
		return fmt.Errorf("trust: unable to read the anchors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var fp string
		var der []byte
		var gone bool
		if err := rows.Scan(&fp, &der, &gone); err != nil {
			return err
		}
		path := filepath.Join(dir, cacheName(fp))
		if gone {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("trust: unable to remove %s: %w", path, err)
			}
			continue
		}
		if err := writeAtomically(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err != nil {
			return err
		}
	}
	return rows.Err()
}

func writeAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".anchor-*")
	if err != nil {
		return fmt.Errorf("trust: unable to write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("trust: unable to write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("trust: unable to write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("trust: unable to write %s: %w", path, err)
	}
	return nil
}

// Listen reloads ts whenever any instance changes the anchors, until ctx ends. It
// listens on a connection of its own, outside the pool.
func Listen(ctx context.Context, pool *pgxpool.Pool, ts *signing.TrustStore, dir string) {
	for ctx.Err() == nil {
		if err := listenOnce(ctx, pool, ts, dir); err != nil && ctx.Err() == nil {
			slog.Warn("trust: anchor listener lost its connection; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(2 * time.Second):
			}
		}
	}
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, ts *signing.TrustStore, dir string) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return err
	}
	for {
		if err := Reload(ctx, pool, ts, dir); err != nil { // also the changes made while not listening
			return err
		}
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
	}
}
