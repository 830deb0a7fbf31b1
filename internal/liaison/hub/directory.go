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
// this hub), what its child hubs list, and what its parent lists (Hub = the
// parent's name); an agency known twice is listed once, the nearest first.
func (h *Hub) Directory(ctx context.Context) ([]wire.DirectoryEntry, error) {
	rows, err := h.Pool.Query(ctx, `
		SELECT DISTINCT ON (a.organ_id) a.organ_id, a.name, a.parent_organ_id,
		       CASE m.role WHEN 'node' THEN $1 WHEN 'parent' THEN m.name ELSE coalesce(nullif(a.hub, ''), m.name) END,
		       CASE m.role WHEN 'node' THEN m.name ELSE a.node END,
		       a.start_at, a.end_at
		FROM hub_member_agencies a JOIN hub_members m ON m.id = a.member_id
		WHERE m.enabled AND (m.role <> 'node' OR a.registered)
		ORDER BY a.organ_id, CASE m.role WHEN 'node' THEN 0 WHEN 'hub' THEN 1 ELSE 2 END, m.name`, h.Name)
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

func (h *Hub) handleDirectory(w http.ResponseWriter, r *http.Request, _ peer) {
	entries, err := h.Directory(r.Context())
	if err != nil {
		h.unavailable(w, err)
		return
	}
	writeJSON(w, http.StatusOK, entries)
}

// PullDirectories fetches the directory of every enabled member: a child hub's or
// the parent's replaces what it serves (without the entries it learnt from this
// hub), a node's only names the agencies registered for it.
func (h *Hub) PullDirectories(ctx context.Context) error {
	members, err := ListMembers(ctx, h.Pool)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range members {
		if !m.Enabled {
			continue
		}
		client := &wire.Client{BaseURL: m.Endpoint, HTTP: h.http}
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
