package hub

import (
	"context"
	"errors"
	"log/slog"

	"github.com/riverqueue/river"

	"edms/internal/liaison/wire"
)

// reportMaxAttempts bounds how long a report is retried toward the sender.
const reportMaxAttempts = 20

// ReportArgs routes a Report toward the sender's node, like a package to the
// sender's OrganId.
type ReportArgs struct {
	Report   wire.Report `json:"report"`
	CameFrom string      `json:"came_from"` // the peer that posted it ("" when this hub wrote it)
}

// Kind names the job in River's table.
func (ReportArgs) Kind() string { return "hub.report" }

// InsertOpts puts reports on the hub queue.
func (ReportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueHub, MaxAttempts: reportMaxAttempts}
}

type reportWorker struct {
	river.WorkerDefaults[ReportArgs]
	hub *Hub
}

// Work posts the report to the next hop toward the sender. A report nobody can
// take (an unknown sender, a refusal, the uplink, which has no reports) is logged
// and dropped: the delivery's failure stays on the operator page and in tracking.
func (w *reportWorker) Work(ctx context.Context, job *river.Job[ReportArgs]) error {
	r := job.Args.Report
	log := slog.With("document_id", r.DocumentID, "package_id", r.PackageID, "from", r.From, "recipient", r.Recipient)
	next, err := w.hub.route(ctx, r.From, job.Args.CameFrom)
	if errors.Is(err, errUnroutable) || (err == nil && next.Role == roleUplink) {
		log.Warn("hub: a delivery report has nowhere to go", "next_hop", next.Name)
		return nil
	}
	if err != nil {
		return err
	}
	client := w.hub.clientFor(next.Endpoint, next.SPKI)
	err = client.SendReport(ctx, r)
	var ref *wire.Refusal
	if errors.As(err, &ref) {
		log.Warn("hub: the delivery report was refused", "next_hop", next.Name, "err", err)
		return nil
	}
	if err == nil {
		log.Info("hub: delivery report sent", "next_hop", next.Name, "code", r.Code)
	}
	return err
}
