package org

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// DirectoryEntry is one agency of a province's directory, as imported from CSV or JSON.
// Parent is the parent's identifier (empty for a root).
type DirectoryEntry struct {
	Line         int    `json:"-"`
	OrganID      string `json:"organ_id"`
	Name         string `json:"name"`
	Abbreviation string `json:"abbreviation"`
	Parent       string `json:"parent_organ_id"`
	Address      string `json:"address"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
	Fax          string `json:"fax"`
	Website      string `json:"website"`
}

// ImportReport says what an import changed and what it refused.
type ImportReport struct {
	Created, Updated, Unchanged []string // identifiers
	Rejected                    []RejectedRow
	Warnings                    []string
}

// RejectedRow is an entry that was not imported, with the reason.
type RejectedRow struct {
	Line    int
	OrganID string
	Reason  string
}

// csvColumns are the columns a directory CSV must have (header row), in any order.
var csvColumns = []string{"organ_id", "name", "abbreviation", "parent_organ_id"}

// ReadDirectoryCSV reads a directory with a header row naming its columns: organ_id,
// name, abbreviation, parent_organ_id, and optionally address, email, phone, fax, website.
func ReadDirectoryCSV(r io.Reader) ([]DirectoryEntry, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("directory CSV: cannot read the header row: %w", err)
	}
	index := map[string]int{}
	for i, name := range header {
		index[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))] = i
	}
	for _, col := range csvColumns {
		if _, ok := index[col]; !ok {
			return nil, fmt.Errorf("directory CSV: the header has no %q column (needed: %s)", col, strings.Join(csvColumns, ", "))
		}
	}
	var entries []DirectoryEntry
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("directory CSV: %w", err)
		}
		field := func(col string) string {
			if i, ok := index[col]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		entries = append(entries, DirectoryEntry{Line: line, OrganID: field("organ_id"), Name: field("name"),
			Abbreviation: field("abbreviation"), Parent: field("parent_organ_id"), Address: field("address"),
			Email: field("email"), Phone: field("phone"), Fax: field("fax"), Website: field("website")})
	}
}

// ReadDirectoryJSON reads a directory given as a JSON array of entries.
func ReadDirectoryJSON(r io.Reader) ([]DirectoryEntry, error) {
	var entries []DirectoryEntry
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("directory JSON: %w", err)
	}
	for i := range entries {
		entries[i].Line = i + 1
	}
	return entries, nil
}

// ImportDirectory saves the entries in one transaction, parents before children
// whatever their order in the file. An entry that is invalid, or whose parent is
// neither in the file nor in the database, is rejected and reported; the others are
// imported. Running the same import twice changes nothing the second time.
func ImportDirectory(ctx context.Context, tx pgx.Tx, entries []DirectoryEntry) (*ImportReport, error) {
	report := &ImportReport{}
	pending := entries
	for len(pending) > 0 {
		var waiting []DirectoryEntry
		for _, e := range pending {
			parentID, ok, err := resolveParent(ctx, tx, e, pending)
			if err != nil {
				return nil, err
			}
			if !ok {
				waiting = append(waiting, e)
				continue
			}
			importEntry(ctx, tx, e, parentID, report)
		}
		if len(waiting) == len(pending) { // no progress: parents missing or a cycle
			for _, e := range waiting {
				report.Rejected = append(report.Rejected, RejectedRow{e.Line, e.OrganID,
					fmt.Sprintf("parent %q is neither in the database nor importable from this file", e.Parent)})
			}
			break
		}
		pending = waiting
	}
	return report, nil
}

// resolveParent finds the parent's row id; ok is false while the parent is still to be
// imported from the same file.
func resolveParent(ctx context.Context, tx pgx.Tx, e DirectoryEntry, pending []DirectoryEntry) (*int64, bool, error) {
	if e.Parent == "" {
		return nil, true, nil
	}
	for _, p := range pending {
		if p.OrganID == e.Parent && p.Line != e.Line {
			return nil, false, nil
		}
	}
	parent, err := AgencyByOrganID(ctx, tx, e.Parent)
	if errors.Is(err, ErrAgencyNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return &parent.ID, true, nil
}

// importEntry saves one entry inside a savepoint, so a refused row leaves nothing behind.
func importEntry(ctx context.Context, tx pgx.Tx, e DirectoryEntry, parentID *int64, report *ImportReport) {
	a := &Agency{OrganID: e.OrganID, Name: e.Name, Abbreviation: e.Abbreviation, ParentID: parentID,
		Address: e.Address, Email: e.Email, Phone: e.Phone, Fax: e.Fax, Website: e.Website}
	var change Change
	var warnings []string
	err := pgx.BeginFunc(ctx, tx, func(sp pgx.Tx) error {
		var err error
		change, warnings, err = SaveAgency(ctx, sp, a)
		return err
	})
	if err != nil {
		report.Rejected = append(report.Rejected, RejectedRow{e.Line, e.OrganID, err.Error()})
		return
	}
	for _, w := range warnings {
		report.Warnings = append(report.Warnings, fmt.Sprintf("line %d: %s", e.Line, w))
	}
	switch change {
	case ChangeCreated:
		report.Created = append(report.Created, a.OrganID)
	case ChangeUpdated:
		report.Updated = append(report.Updated, a.OrganID)
	default:
		report.Unchanged = append(report.Unchanged, a.OrganID)
	}
}
