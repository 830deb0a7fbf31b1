package docs

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// OutgoingForExchange reads an outgoing document with its recipients for the
// exchange link, which acts as the system of the document's agency: the job that
// asks for it was queued by a step on that very document.
func OutgoingForExchange(ctx context.Context, tx pgx.Tx, docID int64) (*Record, error) {
	rec, err := readDocument(tx.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents d
		WHERE d.id = $1 AND d.direction = 'outgoing'`, docID), docID)
	if err != nil {
		return nil, err
	}
	recipients, err := Recipients(ctx, tx, docID)
	if err != nil {
		return nil, err
	}
	for _, r := range recipients {
		rec.Recipients = append(rec.Recipients, r.Recipient)
	}
	return rec, nil
}

// OutgoingIDByExternalID finds the outgoing document of one of the given agencies
// that carries the edXML DocumentId, for the exchange's tracking.
func OutgoingIDByExternalID(ctx context.Context, db store.DB, agencyIDs []int64, externalID string) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT id FROM documents WHERE direction = 'outgoing' AND external_id = $1
		AND agency_id = ANY($2) ORDER BY id LIMIT 1`, externalID, agencyIDs).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("docs: unable to find the outgoing document %q: %w", externalID, err)
	}
	return id, nil
}
