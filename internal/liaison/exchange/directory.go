package exchange

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"edms/internal/docs"
	"edms/internal/liaison/wire"
	"edms/internal/org"
	"edms/internal/store"
)

// externalAbbreviation is the abbreviation given to an agency first learnt from the
// directory: it never issues documents on this node, so its symbol is never printed.
const externalAbbreviation = "CQ"

// servedHere is the SQL condition on agencies a that this node serves them: the
// network's directory does not place them on another node.
const servedHere = `NOT EXISTS (SELECT 1 FROM exchange_directory x WHERE x.organ_id = a.organ_id AND NOT x.served_here)`

// External tells whether the network's directory places the agency on another
// node, so that documents for it travel through the hub rather than being handed
// over inside this node.
func External(ctx context.Context, db store.DB, organID string) (bool, error) {
	var external bool
	err := db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM exchange_directory WHERE organ_id = $1 AND NOT served_here)`,
		organID).Scan(&external)
	if err != nil {
		return false, fmt.Errorf("exchange: unable to look %s up in the directory: %w", organID, err)
	}
	return external, nil
}

// External tells, for a node connected to a hub, whether documents for the agency
// travel through the hub. Where the directory places the agency decides; an agency
// it does not place (yet) is local only when people work for it here or this node
// holds its key, so that an agency known only as an address (seeded, imported, or
// listed before the first sync) is never handed over inside a node where nobody
// would ever open it.
func (l *Link) External(ctx context.Context, organID string) (bool, error) {
	var placed, servedHere, staffed bool
	err := l.Pool.QueryRow(ctx, `SELECT x.organ_id IS NOT NULL, coalesce(x.served_here, false),
			EXISTS (SELECT 1 FROM memberships m JOIN agencies a ON a.id = m.agency_id WHERE a.organ_id = $1)
		FROM (SELECT $1::text AS organ_id) q LEFT JOIN exchange_directory x ON x.organ_id = q.organ_id`, organID).
		Scan(&placed, &servedHere, &staffed)
	if err != nil {
		return false, fmt.Errorf("exchange: unable to tell where %s is served: %w", organID, err)
	}
	if placed {
		return !servedHere, nil
	}
	return !staffed && !l.hosts(organID), nil
}

// ownAgencies are the agencies this node serves: its agency list, except those the
// network's directory places on another node.
func (l *Link) ownAgencies(ctx context.Context) ([]localAgency, error) {
	rows, err := l.Pool.Query(ctx, `SELECT a.organ_id, a.id FROM agencies a WHERE `+servedHere+` ORDER BY a.organ_id`)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to list the node's agencies: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (localAgency, error) {
		var a localAgency
		err := row.Scan(&a.organID, &a.agencyID)
		return a, err
	})
}

// ownDirectory is the directory this node serves: its own agencies, without those
// it knows only as addresses (External).
func (l *Link) ownDirectory(ctx context.Context) ([]wire.DirectoryEntry, error) {
	own, err := l.ownAgencies(ctx)
	if err != nil {
		return nil, err
	}
	entries := make([]wire.DirectoryEntry, 0, len(own))
	for _, a := range own {
		external, err := l.External(ctx, a.organID)
		if err != nil {
			return nil, err
		}
		if external {
			continue
		}
		agency, err := org.AgencyByID(ctx, l.Pool, a.agencyID)
		if err != nil {
			return nil, err
		}
		e := wire.DirectoryEntry{OrganID: agency.OrganID, Name: agency.Name, Node: l.NodeName}
		if agency.ParentID != nil {
			parent, err := org.AgencyByID(ctx, l.Pool, *agency.ParentID)
			if err != nil {
				return nil, err
			}
			e.ParentOrganID = parent.OrganID
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// SyncDirectoryArgs fetches the hub's directory into the node's agency list.
type SyncDirectoryArgs struct{}

// Kind names the job in River's table.
func (SyncDirectoryArgs) Kind() string { return "exchange.sync_directory" }

// PeriodicJobs are the link's periodic jobs: the directory sync, every interval and
// at start.
func (l *Link) PeriodicJobs(interval time.Duration) []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) {
			return SyncDirectoryArgs{}, &river.InsertOpts{Queue: docs.QueueExchange, MaxAttempts: 3}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
}

type syncDirectoryWorker struct {
	river.WorkerDefaults[SyncDirectoryArgs]
	l *Link
}

func (w *syncDirectoryWorker) Work(ctx context.Context, _ *river.Job[SyncDirectoryArgs]) error {
	if w.l.Hub == nil {
		return nil
	}
	report, err := w.l.SyncDirectory(ctx)
	if err != nil {
		return err
	}
	if len(report.Created)+len(report.Updated)+len(report.Rejected) > 0 {
		slog.Info("exchange: directory synced", "created", len(report.Created), "updated", len(report.Updated),
			"rejected", len(report.Rejected))
	}
	return nil
}

// SyncDirectory fetches the hub's directory and saves the agencies other nodes
// serve in the node's agency list, so that clerks can address them; where each is
// served and when its service ended go to exchange_directory. An agency is served
// here when the directory names this node, or when this node holds its key.
func (l *Link) SyncDirectory(ctx context.Context) (*org.ImportReport, error) {
	if l.Hub == nil {
		return nil, errors.New("exchange: no hub to sync the directory from")
	}
	entries, err := l.Hub.Directory(ctx)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to fetch the hub's directory: %w", err)
	}
	var report *org.ImportReport
	err = store.InTx(ctx, l.Pool, func(tx pgx.Tx) error {
		var external []org.DirectoryEntry
		for i, e := range entries {
			here := e.Node == l.NodeName || l.hosts(e.OrganID)
			if err := saveDirectoryEntry(ctx, tx, e, here); err != nil {
				return err
			}
			if here {
				continue
			}
			entry, err := importEntryOf(ctx, tx, i+1, e)
			if err != nil {
				return err
			}
			external = append(external, entry)
		}
		report, err = org.ImportDirectory(ctx, tx, external)
		return err
	})
	return report, err
}

// hosts tells whether this node holds the agency's signing key: then it acts for
// the agency, whatever name the hub's directory gives the node that serves it.
func (l *Link) hosts(organID string) bool {
	if l.Packer.Keys == nil {
		return false
	}
	id, err := l.Packer.Keys.Agency(organID)
	if err != nil {
		return false
	}
	id.Close()
	return true
}

// importEntryOf maps a directory entry to an import row, keeping the abbreviation of
// an agency already known.
func importEntryOf(ctx context.Context, tx pgx.Tx, line int, e wire.DirectoryEntry) (org.DirectoryEntry, error) {
	entry := org.DirectoryEntry{Line: line, OrganID: e.OrganID, Name: e.Name, Abbreviation: externalAbbreviation, Parent: e.ParentOrganID}
	known, err := org.AgencyByOrganID(ctx, tx, e.OrganID)
	switch {
	case errors.Is(err, org.ErrAgencyNotFound):
		return entry, nil
	case err != nil:
		return entry, err
	}
	entry.Abbreviation, entry.Address, entry.Email, entry.Phone, entry.Fax, entry.Website =
		known.Abbreviation, known.Address, known.Email, known.Phone, known.Fax, known.Website
	return entry, nil
}

func saveDirectoryEntry(ctx context.Context, tx pgx.Tx, e wire.DirectoryEntry, here bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO exchange_directory (organ_id, hub, node, served_here, start_at, end_at, synced_at)
		VALUES ($1, $2, $3, $4, $5, $6, now())
		ON CONFLICT (organ_id) DO UPDATE SET hub = excluded.hub, node = excluded.node, served_here = excluded.served_here,
			start_at = excluded.start_at, end_at = excluded.end_at, synced_at = now()`, e.OrganID, e.Hub, e.Node, here, e.Start, e.End)
	if err != nil {
		return fmt.Errorf("exchange: unable to save directory entry %s: %w", e.OrganID, err)
	}
	return nil
}
