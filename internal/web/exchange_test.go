package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/store"
)

// workJobs works the queued jobs with the documents' workers, as a node does, until
// one job of the kind has ended.
func workJobs(t *testing.T, documents *docs.Service, kind string) {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	client, err := river.NewClient(riverpgxv5.New(documents.Pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:      workers,
		PeriodicJobs: documents.Jobs(workers, time.Hour),
		TestOnly:     true,
	})
	must(t, err)
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	defer cancel()
	must(t, client.Start(ctx))
	defer client.Stop(context.WithoutCancel(ctx))
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind == kind {
				return
			}
		case <-timeout:
			t.Fatalf("no %s job ended", kind)
		}
	}
}

const ministry = "000.00.00.G12"

// sentToMinistry writes a sent document of the district's clerk whose package for the
// ministry waits in the exchange queue.
func sentToMinistry(t *testing.T, pool *pgxpool.Pool) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	must(t, pool.QueryRow(ctx, `INSERT INTO documents (agency_id, direction, type, subject, created_by, outgoing_state,
			code_number, code_notation, issued_date)
		SELECT a.id, 'outgoing', 'cong_van', 'Về việc báo cáo tình hình liên thông', u.id, 'sent', '17', 'UBND-VP', current_date
		FROM agencies a, users u WHERE a.organ_id = $1 AND u.username = 'vanthu.huyen' RETURNING id`, demo.DistrictID).Scan(&id))
	_, err := pool.Exec(ctx, `INSERT INTO document_recipients (document_id, ord, organ_id, name, status, package_id)
		VALUES ($1, 1, $2, 'Bộ Nội vụ', 'sending', 'pkg-ministry-1')`, id, ministry)
	must(t, err)
	return id
}

// TestFailedDeliveryIsShownAndSentAgain: the clerk sees where delivery stands at an
// external recipient (sending, sent with the hub's receipt, failed with the reason),
// and sends a failed package again from the page or the API, with the permission to
// send; the administrator sees the failure in the exchange queue.
func TestFailedDeliveryIsShownAndSentAgain(t *testing.T) {
	t.Parallel()
	ts, srv, documents := newUploadServer(t)
	ctx := context.Background()
	id := sentToMinistry(t, srv.Pool())
	page := fmt.Sprintf("/documents/%d", id)
	clerk := newBrowser(t, ts.URL)
	clerk.login("vanthu.huyen", demoPassword)
	if _, body := clerk.get(page); !strings.Contains(body, "Đang gửi") || strings.Contains(body, "Gửi lại") {
		t.Fatalf("a package waiting in the queue is not shown as sending")
	}

	const reason = "Trục liên thông từ chối: cơ quan nhận không tồn tại"
	must(t, store.InTx(ctx, srv.Pool(), func(tx pgx.Tx) error { return documents.MarkFailed(ctx, tx, id, ministry, reason) }))
	_, body := clerk.get(page)
	if !strings.Contains(body, "Gửi thất bại: "+reason) || !strings.Contains(body, "Gửi lại") {
		t.Fatalf("the failed delivery is not shown with its reason and the resend button")
	}
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	if status, out := specialist.do("POST", page+"/recipients/"+ministry+"/resend", "", nil); status != http.StatusForbidden {
		t.Fatalf("resend by a specialist: %d %v", status, out)
	}
	communeClerk := newAPIClient(t, ts, srv, "vanthu.yenninh")
	if status, out := communeClerk.do("POST", page+"/recipients/"+ministry+"/resend", "", nil); status != http.StatusNotFound {
		t.Fatalf("resend by the clerk of another agency: %d %v", status, out)
	}
	token := csrfField.FindStringSubmatch(body)[1]
	if status, body := clerk.post(page+"/recipients/"+ministry+"/resend", url.Values{"csrf_token": {token}}); status != http.StatusOK ||
		!strings.Contains(body, "Đã đưa văn bản vào hàng đợi để gửi lại.") || !strings.Contains(body, "Đang gửi") {
		t.Fatalf("resend from the page: %d", status)
	}
	var packageID string
	must(t, srv.Pool().QueryRow(ctx, `SELECT args->>'package_id' FROM river_job WHERE kind = $1`, docs.SendPackageArgs{}.Kind()).Scan(&packageID))
	if packageID != "pkg-ministry-1" {
		t.Fatalf("resent package %q, want the failed one", packageID)
	}

	api := newAPIClient(t, ts, srv, "vanthu.huyen")
	if status, out := api.do("POST", page+"/recipients/"+ministry+"/resend", "", nil); status != http.StatusConflict {
		t.Fatalf("resend of a package waiting in the queue: %d %v", status, out)
	}
	must(t, store.InTx(ctx, srv.Pool(), func(tx pgx.Tx) error { return documents.MarkSent(ctx, tx, id, ministry, "HUB-42") }))
	_, out := api.do("GET", page, "", nil)
	recipients, _ := out["recipients"].([]any)
	if len(recipients) != 1 || fmt.Sprint(recipients[0].(map[string]any)["status"]) != "sent" ||
		fmt.Sprint(recipients[0].(map[string]any)["receipt_id"]) != "HUB-42" {
		t.Fatalf("recipients in the API: %v", out["recipients"])
	}
	if _, body := clerk.get(page); !strings.Contains(body, "Đã gửi (biên nhận HUB-42)") {
		t.Error("the page does not show the hub's receipt")
	}
}

// TestExchangeQueuePageForTheAdministrator: the agency's administrator sees the
// queue by state and the failures with document, recipient, attempts and error; a
// clerk may not.
func TestExchangeQueuePageForTheAdministrator(t *testing.T) {
	t.Parallel()
	ts, srv, _ := newUploadServer(t)
	ctx := context.Background()
	id := sentToMinistry(t, srv.Pool())
	_, err := srv.Pool().Exec(ctx, `INSERT INTO river_job (args, kind, max_attempts, queue, state, attempt, finalized_at, errors)
		VALUES (jsonb_build_object('document_id', $1::bigint, 'recipient', $2::text, 'business', 0, 'package_id', 'pkg-ministry-1'),
			'exchange.send_package', 25, 'exchange', 'discarded', 25, now(),
			ARRAY[jsonb_build_object('at', now(), 'attempt', 25, 'error', 'dial tcp 10.0.0.9:443: connection refused')])`, id, ministry)
	must(t, err)
	admin := newBrowser(t, ts.URL)
	admin.login("quantri.huyen", demoPassword)
	status, body := admin.get("/exchange/queue")
	if status != http.StatusOK {
		t.Fatalf("queue page: %d", status)
	}
	for _, want := range []string{"Hàng đợi liên thông", "Đã hết số lần thử", "Về việc báo cáo tình hình liên thông", ministry,
		"25/25", "connection refused"} {
		if !strings.Contains(body, want) {
			t.Errorf("the queue page lacks %q", want)
		}
	}
	api := newAPIClient(t, ts, srv, "quantri.huyen")
	if status, out := api.do("GET", "/exchange/queue", "", nil); status != http.StatusOK ||
		fmt.Sprint(out["counts"].(map[string]any)["discarded"]) != "1" || len(out["failures"].([]any)) != 1 {
		t.Fatalf("queue in the API: %d %v", status, out)
	}
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	if status, _ := clerk.do("GET", "/exchange/queue", "", nil); status != http.StatusForbidden {
		t.Fatalf("the clerk reads the queue: %d", status)
	}
}
