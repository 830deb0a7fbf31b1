package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/jackc/pgx/v5"

	"edms/internal/liaison/wire"
)

// Directory lists every agency this hub can route to: its nodes' agencies (Hub =
// this hub), what its child hubs list, what its parent lists (Hub = the parent's
// name) and what the uplink lists (Hub = the uplink's name); an agency known twice
// is listed once, the nearest first.
func (h *Hub) Directory(ctx context.Context) ([]wire.DirectoryEntry, error) {
	rows, err := h.Pool.Query(ctx, `
		SELECT DISTINCT ON (organ_id) organ_id, name, parent_organ_id, hub, node, start_at, end_at FROM (
			SELECT a.organ_id, a.name, a.parent_organ_id,
			       CASE m.role WHEN 'node' THEN $1 WHEN 'parent' THEN m.name ELSE coalesce(nullif(a.hub, ''), m.name) END AS hub,
			       CASE m.role WHEN 'node' THEN m.name ELSE a.node END AS node,
			       a.start_at, a.end_at, CASE m.role WHEN 'node' THEN 0 WHEN 'hub' THEN 1 ELSE 3 END AS nearness
			FROM hub_member_agencies a JOIN hub_members m ON m.id = a.member_id
			WHERE m.enabled AND (m.role <> 'node' OR a.registered)
			UNION ALL
			SELECT organ_id, name, parent_organ_id, $2, '', start_at, end_at, 2 FROM hub_uplink_agencies WHERE $2 <> ''
		) e ORDER BY organ_id, nearness, hub`, h.Name, h.uplinkName())
	if err != nil {
		return nil, fmt.Errorf("hub: unable to list the directory: %w", err)
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (wire.DirectoryEntry, error) {
		var e wire.DirectoryEntry
		err := row.Scan(&e.OrganID, &e.Name, &e.ParentOrganID, &e.Hub, &e.Node, &e.Start, &e.End)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("hub: unable to list the directory: %w", err)
	}
	return entries, nil
}

func (h *Hub) uplinkName() string {
	if h.Uplink == nil {
		return ""
	}
	return h.Uplink.Name()
}

func (h *Hub) handleDirectory(w http.ResponseWriter, r *http.Request, _ peer) {
	entries, err := h.Directory(r.Context())
	if err != nil {
		h.unavailable(w, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, entries)
}

// PullDirectories fetches the directory of every enabled member and of the uplink:
// a child hub's or the parent's replaces what it serves (without the entries it
// learnt from this hub), a node's only names the agencies registered for it.
func (h *Hub) PullDirectories(ctx context.Context) error {
	members, err := ListMembers(ctx, h.Pool)
	if err != nil {
		return err
	}
	var errs []error
	if h.Uplink != nil {
		if err := h.pullUplinkDirectory(ctx); err != nil {
			slog.Warn("hub: unable to pull the uplink's directory", "uplink", h.Uplink.Name(), "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", h.Uplink.Name(), err))
		}
	}
	for _, m := range members {
		if !m.Enabled {
			continue
		}
		client := h.clientFor(m.Endpoint, m.SPKI)
		entries, err := client.Directory(ctx)
		if err == nil {
			err = h.saveDirectory(ctx, m, entries)
		}
		if err != nil {
			slog.Warn("hub: unable to pull a member's directory", "member", m.Name, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", m.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (h *Hub) saveDirectory(ctx context.Context, m Member, entries []wire.DirectoryEntry) error {
	return pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		if m.Role == RoleNode {
			for _, e := range entries {
				if _, err := tx.Exec(ctx, `UPDATE hub_member_agencies SET name = $3, parent_organ_id = $4, start_at = $5, end_at = $6
					WHERE member_id = $1 AND organ_id = $2 AND registered`, m.ID, e.OrganID, e.Name, e.ParentOrganID, e.Start, e.End); err != nil {
					return err
				}
			}
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM hub_member_agencies WHERE member_id = $1 AND NOT registered`, m.ID); err != nil {
			return err
		}
		for _, e := range entries {
			if e.Hub == h.Name {
				continue // what this hub told the member: not served by it
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO hub_member_agencies (member_id, organ_id, name, parent_organ_id, hub, node, start_at, end_at, registered)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false)
				ON CONFLICT (member_id, organ_id) DO UPDATE SET name = excluded.name, parent_organ_id = excluded.parent_organ_id,
					hub = excluded.hub, node = excluded.node, start_at = excluded.start_at, end_at = excluded.end_at`,
				m.ID, e.OrganID, e.Name, e.ParentOrganID, e.Hub, e.Node, e.Start, e.End); err != nil {
				return err
			}
		}
		return nil
	})
}

// pullUplinkDirectory replaces the cached directory of the uplink.
func (h *Hub) pullUplinkDirectory(ctx context.Context) error {
	entries, err := h.Uplink.Directory(ctx)
	if err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM hub_uplink_agencies`); err != nil {
			return err
		}
		for _, e := range entries {
			if _, err := tx.Exec(ctx, `INSERT INTO hub_uplink_agencies (organ_id, name, parent_organ_id, start_at, end_at)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, e.OrganID, e.Name, e.ParentOrganID, e.Start, e.End); err != nil {
				return err
			}
		}
		return nil
	})
}
