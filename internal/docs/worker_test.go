package docs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// TestPeriodicJobsRunInRiver starts a River client with the documents' jobs, as the
// server does, and waits until the reminder job has queued the reminder of an
// assignment due tomorrow.
func TestPeriodicJobsRunInRiver(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	tomorrow := f.svc.today().AddDate(0, 0, 1)
	doc := f.receive(t, "Văn bản cần nhắc", "7", nil).DocumentID
	f.registerAndAssign(t, doc, []AssignmentInput{{Role: RoleLead, UserID: f.tpSpecialist, Deadline: &tomorrow}})

	workers := river.NewWorkers()
	client, err := river.NewClient(riverpgxv5.New(f.pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:      workers,
		PeriodicJobs: f.svc.Jobs(workers, time.Minute),
		TestOnly:     true,
	})
	must(t, err)
	completed, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	must(t, client.Start(ctx))
	defer client.Stop(context.WithoutCancel(ctx))

	kinds := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for !kinds[QueueRemindersArgs{}.Kind()] || !kinds[StampNumbersArgs{}.Kind()] {
		select {
		case ev := <-completed:
			if ev.Kind == river.EventKindJobFailed {
				t.Fatalf("job %s failed: %v", ev.Job.Kind, ev.Job.Errors)
			}
			kinds[ev.Job.Kind] = true
		case <-timeout:
			t.Fatalf("jobs completed: %v", kinds)
		}
	}
	reminders, err := f.svc.Reminders(ctx, f.in(f.tpSpecialist))
	must(t, err)
	if len(reminders) != 1 || reminders[0].DocumentID != doc {
		t.Fatalf("reminders after the job ran: %+v", reminders)
	}
}

// TestConversionsEndBeforeTheirJob: the job's time limit covers the conversion at its
// own limit, so a conversion never outlives its job and its failure is recorded
// within the job.
func TestConversionsEndBeforeTheirJob(t *testing.T) {
	t.Parallel()
	for _, c := range []*Converter{nil, {}, {Timeout: 5 * time.Minute}} {
		w := &convertDocxWorker{svc: &Service{Converter: c}}
		if job := w.Timeout(nil); job < c.timeout()+10*time.Second {
			t.Errorf("the job has %s for a conversion of %s", job, c.timeout())
		}
	}
}
