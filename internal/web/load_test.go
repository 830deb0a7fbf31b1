// The race detector makes signing about ten times slower, so that the load test's
// 10-second bound would measure the detector instead of the server: the Makefile runs
// this test on its own, without -race, after the race-checked packages.

//go:build !race

package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/audit"
	"edms/internal/docs"
)

// Bounds of the load test (issue 8): a request that takes longer than maxWait counts
// as the node hanging; the client gives up after clientTimeout so that the test fails
// instead of hanging.
const (
	loadWriters   = 50
	rampUp        = 5 * time.Second // writers start one after another over this time
	maxWait       = 10 * time.Second
	clientTimeout = 30 * time.Second
)

// loadDuration is how long writers keep starting documents: EDMS_LOAD_DURATION, or
// 60 s (10 s with -short).
func loadDuration(t *testing.T) time.Duration {
	if v := os.Getenv("EDMS_LOAD_DURATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("EDMS_LOAD_DURATION=%q: %v", v, err)
		}
		return d
	}
	if testing.Short() {
		return 10 * time.Second
	}
	return time.Minute
}

// loadClient is one official calling the API, recording every request's wait.
type loadClient struct {
	t       *testing.T
	base    string
	token   string
	http    *http.Client
	slow    *atomic.Int64 // requests that waited longer than maxWait
	retries *atomic.Int64 // 503 answers
}

type loadResult struct {
	status int
	body   map[string]any
}

func (c *loadClient) do(method, path, contentType string, body []byte) loadResult {
	req, _ := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if waited := time.Since(start); waited > maxWait {
		c.slow.Add(1)
		c.t.Errorf("%s %s waited %s (bound %s)", method, path, waited.Round(time.Millisecond), maxWait)
	}
	if err != nil {
		c.t.Errorf("%s %s: %v", method, path, err)
		return loadResult{}
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return loadResult{resp.StatusCode, out}
}

// step moves document id with action until it reaches state. A 503 is the node
// saying it is busy: the client waits and checks where the document is, since the
// step may have committed before the answer failed.
func (c *loadClient) step(id int64, dir, action, state string) bool {
	for attempt := 0; attempt < 5; attempt++ {
		res := c.do("POST", fmt.Sprintf("/documents/%d/%s/%s", id, dir, action), "application/json", nil)
		switch res.status {
		case http.StatusOK:
			return true
		case http.StatusServiceUnavailable:
			c.retries.Add(1)
			time.Sleep(time.Second)
			if now := c.do("GET", fmt.Sprintf("/documents/%d", id), "", nil); now.status == http.StatusOK && documentState(now.body) == state {
				return true
			}
		default:
			c.t.Errorf("document %d: %s %s: %d %v", id, dir, action, res.status, res.body)
			return false
		}
	}
	c.t.Errorf("document %d: %s %s stayed unavailable", id, dir, action)
	return false
}

// draft creates a draft with a PDF made for it.
func (c *loadClient) draft(key string, pdf []byte) (int64, bool) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	meta, _ := json.Marshal(map[string]any{"type": "ke_hoach", "subject": "Kế hoạch kiểm tra " + key,
		"place": "Phú Lương", "page_count": 1, "request_key": key})
	mw.WriteField("document", string(meta))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="ke-hoach.pdf"`)
	h.Set("Content-Type", "application/pdf")
	part, _ := mw.CreatePart(h)
	part.Write(pdf)
	mw.Close()
	for attempt := 0; attempt < 5; attempt++ {
		res := c.do("POST", "/documents", mw.FormDataContentType(), buf.Bytes())
		switch res.status {
		case http.StatusCreated:
			return int64(res.body["id"].(float64)), true
		case http.StatusServiceUnavailable:
			c.retries.Add(1)
			time.Sleep(time.Second)
		default:
			c.t.Errorf("draft %s: %d %v", key, res.status, res.body)
			return 0, false
		}
	}
	c.t.Errorf("draft %s stayed unavailable", key)
	return 0, false
}

// TestConcurrentWritersNeverHang is the load test of issue 8: 50 writers run
// documents through drafting, review, the leader's real digital signature, issuance
// (number stamped on the PDF) and the agency's signature, for EDMS_LOAD_DURATION,
// while /healthz is polled. No request may wait longer than 10 s, /healthz must
// answer throughout, every series must stay gapless and the audit trail intact.
func TestConcurrentWritersNeverHang(t *testing.T) {
	t.Parallel()
	ts, srv := newSigningDemoServer(t)
	ctx := context.Background()
	var slow, retries atomic.Int64
	client := func(username string) *loadClient {
		return &loadClient{t: t, base: ts.URL + "/api/v1", token: apiToken(t, srv.Pool(), username),
			http: &http.Client{Timeout: clientTimeout}, slow: &slow, retries: &retries}
	}
	specialist, unitHead := client("chuyenvien.tckh"), client("truongphong.tckh")
	chairman, clerk := client("chutich.huyen"), client("vanthu.huyen")
	kh, _ := docs.LookupType(docs.TypeKeHoach)

	stop := make(chan struct{})
	healthDone := make(chan struct{})
	var health struct{ ok, failed int }
	go func() {
		defer close(healthDone)
		probe := &http.Client{Timeout: maxWait}
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			resp, err := probe.Get(ts.URL + "/healthz")
			if err != nil || resp.StatusCode != http.StatusOK {
				health.failed++
				t.Errorf("/healthz during the load: %v %v", err, resp)
			} else {
				health.ok++
			}
			if resp != nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()

	deadline := time.Now().Add(loadDuration(t))
	var sealed atomic.Int64
	var wg sync.WaitGroup
	for w := range loadWriters {
		wg.Go(func() {
			time.Sleep(rampUp * time.Duration(w) / loadWriters)
			pdf, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: kh,
				Subject: fmt.Sprintf("Kiểm tra công tác văn thư, đợt %d", w), Body: "Các phòng, ban tự kiểm tra và báo cáo.",
				ToPlaces: []string{"Các phòng, ban"}})
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; time.Now().Before(deadline); i++ {
				id, ok := specialist.draft(fmt.Sprintf("load-%d-%d", w, i), pdf)
				ok = ok && specialist.step(id, "outgoing", "submit", "in_review") &&
					unitHead.step(id, "outgoing", "approve", "approved") &&
					unitHead.step(id, "outgoing", "submit_signature", "pending_signature") &&
					chairman.step(id, "outgoing", "sign", "signed") &&
					clerk.step(id, "outgoing", "issue", "numbered") &&
					clerk.step(id, "outgoing", "seal", "sealed")
				if !ok {
					return
				}
				sealed.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-healthDone
	t.Logf("%d documents signed, numbered and sealed by %d writers; %d answers 503; %d slow requests; /healthz %d ok, %d failed",
		sealed.Load(), loadWriters, retries.Load(), slow.Load(), health.ok, health.failed)
	if sealed.Load() == 0 {
		t.Fatal("no document went through")
	}
	checkGapless(t, srv.Pool())
	if n, broken, err := audit.Verify(ctx, srv.Pool()); err != nil || broken != nil {
		t.Errorf("audit trail after the load (%d entries): broken %+v, %v", n, broken, err)
	}
}

// checkGapless asserts that every series of every agency and year holds the numbers
// 1..n exactly once.
func checkGapless(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT agency_id, number_series, extract(year FROM issued_date)::int, count(*), count(DISTINCT code_number::int), max(code_number::int)
		FROM documents WHERE direction = 'outgoing' AND code_number <> ''
		GROUP BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	series := 0
	for rows.Next() {
		var agency int64
		var name string
		var year, count, distinct, last int
		if err := rows.Scan(&agency, &name, &year, &count, &distinct, &last); err != nil {
			t.Fatal(err)
		}
		series++
		if count != distinct || count != last {
			t.Errorf("agency %d, series %s/%d: %d numbers, %d distinct, the last %d: not 1..n", agency, name, year, count, distinct, last)
		}
	}
	if err := rows.Err(); err != nil || series == 0 {
		t.Fatalf("no numbered series checked (%v)", err)
	}
}
