package docs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Counter series names. Outgoing numbers run in one shared series per agency and year,
// or one per type when the agency chose so; secret documents always have their own
// series (family "out-secret"). Incoming numbers (số đến) have one series.
const (
	seriesOutgoing = "out"
	seriesSecret   = "out-secret"
	seriesIncoming = "in"
)

// outgoingSeries names the series an outgoing document takes its number from.
func outgoingSeries(perType bool, t TypeCode, secrecy Secrecy) string {
	family := seriesOutgoing
	if secrecy.Secret() {
		family = seriesSecret
	}
	if perType {
		return family + ":" + string(t)
	}
	return family
}

// takeCounterSQL increments the counter of series $3 of agency $1 for year $2 (creating
// it at 1) and returns the number taken.
const takeCounterSQL = `
	INSERT INTO number_counters (agency_id, year, series, last_number) VALUES ($1, $2, $3, 1)
	ON CONFLICT (agency_id, year, series) DO UPDATE SET last_number = number_counters.last_number + 1
	RETURNING last_number`

// nextNumber takes the next number of a series inside tx. The counter row stays locked
// until tx ends; if tx rolls back, the number is given back, so numbers have no gaps
// and no duplicates however many clerks issue at once.
func nextNumber(ctx context.Context, tx pgx.Tx, agencyID int64, year int, series string) (int, error) {
	var n int
	err := tx.QueryRow(ctx, takeCounterSQL, agencyID, year, series).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("docs: unable to take a number in series %s/%d: %w", series, year, err)
	}
	return n, nil
}

// NumberingPerType reports whether the agency numbers outgoing documents per type.
func NumberingPerType(ctx context.Context, db store.DB, agencyID int64) (bool, error) {
	var perType bool
	err := db.QueryRow(ctx, `SELECT per_type FROM numbering_settings WHERE agency_id = $1`, agencyID).Scan(&perType)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("docs: unable to read numbering settings: %w", err)
	}
	return perType, nil
}

// SetNumberingPerType records the head of the agency's choice of series. It applies to
// numbers issued afterwards; changing it in the middle of a year is refused once a
// number was issued that year, since the decree wants one consistent series per year.
func SetNumberingPerType(ctx context.Context, tx pgx.Tx, agencyID int64, perType bool, year int) error {
	current, err := NumberingPerType(ctx, tx, agencyID)
	if err != nil || current == perType {
		return err
	}
	var used bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM number_counters WHERE agency_id = $1 AND year = $2
		AND series LIKE 'out%' AND last_number > 0)`, agencyID, year).Scan(&used); err != nil {
		return fmt.Errorf("docs: unable to check the counters: %w", err)
	}
	if used {
		return invalid("Đã cấp số văn bản đi trong năm nay; chỉ thay đổi cách đánh số từ năm sau.",
			"agency %d already issued outgoing numbers in %d", agencyID, year)
	}
	_, err = tx.Exec(ctx, `INSERT INTO numbering_settings (agency_id, per_type) VALUES ($1, $2)
		ON CONFLICT (agency_id) DO UPDATE SET per_type = EXCLUDED.per_type`, agencyID, perType)
	if err != nil {
		return fmt.Errorf("docs: unable to save numbering settings: %w", err)
	}
	return nil
}

// Duplicate is an already registered document that looks like the one being received.
type Duplicate struct {
	DocumentID int64
	Reason     string // Vietnamese, for the warning shown to the clerk
}

// FindDuplicates returns the incoming documents of the agency that share the
// identifier, or the number + symbol + issuing body, of d (the decree's duplicate
// warnings). Rejected and recalled copies are not counted.
func FindDuplicates(ctx context.Context, db store.DB, agencyID int64, d *Document) ([]Duplicate, error) {
	rows, err := db.Query(ctx, `
		SELECT id, external_id <> '' AND external_id = $2
		FROM documents
		WHERE agency_id = $1 AND direction = 'incoming' AND id <> $6
		  AND incoming_state NOT IN ('rejected', 'recalled')
		  AND ((external_id <> '' AND external_id = $2)
		    OR (code_number <> '' AND code_number = $3 AND code_notation = $4 AND issuer_organ_id = $5))
		ORDER BY id`, agencyID, d.ExternalID, d.CodeNumber, d.CodeNotation, d.IssuerOrganID, d.ID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to look for duplicates: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Duplicate, error) {
		var dup Duplicate
		var sameID bool
		err := row.Scan(&dup.DocumentID, &sameID)
		dup.Reason = "Trùng số, ký hiệu và cơ quan ban hành với văn bản đến đã có."
		if sameID {
			dup.Reason = "Trùng mã định danh văn bản với văn bản đến đã có."
		}
		return dup, err
	})
}

// issueYear is the register year of a date in Vietnam.
func issueYear(t time.Time) int { return t.In(vietnam).Year() }
