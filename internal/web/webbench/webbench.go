// Package webbench measures edms through HTTP as officials use it: a data set loaded
// by docsbench, the web server on a loopback port, and simulated officials signed in
// with sessions sending a mixed workload — reads (inboxes, document pages, searches)
// and writes (drafts, review steps, issuances) — at a fixed arrival rate. The rate
// rises step by step; the result is the highest rate whose p95 stays within the read
// and write bounds.
//
// It is run by `edms bench web`, always on a database of its own.
package webbench

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/docs/docsbench"
	"edms/internal/web"
)

// Options size the benchmark.
type Options struct {
	Documents int           // documents to load
	Agencies  int           // agencies sharing them
	Officials int           // simulated officials, each with a session of their own
	StartRate float64       // requests per second of the first step
	MinRate   float64       // the lowest rate tried when the first one misses the bounds
	Step      time.Duration // how long each rate runs
	ReadP95   time.Duration // bound on the reads' p95
	WriteP95  time.Duration // bound on the writes' p95
}

// StepResult is what one arrival rate gave.
type StepResult struct {
	Rate              float64
	Reads, Writes     int
	Errors            int
	FirstError        error
	ReadP95, WriteP95 time.Duration
	Met               bool
}

// Report is everything measured.
type Report struct {
	Steps []StepResult
	Best  float64 // highest rate that met both bounds, 0 when none did
}

// official is a simulated person with a session.
type official struct {
	userID, agency int64
	agencyIndex    int // in the directory
	role           access.Role
	session, csrf  string
}

// Run loads the data set into pool (an empty, migrated database), serves it on a
// loopback port and raises the rate by a quarter per step until a bound is missed.
func Run(ctx context.Context, pool *pgxpool.Pool, o Options, log io.Writer) (*Report, error) {
	dir, err := docsbench.Load(ctx, pool, o.Agencies, o.Documents, log)
	if err != nil {
		return nil, err
	}
	base, stop, err := serve(ctx, pool)
	if err != nil {
		return nil, err
	}
	defer stop()
	officials, err := signIn(ctx, pool, dir, o.Officials)
	if err != nil {
		return nil, err
	}
	w := &workload{base: base, client: &http.Client{Timeout: time.Minute}, officials: officials}
	if w.signed, err = docsbench.SignedForIssue(ctx, pool, dir, 100_000); err != nil {
		return nil, err
	}
	w.next = make([]int, len(w.signed))
	rep := &Report{}
	// Up by a quarter while the bounds hold; when the first rate misses them, down by
	// a fifth until one holds (or below MinRate).
	factor := 1.25
	for rate := o.StartRate; rate >= o.MinRate && ctx.Err() == nil; rate *= factor {
		r := w.runStep(ctx, rate, o.Step)
		r.Met = r.Errors == 0 && r.ReadP95 <= o.ReadP95 && r.WriteP95 <= o.WriteP95
		fmt.Fprintf(log, "%7.1f req/s: %5d reads p95 %8s, %5d writes p95 %8s, %d errors: %s\n", r.Rate, r.Reads,
			r.ReadP95.Round(100*time.Microsecond), r.Writes, r.WriteP95.Round(100*time.Microsecond), r.Errors, map[bool]string{true: "met", false: "missed"}[r.Met])
		if r.FirstError != nil {
			fmt.Fprintf(log, "  first error: %v\n", r.FirstError)
		}
		rep.Steps = append(rep.Steps, r)
		switch {
		case r.Met:
			rep.Best = rate
		case len(rep.Steps) == 1:
			factor = 0.8
		}
		if r.Met == (factor < 1) {
			break
		}
	}
	return rep, ctx.Err()
}

// serve starts the web server on a loopback port.
func serve(ctx context.Context, pool *pgxpool.Pool) (string, func(), error) {
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		return "", nil, err
	}
	srv, err := web.NewServer(web.Config{}, pool, enforcer, &docs.Service{Pool: pool, Access: enforcer})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	httpSrv := srv.HTTPServer(ln.Addr().String())
	go httpSrv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { httpSrv.Close() }, nil
}

// signIn opens n sessions, spread over every person of the directory.
func signIn(ctx context.Context, pool *pgxpool.Pool, dir *docsbench.Directory, n int) ([]official, error) {
	var people []official
	for a, agency := range dir.Agencies {
		people = append(people, official{userID: dir.Clerks[a], agency: agency, agencyIndex: a, role: access.VanThu},
			official{userID: dir.Leaders[a], agency: agency, agencyIndex: a, role: access.LanhDao})
		for _, s := range dir.Specialists[a*len(dir.Specialists)/len(dir.Agencies) : (a+1)*len(dir.Specialists)/len(dir.Agencies)] {
			people = append(people, official{userID: s, agency: agency, agencyIndex: a, role: access.ChuyenVien})
		}
	}
	officials := make([]official, n)
	for i := range officials {
		o := people[i%len(people)]
		token, sess, err := access.CreateSession(ctx, pool, o.userID, o.agency, "127.0.0.1", "edms bench web")
		if err != nil {
			return nil, err
		}
		o.session, o.csrf = token, sess.CSRFToken
		officials[i] = o
	}
	return officials, nil
}

// workload sends the requests of the simulated officials.
type workload struct {
	base      string
	client    *http.Client
	officials []official
	mu        sync.Mutex
	signed    [][]int64 // per agency, documents waiting for their number
	next      []int     // per agency, the next of them to issue
}

// runStep sends requests at rate per second for d (open loop: a slow answer does not
// slow the arrivals) and returns the p95 of reads and writes.
func (w *workload) runStep(ctx context.Context, rate float64, d time.Duration) StepResult {
	var mu sync.Mutex
	var reads, writes []time.Duration
	res := StepResult{Rate: rate}
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; time.Since(start) < d && ctx.Err() == nil; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval))) // on schedule, however long the last one took
		wg.Go(func() {
			write := rand.IntN(10) < 2 // 20% writes
			o := w.pick(write)
			began := time.Now()
			err := w.request(o, write)
			took := time.Since(began)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Errors++
				res.FirstError = cmp.Or(res.FirstError, err)
			}
			if write {
				writes = append(writes, took)
			} else {
				reads = append(reads, took)
			}
		})
	}
	wg.Wait()
	res.Reads, res.Writes = len(reads), len(writes)
	res.ReadP95, res.WriteP95 = p95(reads), p95(writes)
	return res
}

// pick chooses an official at random; writers are clerks (issuing) or specialists
// (drafting), since leaders do not draft.
func (w *workload) pick(write bool) official {
	for {
		o := w.officials[rand.IntN(len(w.officials))]
		if !write || o.role != access.LanhDao {
			return o
		}
	}
}

func p95(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[(len(d)-1)*95/100]
}

var searches = []string{"quyet dinh", "chuyen doi so", "ke hoach", "bao cao", "ngan sach", "van thu"}

// request sends one request of the official's kind of work.
func (w *workload) request(o official, write bool) error {
	switch {
	case !write && rand.IntN(3) == 0:
		return w.get(o, "/api/v1/documents?q="+url.QueryEscape(searches[rand.IntN(len(searches))]))
	case !write && rand.IntN(2) == 0:
		return w.readDocument(o)
	case !write:
		return w.get(o, "/api/v1/inbox")
	case o.role == access.VanThu:
		return w.issue(o)
	default:
		return w.draft(o)
	}
}

func (w *workload) get(o official, path string) error {
	_, err := w.do(o, "GET", path, "", nil, http.StatusOK)
	return err
}

// readDocument opens the first document of the official's inbox.
func (w *workload) readDocument(o official) error {
	body, err := w.do(o, "GET", "/api/v1/inbox", "", nil, http.StatusOK)
	if err != nil {
		return err
	}
	var inbox struct {
		Documents []struct{ ID int64 } `json:"documents"`
	}
	if err := json.Unmarshal(body, &inbox); err != nil || len(inbox.Documents) == 0 {
		return fmt.Errorf("webbench: empty inbox (%v)", err)
	}
	return w.get(o, fmt.Sprintf("/api/v1/documents/%d", inbox.Documents[rand.IntN(len(inbox.Documents))].ID))
}

// minimalPDF is a one-page PDF, enough for a draft.
const minimalPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// draft creates a draft and submits it for review: two writes.
func (w *workload) draft(o official) error {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	meta, _ := json.Marshal(map[string]any{"type": "ke_hoach", "subject": fmt.Sprintf("Kế hoạch thử tải %d", rand.Int64()), "place": "Phú Lương"})
	mw.WriteField("document", string(meta))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="du-thao.pdf"`)
	h.Set("Content-Type", "application/pdf")
	part, _ := mw.CreatePart(h)
	io.WriteString(part, minimalPDF+fmt.Sprintf("%%%d\n", rand.Int64())) // distinct content, stored apart
	mw.Close()
	body, err := w.do(o, "POST", "/api/v1/documents", mw.FormDataContentType(), buf.Bytes(), http.StatusCreated)
	if err != nil {
		return err
	}
	var created struct{ ID int64 }
	if err := json.Unmarshal(body, &created); err != nil {
		return err
	}
	_, err = w.do(o, "POST", fmt.Sprintf("/api/v1/documents/%d/outgoing/submit", created.ID), "application/json", nil, http.StatusOK)
	return err
}

// issue gives the next signed document of the clerk's agency its number.
func (w *workload) issue(o official) error {
	w.mu.Lock()
	a := o.agencyIndex
	if w.next[a] >= len(w.signed[a]) {
		w.mu.Unlock()
		return errors.New("webbench: no signed document left to issue")
	}
	id := w.signed[a][w.next[a]]
	w.next[a]++
	w.mu.Unlock()
	_, err := w.do(o, "POST", fmt.Sprintf("/api/v1/documents/%d/outgoing/issue", id), "application/json", nil, http.StatusOK)
	return err
}

// do sends a request with the official's session and its CSRF token, and checks the
// status.
func (w *workload) do(o official, method, path, contentType string, body []byte, want int) ([]byte, error) {
	req, err := http.NewRequest(method, w.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.AddCookie(&http.Cookie{Name: "edms_session", Value: o.session})
	req.Header.Set("X-CSRF-Token", o.csrf)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != want {
		err = fmt.Errorf("webbench: %s %s: %d %s", method, path, resp.StatusCode, out)
	}
	return out, err
}
