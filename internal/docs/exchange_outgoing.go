package docs

import (
	"context"

	"github.com/jackc/pgx/v5"
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
