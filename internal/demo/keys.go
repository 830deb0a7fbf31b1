package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
)

// ProvisionKeys gives the demo network what real agencies get from the national CAs:
// a root CA (trusted by the demo's verifier), a signing certificate for every agency
// and for every leader (lanh_dao), in the keyring's folder. Existing files are kept,
// so running it again changes nothing.
func ProvisionKeys(ctx context.Context, pool *pgxpool.Pool, keys docsign.Keyring) error {
	ca, err := LoadOrCreateCA(filepath.Join(keys.Dir, "ca", "demo-root.p12"), pki.DemoRootName, keys.Password)
	if err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT organ_id FROM agencies ORDER BY organ_id`)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return IssueKeys(ctx, pool, ca, keys, all)
}

// IssueKeys writes into the keyring's folder what one installation signs and
// verifies with: ca's root as its trust anchor, a signing certificate for each
// hosted agency (certified by ca, its organ id as UID) and for every leader in the
// database. Existing files are kept, so running it again changes nothing.
func IssueKeys(ctx context.Context, pool *pgxpool.Pool, ca *pki.Authority, keys docsign.Keyring, hosted []string) error {
	if err := os.MkdirAll(keys.TrustDir(), 0o755); err != nil {
		return err
	}
	if err := pki.WriteCertPEM(filepath.Join(keys.TrustDir(), "edms-demo-root.pem"), ca.Cert); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	agencies, err := query[agencyRow](ctx, pool, `SELECT organ_id, name FROM agencies WHERE organ_id = ANY($1) ORDER BY organ_id`, hosted)
	if err != nil {
		return err
	}
	for _, a := range agencies {
		subject := pki.Subject{CommonName: a.Name, Organization: a.Name, Identifier: a.OrganID, Province: "Thái Nguyên"}
		if err := issueOnce(keys.AgencyPath(a.OrganID), keys.Password, func() (*pki.Credential, error) {
			return ca.IssueAgency(pki.Options{Subject: subject})
		}); err != nil {
			return err
		}
	}
	leaders, err := query[leaderRow](ctx, pool, `
		SELECT DISTINCT u.username, u.full_name, m.position, a.name FROM casbin_rule r
		JOIN users u ON r.v0 = 'user:' || u.id JOIN agencies a ON r.v2 = 'agency:' || a.id
		JOIN memberships m ON m.user_id = u.id AND m.agency_id = a.id
		WHERE r.ptype = 'g' AND r.v1 = 'lanh_dao' ORDER BY u.username`)
	if err != nil {
		return err
	}
	for _, p := range leaders {
		subject := pki.Subject{CommonName: p.FullName, Title: p.Position, Organization: p.Agency, Province: "Thái Nguyên"}
		if err := issueOnce(keys.PersonPath(p.Username), keys.Password, func() (*pki.Credential, error) {
			return ca.IssuePerson(pki.Options{Subject: subject})
		}); err != nil {
			return err
		}
	}
	return nil
}

type agencyRow struct{ OrganID, Name string }

type leaderRow struct{ Username, FullName, Position, Agency string }

func query[T any](ctx context.Context, pool *pgxpool.Pool, sql string, args ...any) ([]T, error) {
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[T])
}

// LoadOrCreateCA reads the root CA kept in the PKCS#12 file at path, or creates one
// with the common name and keeps it there.
func LoadOrCreateCA(path, commonName, password string) (*pki.Authority, error) {
	if _, err := os.Stat(path); err == nil {
		return pki.LoadAuthority(path, password)
	}
	ca, err := pki.NewRootCA(commonName)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return ca, ca.Credential().WritePKCS12(path, password)
}

// issueOnce writes a new credential to path unless a file is already there.
func issueOnce(path, password string, issue func() (*pki.Credential, error)) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	cred, err := issue()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return cred.WritePKCS12(path, password)
}
