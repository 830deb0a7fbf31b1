package hub

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"edms/internal/store/storetest"
)

// slowRetry puts a failed delivery off for an hour, as River's exponential backoff
// does after a few failures.
type slowRetry struct{}

func (slowRetry) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(time.Hour) }

// recovering is a hub that backs off slowly, a member A that sends, and a member B
// that answers 503 until it is back.
type recovering struct {
	*star
	back atomic.Bool
}

func newRecovering(t *testing.T) *recovering {
	t.Helper()
	n := newNetwork(t)
	hub := n.startHubWith(t, Config{Pool: storetest.NewDB(t), Name: "truc-tinh", RetryPolicy: slowRetry{},
		RescueAfter: 10 * time.Second})
	r := &recovering{star: &star{net: n, hub: hub, a: n.startNode(t, "xa-a"), b: n.startNode(t, "xa-b")}}
	r.hub.addMember(t, "xa-a", RoleNode, r.a.url, r.a.cert, communeA)
	r.hub.addMember(t, "xa-b", RoleNode, r.b.url, r.b.cert, communeB)
	r.fromA = n.client(r.a.cert, r.hub.url)
	r.b.answer = func(int) int {
		if r.back.Load() {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	}
	return r
}

// sendWhileDown sends a package for B while B is down and waits until its first
// attempt failed; it returns the forwarding job's id.
func (r *recovering) sendWhileDown(t *testing.T) int64 {
	t.Helper()
	if _, err := send(t, r.fromA, r.net.signedPackage(t, communeA, communeB), ""); err != nil {
		t.Fatal(err)
	}
	var job int64
	waitFor(t, "a failed attempt", func() bool {
		err := r.hub.Pool.QueryRow(context.Background(), `SELECT id FROM river_job WHERE kind = 'hub.forward' AND state = 'retryable'`).Scan(&job)
		return err == nil
	})
	return job
}

// deliveredOnceEach waits until B is back, sends it a second package and checks that
// both are delivered, once each, long before the first's backoff ends.
func (r *recovering) deliveredOnceEach(t *testing.T) {
	t.Helper()
	r.back.Store(true)
	if _, err := send(t, r.fromA, r.net.signedPackage(t, communeA, communeB), ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both packages delivered", func() bool {
		var delivered int
		err := r.hub.Pool.QueryRow(context.Background(), `SELECT count(*) FROM hub_deliveries WHERE state = 'delivered'`).Scan(&delivered)
		return err == nil && delivered == 2
	})
	if received, _, _, _ := r.b.snapshot(); len(received) != 2 {
		t.Fatalf("B got %d packages, want 2", len(received))
	}
}

// TestForwardsWaitingForAHopRunWhenItIsBack: a package that failed while its next
// hop was down does not wait out its backoff once a delivery to the hop succeeds.
func TestForwardsWaitingForAHopRunWhenItIsBack(t *testing.T) {
	r := newRecovering(t)
	r.sendWhileDown(t)
	r.deliveredOnceEach(t)
}

// TestForwardLeftRunningByADeadInstanceIsDelivered: a forward that an instance took
// and died with (state running, attempted long ago) is rescued and, although the
// rescue backs it off, delivered once as soon as its hop is back.
func TestForwardLeftRunningByADeadInstanceIsDelivered(t *testing.T) {
	r := newRecovering(t)
	job := r.sendWhileDown(t)
	if _, err := r.hub.Pool.Exec(context.Background(), `UPDATE river_job SET state = 'running',
		attempted_at = now() - interval '1 hour', attempted_by = '{dead-instance}' WHERE id = $1`, job); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rescue of the job", func() bool {
		var errors int
		err := r.hub.Pool.QueryRow(context.Background(), `SELECT cardinality(errors) FROM river_job
			WHERE id = $1 AND state = 'retryable'`, job).Scan(&errors)
		return err == nil && errors == 2
	})
	r.deliveredOnceEach(t)
}
