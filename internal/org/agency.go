package org

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Sentinel errors callers branch on.
var (
	ErrAgencyNotFound = errors.New("org: agency not found")
	ErrUnitNotFound   = errors.New("org: unit not found")
)

// Agency is a body that issues and receives documents in its own name.
type Agency struct {
	ID           int64
	OrganID      string // mã định danh
	Name         string // e.g. "Ủy ban nhân dân huyện Phú Lương"
	Abbreviation string // used in document symbols, e.g. "UBND"
	ParentID     *int64
	Address      string
	Email        string
	Phone        string
	Fax          string
	Website      string
}

// Unit is a department (phòng ban) inside an agency.
type Unit struct {
	ID           int64
	AgencyID     int64
	Name         string
	Abbreviation string // e.g. "VP", "TCKH"
}

var abbreviationPattern = regexp.MustCompile(`^[\p{Lu}\p{Ll}0-9]{1,20}$`)

// Validate checks an agency's fields and returns the warnings it may carry.
func (a *Agency) Validate() (warnings []string, err error) {
	a.OrganID = strings.TrimSpace(a.OrganID)
	a.Name = strings.TrimSpace(a.Name)
	a.Abbreviation = strings.TrimSpace(a.Abbreviation)
	warn, err := CheckOrganID(a.OrganID)
	if err != nil {
		return nil, err
	}
	if warn != "" {
		warnings = append(warnings, warn)
	}
	if a.Name == "" {
		return nil, fmt.Errorf("agency %s: name is empty", a.OrganID)
	}
	if !abbreviationPattern.MatchString(a.Abbreviation) {
		return nil, fmt.Errorf("agency %s: abbreviation %q must be 1–20 letters or digits with no spaces or dashes (e.g. UBND)", a.OrganID, a.Abbreviation)
	}
	return warnings, nil
}

const agencyColumns = `id, organ_id, name, abbreviation, parent_id, address, email, phone, fax, website`

func scanAgency(row pgx.Row) (*Agency, error) {
	var a Agency
	err := row.Scan(&a.ID, &a.OrganID, &a.Name, &a.Abbreviation, &a.ParentID, &a.Address, &a.Email, &a.Phone, &a.Fax, &a.Website)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrAgencyNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("org: unable to read agency: %w", err)
	}
	return &a, nil
}

// SaveAgency inserts the agency, or updates the one with the same identifier. It
// reports whether a row was created or changed, and the warnings about its identifier.
func SaveAgency(ctx context.Context, db store.DB, a *Agency) (change Change, warnings []string, err error) {
	if warnings, err = a.Validate(); err != nil {
		return ChangeNone, nil, err
	}
	if a.ParentID != nil && a.ID != 0 && *a.ParentID == a.ID {
		return ChangeNone, nil, fmt.Errorf("agency %s cannot be its own parent", a.OrganID)
	}
	var inserted, updated bool
	err = db.QueryRow(ctx, `
		INSERT INTO agencies (organ_id, name, abbreviation, parent_id, address, email, phone, fax, website)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (organ_id) DO UPDATE SET
			name = EXCLUDED.name, abbreviation = EXCLUDED.abbreviation, parent_id = EXCLUDED.parent_id,
			address = EXCLUDED.address, email = EXCLUDED.email, phone = EXCLUDED.phone,
			fax = EXCLUDED.fax, website = EXCLUDED.website, updated_at = now()
		WHERE (agencies.name, agencies.abbreviation, agencies.parent_id, agencies.address, agencies.email,
		       agencies.phone, agencies.fax, agencies.website)
		      IS DISTINCT FROM
		      (EXCLUDED.name, EXCLUDED.abbreviation, EXCLUDED.parent_id, EXCLUDED.address, EXCLUDED.email,
		       EXCLUDED.phone, EXCLUDED.fax, EXCLUDED.website)
		RETURNING id, xmax = 0, xmax <> 0`,
		a.OrganID, a.Name, a.Abbreviation, a.ParentID, a.Address, a.Email, a.Phone, a.Fax, a.Website,
	).Scan(&a.ID, &inserted, &updated)
	switch {
	case errors.Is(err, pgx.ErrNoRows): // unchanged: the WHERE clause skipped the update
		existing, err := AgencyByOrganID(ctx, db, a.OrganID)
		if err != nil {
			return ChangeNone, nil, err
		}
		a.ID = existing.ID
		return ChangeNone, warnings, nil
	case err != nil:
		return ChangeNone, nil, fmt.Errorf("org: unable to save agency %s: %w", a.OrganID, err)
	case inserted:
		return ChangeCreated, warnings, nil
	default:
		if err := checkNoCycle(ctx, db, a.ID); err != nil {
			return ChangeNone, nil, err
		}
		return ChangeUpdated, warnings, nil
	}
}

// checkNoCycle refuses a parent link that makes the agency its own ancestor.
func checkNoCycle(ctx context.Context, db store.DB, id int64) error {
	var cyclic bool
	err := db.QueryRow(ctx, `
		WITH RECURSIVE up(id, depth) AS (
			SELECT parent_id, 1 FROM agencies WHERE id = $1
			UNION ALL
			SELECT a.parent_id, up.depth + 1 FROM agencies a JOIN up ON a.id = up.id WHERE up.depth < 100
		)
		SELECT EXISTS (SELECT 1 FROM up WHERE id = $1)`, id).Scan(&cyclic)
	if err != nil {
		return fmt.Errorf("org: unable to check the agency tree: %w", err)
	}
	if cyclic {
		return fmt.Errorf("agency %d: its parent chain loops back to itself", id)
	}
	return nil
}

// AgencyByID returns the agency with the given row id.
func AgencyByID(ctx context.Context, db store.DB, id int64) (*Agency, error) {
	return scanAgency(db.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE id = $1`, id))
}

// AgencyByOrganID returns the agency with the given official identifier.
func AgencyByOrganID(ctx context.Context, db store.DB, organID string) (*Agency, error) {
	return scanAgency(db.QueryRow(ctx, `SELECT `+agencyColumns+` FROM agencies WHERE organ_id = $1`, organID))
}

// TreeEntry is an agency with its depth in the tree (0 for a root).
type TreeEntry struct {
	Agency
	Depth int
}

// AgencyTree lists every agency depth-first, children sorted by name, at any depth.
func AgencyTree(ctx context.Context, db store.DB) ([]TreeEntry, error) {
	rows, err := db.Query(ctx, `
		WITH RECURSIVE tree AS (
			SELECT a.*, 0 AS depth, ARRAY[a.name || '/' || a.id] AS path FROM agencies a WHERE parent_id IS NULL
			UNION ALL
			SELECT a.*, t.depth + 1, t.path || (a.name || '/' || a.id) FROM agencies a JOIN tree t ON a.parent_id = t.id
		)
		SELECT `+agencyColumns+`, depth FROM tree ORDER BY path`)
	if err != nil {
		return nil, fmt.Errorf("org: unable to list agencies: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (TreeEntry, error) {
		var e TreeEntry
		a := &e.Agency
		err := row.Scan(&a.ID, &a.OrganID, &a.Name, &a.Abbreviation, &a.ParentID, &a.Address, &a.Email, &a.Phone, &a.Fax, &a.Website, &e.Depth)
		return e, err
	})
}

// SaveUnit inserts a unit, or updates the name of the one with the same abbreviation.
func SaveUnit(ctx context.Context, db store.DB, u *Unit) (Change, error) {
	u.Name = strings.TrimSpace(u.Name)
	u.Abbreviation = strings.TrimSpace(u.Abbreviation)
	if u.Name == "" {
		return ChangeNone, fmt.Errorf("unit name is empty")
	}
	if !abbreviationPattern.MatchString(u.Abbreviation) {
		return ChangeNone, fmt.Errorf("unit %q: abbreviation %q must be 1–20 letters or digits with no spaces or dashes (e.g. VP)", u.Name, u.Abbreviation)
	}
	var inserted bool
	err := db.QueryRow(ctx, `
		INSERT INTO units (agency_id, name, abbreviation) VALUES ($1, $2, $3)
		ON CONFLICT (agency_id, abbreviation) DO UPDATE SET name = EXCLUDED.name
		RETURNING id, xmax = 0`, u.AgencyID, u.Name, u.Abbreviation).Scan(&u.ID, &inserted)
	if err != nil {
		if store.IsUniqueViolation(err, "units_agency_name_key") {
			return ChangeNone, fmt.Errorf("unit %q already exists in this agency under another abbreviation", u.Name)
		}
		return ChangeNone, fmt.Errorf("org: unable to save unit %s: %w", u.Abbreviation, err)
	}
	if inserted {
		return ChangeCreated, nil
	}
	return ChangeUpdated, nil
}

// Units lists the units of an agency by name.
func Units(ctx context.Context, db store.DB, agencyID int64) ([]Unit, error) {
	rows, err := db.Query(ctx, `SELECT id, agency_id, name, abbreviation FROM units WHERE agency_id = $1 ORDER BY name`, agencyID)
	if err != nil {
		return nil, fmt.Errorf("org: unable to list units: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Unit])
}

// UnitByAbbreviation returns an agency's unit by its abbreviation.
func UnitByAbbreviation(ctx context.Context, db store.DB, agencyID int64, abbreviation string) (*Unit, error) {
	var u Unit
	err := db.QueryRow(ctx, `SELECT id, agency_id, name, abbreviation FROM units WHERE agency_id = $1 AND abbreviation = $2`,
		agencyID, abbreviation).Scan(&u.ID, &u.AgencyID, &u.Name, &u.Abbreviation)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnitNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("org: unable to read unit: %w", err)
	}
	return &u, nil
}

// Change says what a save did.
type Change int

// The possible outcomes of a save.
const (
	ChangeNone Change = iota
	ChangeCreated
	ChangeUpdated
)

func (c Change) String() string {
	return [...]string{"unchanged", "created", "updated"}[c]
}
