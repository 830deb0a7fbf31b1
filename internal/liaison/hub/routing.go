package hub

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// errUnroutable is returned for a recipient that no member, child, uplink or parent
// can take (or whose service ended).
var errUnroutable = errors.New("hub: no route to the recipient")

// hop is where a copy goes next: a member, or the uplink.
type hop struct {
	Name     string
	Role     string
	Endpoint string
	SPKI     string // of the member's certificate
}

// route finds the next hop of organID: a member node that serves it, else a child
// hub that lists it, else the uplink, else the parent. It never sends a package
// back to cameFrom, the hub it came from: an agency that only that hub serves is
// not routable (sending it up would loop). A node may get back a package for
// another agency it serves. An agency whose service ended is not routable.
func (h *Hub) route(ctx context.Context, organID, cameFrom string) (hop, error) {
	rows, err := h.Pool.Query(ctx, `
		SELECT m.name, m.role, m.endpoint, m.spki, coalesce(a.end_at < now(), false)
		FROM hub_member_agencies a JOIN hub_members m ON m.id = a.member_id
		WHERE a.organ_id = $1 AND m.enabled AND (m.role <> 'node' OR a.registered)
		ORDER BY 5, m.role = 'parent', m.role = 'hub', m.name`, organID)
	if err != nil {
		return hop{}, fmt.Errorf("hub: unable to route %s: %w", organID, err)
	}
	type entry struct {
		hop
		ended bool
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (entry, error) {
		var e entry
		err := row.Scan(&e.Name, &e.Role, &e.Endpoint, &e.SPKI, &e.ended)
		return e, err
	})
	if err != nil {
		return hop{}, fmt.Errorf("hub: unable to route %s: %w", organID, err)
	}
	var servedByOrigin *hop
	for _, e := range entries {
		switch {
		case e.ended:
			return hop{}, errUnroutable
		case e.Role == RoleParent:
		case e.Name != cameFrom:
			return e.hop, nil
		default:
			servedByOrigin = &e.hop
		}
	}
	if servedByOrigin != nil {
		if servedByOrigin.Role == RoleNode {
			return *servedByOrigin, nil
		}
		return hop{}, errUnroutable
	}
	if h.Uplink != nil && h.Uplink.Name() != cameFrom && h.Uplink.Serves(organID) {
		return hop{Name: h.Uplink.Name(), Role: roleUplink}, nil
	}
	return h.parent(ctx, cameFrom)
}

// parent is the enabled parent hub, unless the package came from it.
func (h *Hub) parent(ctx context.Context, cameFrom string) (hop, error) {
	var p hop
	err := h.Pool.QueryRow(ctx, `SELECT name, role, endpoint, spki FROM hub_members WHERE role = 'parent' AND enabled AND name <> $1`,
		cameFrom).Scan(&p.Name, &p.Role, &p.Endpoint, &p.SPKI)
	if errors.Is(err, pgx.ErrNoRows) {
		return hop{}, errUnroutable
	}
	if err != nil {
		return hop{}, fmt.Errorf("hub: unable to find the parent hub: %w", err)
	}
	return p, nil
}
