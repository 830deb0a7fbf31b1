package docs

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"testing"

	"edms/internal/access"
	"edms/internal/store/storetest"
)

// TestRecipientStatusesAgree: the recipient statuses declared in model.go are the
// ones the database's CHECK constraint allows.
func TestRecipientStatusesAgree(t *testing.T) {
	t.Parallel()
	constants := stateConstants(t, "model.go")["RecipientStatus"]
	pool := storetest.NewPool(t, storetest.NewDatabaseURL(t))
	var def string
	must(t, pool.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = 'document_recipients'::regclass AND conname = 'document_recipients_status_check'`).Scan(&def))
	var checked []string
	for _, m := range regexp.MustCompile(`'([a-z_]+)'::text`).FindAllStringSubmatch(def, -1) {
		checked = append(checked, m[1])
	}
	if !slices.Equal(slices.Sorted(slices.Values(checked)), slices.Sorted(slices.Values(constants))) {
		t.Fatalf("CHECK constraint allows %v, model.go declares %v", checked, constants)
	}
}

// TestExchangeQueueShowsTheAgencysJobsAndFailures: the administrator sees the
// agency's exchange jobs by state, the oldest waiting and the failures with their
// document, recipient, attempts and error; another agency's jobs stay out of it.
func TestExchangeQueueShowsTheAgencysJobsAndFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := f.user(t, "quantri", "Bùi Văn Quản", f.district, 0, "Quản trị")
	f.grant(t, map[int64][]access.Role{admin: {access.QuanTri}}, f.district)
	communeAdmin := f.user(t, "quantrixa", "Lý Thị Trị", f.commune, 0, "Quản trị")
	f.grant(t, map[int64][]access.Role{communeAdmin: {access.QuanTri}}, f.commune)
	enforcer, err := access.NewEnforcer(ctx, f.pool) // with the new grants
	must(t, err)
	f.svc.Access = enforcer
	id := f.sealed(t, "Về việc kiểm tra hàng đợi", []Recipient{province, ministry})
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	_, err = f.pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', attempt = 25, finalized_at = now(),
			errors = ARRAY[jsonb_build_object('at', now() - interval '1 minute', 'attempt', 24, 'error', 'dial tcp: connection refused'),
				jsonb_build_object('at', now(), 'attempt', 25, 'error', 'hub refused: 403 sender not served')]
		WHERE kind = 'exchange.send_package' AND args->>'recipient' = $1`, ministry.OrganID)
	must(t, err)

	if _, err := f.svc.ExchangeQueueOf(ctx, f.in(f.clerk)); !errors.Is(err, ErrForbidden) {
		t.Fatalf("the clerk reads the operator's queue: %v", err)
	}
	q, err := f.svc.ExchangeQueueOf(ctx, f.in(admin))
	must(t, err)
	if q.Counts["available"] != 1 || q.Counts["discarded"] != 1 || q.OldestWaiting == nil {
		t.Fatalf("queue %+v", q)
	}
	if len(q.Failures) != 1 {
		t.Fatalf("failures %+v", q.Failures)
	}
	fail := q.Failures[0]
	if fail.DocumentID != id || fail.Subject != "Về việc kiểm tra hàng đợi" || fail.Recipient != ministry.OrganID ||
		fail.Attempt != 25 || fail.MaxAttempts != exchangeMaxAttempts || fail.Error != "hub refused: 403 sender not served" || fail.State != "discarded" {
		t.Fatalf("failure %+v", fail)
	}
	other, err := f.svc.ExchangeQueueOf(ctx, Actor{UserID: communeAdmin, AgencyID: f.commune})
	must(t, err)
	if len(other.Counts) != 0 || len(other.Failures) != 0 || other.OldestWaiting != nil {
		t.Fatalf("the commune's administrator sees the district's jobs: %+v", other)
	}
}
