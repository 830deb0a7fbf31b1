package hub

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/liaison/wire"
)

// Roles of a member.
const (
	RoleNode   = "node"   // an agency node: serves the agencies registered for it
	RoleHub    = "hub"    // a child hub: serves what its directory lists
	RoleParent = "parent" // the parent hub: serves everything outside this hub's subtree
	roleUplink = "uplink" // the Uplink, trusted like a parent (not a member row)
)

// Member is a peer registered at the hub.
type Member struct {
	ID       int64
	Name     string
	Role     string
	Endpoint string // base URL of its exchange listener
	SPKI     string // SPKI fingerprint of its TLS certificate
	Enabled  bool
	Agencies []string // the OrganIds it serves (registered, or pulled from its directory)
}

// ErrMemberNotFound is returned for a name no member has.
var ErrMemberNotFound = errors.New("hub: no such member")

// AddMember registers a peer by its certificate, with the agencies it serves (a
// node's; optional for a hub, whose directory is pulled).
func AddMember(ctx context.Context, pool *pgxpool.Pool, m Member, cert *x509.Certificate) (int64, error) {
	switch m.Role {
	case RoleNode, RoleHub, RoleParent:
	default:
		return 0, fmt.Errorf("hub: role %q is not node, hub or parent", m.Role)
	}
	if !strings.HasPrefix(m.Endpoint, "https://") {
		return 0, fmt.Errorf("hub: endpoint %q must be an https:// URL", m.Endpoint)
	}
	var id int64
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO hub_members (name, role, endpoint, spki) VALUES ($1, $2, $3, $4) RETURNING id`,
			m.Name, m.Role, strings.TrimRight(m.Endpoint, "/"), wire.SPKIFingerprint(cert)).Scan(&id); err != nil {
			return err
		}
		for _, organID := range m.Agencies {
			if _, err := tx.Exec(ctx, `INSERT INTO hub_member_agencies (member_id, organ_id, registered) VALUES ($1, $2, true)
				ON CONFLICT DO NOTHING`, id, strings.TrimSpace(organID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("hub: unable to add member %s: %w", m.Name, err)
	}
	return id, nil
}

// RemoveMember deletes a member and what it serves.
func RemoveMember(ctx context.Context, pool *pgxpool.Pool, name string) error {
	tag, err := pool.Exec(ctx, `DELETE FROM hub_members WHERE name = $1`, name)
	if err != nil {
		return fmt.Errorf("hub: unable to remove member %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return ErrMemberNotFound
	}
	return nil
}

// ListMembers returns every member with the agencies it serves, by role and name.
func ListMembers(ctx context.Context, pool *pgxpool.Pool) ([]Member, error) {
	rows, err := pool.Query(ctx, `
		SELECT m.id, m.name, m.role, m.endpoint, m.spki, m.enabled,
		       coalesce(array_agg(a.organ_id ORDER BY a.organ_id) FILTER (WHERE a.organ_id IS NOT NULL AND (a.registered OR m.role = 'hub')), '{}')
		FROM hub_members m LEFT JOIN hub_member_agencies a ON a.member_id = m.id
		GROUP BY m.id ORDER BY m.role, m.name`)
	if err != nil {
		return nil, fmt.Errorf("hub: unable to list members: %w", err)
	}
	members, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Member, error) {
		var m Member
		err := row.Scan(&m.ID, &m.Name, &m.Role, &m.Endpoint, &m.SPKI, &m.Enabled, &m.Agencies)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("hub: unable to list members: %w", err)
	}
	return members, nil
}

// peer is who delivered a package: a member, or the uplink.
type peer struct {
	ID   int64
	Name string
	Role string
}

// peerBySPKI finds the enabled member whose certificate has this fingerprint.
func (h *Hub) peerBySPKI(ctx context.Context, spki string) (peer, bool, error) {
	var p peer
	err := h.Pool.QueryRow(ctx, `SELECT id, name, role FROM hub_members WHERE spki = $1 AND enabled`, spki).Scan(&p.ID, &p.Name, &p.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("hub: unable to look up the peer: %w", err)
	}
	return p, true, nil
}

// serves tells whether the peer may send for organID: a parent or the uplink for
// anything, a child hub for what its directory lists, a node for its registered
// agencies.
func (h *Hub) serves(ctx context.Context, p peer, organID string) (bool, error) {
	if p.Role == RoleParent || p.Role == roleUplink {
		return true, nil
	}
	var ok bool
	err := h.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hub_member_agencies
		WHERE member_id = $1 AND organ_id = $2 AND (registered OR $3 = 'hub'))`, p.ID, organID, p.Role).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("hub: unable to check what %s serves: %w", p.Name, err)
	}
	return ok, nil
}
