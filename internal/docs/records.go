package docs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// RecordFolder is a record (hồ sơ) of an agency, into which handled documents are filed.
type RecordFolder struct {
	ID    int64
	Code  string
	Title string
	Year  int
}

// Records lists the records of an agency for a year, by code.
func Records(ctx context.Context, db store.DB, agencyID int64, year int) ([]RecordFolder, error) {
	rows, err := db.Query(ctx, `SELECT id, code, title, year FROM records WHERE agency_id = $1 AND year = $2 ORDER BY code`, agencyID, year)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list records: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[RecordFolder])
}
