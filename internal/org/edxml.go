package org

import (
	"context"
	"fmt"

	"edms/internal/store"
)

// SetEdxmlPlaceholderSignature records whether the agency's software needs the
// reference library's placeholder Signature instead of a namespaced XML-DSig one;
// packages for it then travel unsigned.
func SetEdxmlPlaceholderSignature(ctx context.Context, db store.DB, organID string, placeholder bool) error {
	tag, err := db.Exec(ctx, `UPDATE agencies SET edxml_placeholder_signature = $2, updated_at = now() WHERE organ_id = $1`, organID, placeholder)
	if err != nil {
		return fmt.Errorf("org: unable to set the edXML signature of %s: %w", organID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %s", ErrAgencyNotFound, organID)
	}
	return nil
}

// EdxmlPlaceholderPeers returns which of the given agencies need the placeholder
// Signature; agencies outside the directory get a signed package.
func EdxmlPlaceholderPeers(ctx context.Context, db store.DB, organIDs []string) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT organ_id FROM agencies WHERE organ_id = ANY($1) AND edxml_placeholder_signature`, organIDs)
	if err != nil {
		return nil, fmt.Errorf("org: unable to read edXML signature settings: %w", err)
	}
	defer rows.Close()
	peers := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		peers[id] = true
	}
	return peers, rows.Err()
}
