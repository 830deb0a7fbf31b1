package hub

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Periodic job intervals.
const (
	cleanupInterval   = 10 * time.Minute
	directoryInterval = time.Minute // one GET per member: cheap; a member that joins or returns is routable within a minute
	uplinkInterval    = 30 * time.Second
)

type (
	// CleanupArgs deletes staged package bytes no longer needed.
	CleanupArgs struct{}
	// PullDirectoriesArgs refreshes what child hubs, the parent and nodes list.
	PullDirectoriesArgs struct{}
)

// Kind names the job in River's table.
func (CleanupArgs) Kind() string { return "hub.cleanup" }

// Kind names the job in River's table.
func (PullDirectoriesArgs) Kind() string { return "hub.pull_directories" }

type cleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	hub *Hub
}

func (w *cleanupWorker) Work(ctx context.Context, _ *river.Job[CleanupArgs]) error {
	n, err := deleteUnclaimed(ctx, w.hub.Pool)
	if n > 0 {
		slog.Info("hub: staged package chunks deleted", "count", n)
	}
	return err
}

type pullDirectoriesWorker struct {
	river.WorkerDefaults[PullDirectoriesArgs]
	hub *Hub
}

// Work pulls every directory; a member that does not answer is logged and tried
// again next period, so the job itself does not retry.
func (w *pullDirectoriesWorker) Work(ctx context.Context, _ *river.Job[PullDirectoriesArgs]) error {
	w.hub.PullDirectories(ctx)
	return nil
}

// register adds the hub's workers and returns its periodic jobs, run by the
// instance River elects leader.
func (h *Hub) register(workers *river.Workers) []*river.PeriodicJob {
	river.AddWorker(workers, &forwardWorker{hub: h})
	river.AddWorker(workers, &reportWorker{hub: h})
	river.AddWorker(workers, &cleanupWorker{hub: h})
	river.AddWorker(workers, &pullDirectoriesWorker{hub: h})
	onHub := &river.InsertOpts{Queue: QueueHub, MaxAttempts: 1}
	jobs := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(cleanupInterval),
			func() (river.JobArgs, *river.InsertOpts) { return CleanupArgs{}, onHub },
			&river.PeriodicJobOpts{ID: "hub.cleanup"}),
		river.NewPeriodicJob(river.PeriodicInterval(directoryInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PullDirectoriesArgs{}, onHub },
			&river.PeriodicJobOpts{ID: "hub.pull_directories", RunOnStart: true}),
	}
	if h.Uplink != nil {
		river.AddWorker(workers, &pullUplinkWorker{hub: h})
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(uplinkInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PullUplinkArgs{}, onHub },
			&river.PeriodicJobOpts{ID: "hub.pull_uplink", RunOnStart: true}))
	}
	return jobs
}
