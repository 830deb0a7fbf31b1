package exchange

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/liaison/wire"
	"edms/internal/store"
)

// Peer roles.
const (
	RoleHub  = "hub"
	RoleNode = "node"
)

// ErrPeerNotFound is returned when no peer has the name or key asked for.
var ErrPeerNotFound = errors.New("exchange: peer not found")

// Peer is a hub or node allowed to call this node's exchange listener.
type Peer struct {
	Name     string
	Role     string   // RoleHub or RoleNode
	SPKI     string   // wire.SPKIFingerprint of its certificate
	Agencies []string // the OrganIds a node peer serves
	Created  time.Time
}

// serves tells whether the peer may deliver packages from organID: a hub always
// may (it checked the sender at its own edge), a node for the agencies it serves.
func (p *Peer) serves(organID string) bool {
	return p.Role == RoleHub || slices.Contains(p.Agencies, organID)
}

// AddPeer registers (or updates, by name) a peer from its certificate.
func AddPeer(ctx context.Context, db store.DB, name, role string, cert *x509.Certificate, agencies []string) (*Peer, error) {
	if role != RoleHub && role != RoleNode {
		return nil, fmt.Errorf("exchange: a peer's role is %q or %q, not %q", RoleHub, RoleNode, role)
	}
	p := &Peer{Name: name, Role: role, SPKI: wire.SPKIFingerprint(cert), Agencies: agencies}
	if p.Agencies == nil {
		p.Agencies = []string{}
	}
	err := db.QueryRow(ctx, `INSERT INTO exchange_peers (name, role, spki, agencies) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET role = excluded.role, spki = excluded.spki, agencies = excluded.agencies
		RETURNING created_at`, p.Name, p.Role, p.SPKI, p.Agencies).Scan(&p.Created)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to save peer %s: %w", name, err)
	}
	return p, nil
}

// Peers lists the registered peers by name.
func Peers(ctx context.Context, db store.DB) ([]Peer, error) {
	rows, err := db.Query(ctx, `SELECT name, role, spki, agencies, created_at FROM exchange_peers ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to list the peers: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Peer])
}

// RemovePeer forgets a peer: its certificate no longer opens the listener.
func RemovePeer(ctx context.Context, db store.DB, name string) error {
	tag, err := db.Exec(ctx, `DELETE FROM exchange_peers WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("exchange: unable to remove peer %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrPeerNotFound, name)
	}
	return nil
}

// peerBySPKI finds the peer that holds the key.
func peerBySPKI(ctx context.Context, db store.DB, spki string) (*Peer, error) {
	rows, err := db.Query(ctx, `SELECT name, role, spki, agencies, created_at FROM exchange_peers WHERE spki = $1`, spki)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to look the peer up: %w", err)
	}
	p, err := pgx.CollectExactlyOneRow(rows, pgx.RowToAddrOfStructByPos[Peer])
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrPeerNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to read the peer: %w", err)
	}
	return p, nil
}
