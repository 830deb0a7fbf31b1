package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"

	"edms/internal/org"
)

func runOrg(ctx context.Context, args []string) error {
	return runGroup(ctx, "org", args, []command{
		{"list", "print the agency tree with identifiers", runOrgList},
		{"add", "create or update one agency", runOrgAdd},
		{"unit", "create or rename a unit (phòng ban) inside an agency", runOrgUnit},
		{"import", "load a province's agency directory from CSV or JSON", runOrgImport},
	})
}

func runOrgList(ctx context.Context, args []string) error {
	fs := newFlagSet("org list", "", "Print the agency tree, indented by level, with each agency's units.")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		tree, err := org.AgencyTree(ctx, pool)
		if err != nil {
			return err
		}
		for _, e := range tree {
			indent := strings.Repeat("  ", e.Depth)
			fmt.Printf("%s%s  %s (%s)\n", indent, e.OrganID, e.Name, e.Abbreviation)
			units, err := org.Units(ctx, pool, e.ID)
			if err != nil {
				return err
			}
			for _, u := range units {
				fmt.Printf("%s    · %s (%s)\n", indent, u.Name, u.Abbreviation)
			}
		}
		return nil
	})
}

func runOrgAdd(ctx context.Context, args []string) error {
	fs := newFlagSet("org add", "-organ-id ID -name NAME -abbreviation ABBR [-parent ID] [flags]", "Create an agency, or update the one with that identifier.")
	db := addDBFlags(fs)
	var a org.Agency
	var parent string
	fs.StringVar(&a.OrganID, "organ-id", "", "mã định danh, NNN.NN.NN.XNN")
	fs.StringVar(&a.Name, "name", "", "full name, e.g. \"Ủy ban nhân dân xã Yên Ninh\"")
	fs.StringVar(&a.Abbreviation, "abbreviation", "", "abbreviation in document symbols, e.g. UBND")
	fs.StringVar(&parent, "parent", "", "mã định danh of the parent agency (empty for a root)")
	fs.StringVar(&a.Address, "address", "", "postal address")
	fs.StringVar(&a.Email, "email", "", "e-mail address")
	fs.StringVar(&a.Phone, "phone", "", "telephone")
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		if parent != "" {
			p, err := org.AgencyByOrganID(ctx, pool, parent)
			if err != nil {
				return fmt.Errorf("parent %s: %w", parent, err)
			}
			a.ParentID = &p.ID
		}
		var change org.Change
		var warnings []string
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			var err error
			change, warnings, err = org.SaveAgency(ctx, tx, &a)
			return err
		})
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(os.Stderr, "warning:", w)
		}
		fmt.Printf("%s: %s\n", a.OrganID, change)
		return nil
	})
}

func runOrgUnit(ctx context.Context, args []string) error {
	fs := newFlagSet("org unit", "-agency ID -name NAME -abbreviation ABBR", "Create a unit in an agency, or rename the one with that abbreviation.")
	db := addDBFlags(fs)
	agencyID := fs.String("agency", "", "mã định danh of the agency")
	var u org.Unit
	fs.StringVar(&u.Name, "name", "", "unit name, e.g. \"Phòng Tài chính - Kế hoạch\"")
	fs.StringVar(&u.Abbreviation, "abbreviation", "", "abbreviation, e.g. TCKH")
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		a, err := org.AgencyByOrganID(ctx, pool, *agencyID)
		if err != nil {
			return fmt.Errorf("agency %q: %w", *agencyID, err)
		}
		u.AgencyID = a.ID
		change, err := org.SaveUnit(ctx, pool, &u)
		if err != nil {
			return err
		}
		fmt.Printf("%s / %s: %s\n", a.Name, u.Abbreviation, change)
		return nil
	})
}

func runOrgImport(ctx context.Context, args []string) error {
	fs := newFlagSet("org import", "[-format csv|json] FILE",
		"Load an agency directory. CSV needs a header with organ_id, name, abbreviation, parent_organ_id\n"+
			"(optional: address, email, phone, fax, website); JSON is an array of objects with those keys.\n"+
			"Rows may come in any order; valid rows are imported, invalid ones reported. Re-running changes nothing.")
	db := addDBFlags(fs)
	format := fs.String("format", "", "csv or json (default: from the file extension)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	path, err := oneArg(fs, "FILE")
	if err != nil {
		return err
	}
	entries, err := readDirectory(path, *format)
	if err != nil {
		return err
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	var report *org.ImportReport
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		report, err = org.ImportDirectory(ctx, tx, entries)
		return err
	})
	if err != nil {
		return err
	}
	printImportReport(report)
	if len(report.Rejected) > 0 {
		return fmt.Errorf("%d rows rejected", len(report.Rejected))
	}
	return nil
}

func readDirectory(path, format string) ([]org.DirectoryEntry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), ".")
	}
	switch format {
	case "csv":
		return org.ReadDirectoryCSV(f)
	case "json":
		return org.ReadDirectoryJSON(f)
	}
	return nil, errors.New("unknown directory format: use -format csv or -format json")
}

func printImportReport(r *org.ImportReport) {
	fmt.Printf("created %d, updated %d, unchanged %d, rejected %d\n", len(r.Created), len(r.Updated), len(r.Unchanged), len(r.Rejected))
	for _, id := range r.Created {
		fmt.Println("  created  ", id)
	}
	for _, id := range r.Updated {
		fmt.Println("  updated  ", id)
	}
	for _, w := range r.Warnings {
		fmt.Println("  warning  ", w)
	}
	for _, rej := range r.Rejected {
		fmt.Printf("  rejected  line %d (%s): %s\n", rej.Line, rej.OrganID, rej.Reason)
	}
}
