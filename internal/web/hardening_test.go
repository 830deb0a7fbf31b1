package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/store/storetest"
	"edms/internal/testenv"
	"edms/internal/web"
)

// TestSignInRedirectsOnlyToCleanLocalPaths: the next parameter of the sign-in form
// cannot send the user to another site, however it is disguised.
func TestSignInRedirectsOnlyToCleanLocalPaths(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	tests := map[string]string{
		"/\t/evil.com":             "/",
		"//evil.com":               "/",
		"/\\evil.com":              "/",
		"https://evil.com/":        "/",
		"/documents/../\r\n//evil": "/",
		"/a//evil.com":             "/",
		"/documents?tab=outgoing":  "/documents?tab=outgoing",
	}
	for next, want := range tests {
		b := newBrowser(t, ts.URL)
		b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		_, page := b.get("/login?next=" + url.QueryEscape(next))
		token := csrfField.FindStringSubmatch(page)[1]
		resp, err := b.client.PostForm(ts.URL+"/login", url.Values{"csrf_token": {token}, "username": {"chutich.huyen"},
			"password": {demoPassword}, "next": {next}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
}

// forwarding adds an X-Forwarded-For header to every request, as a client behind a
// proxy (or pretending to be) sends it.
type forwarding struct{ header string }

func (f forwarding) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.header)
	return http.DefaultTransport.RoundTrip(r)
}

// TestForwardedForIsReadFromTheRight: behind a trusted proxy the client address is
// the one the proxy appended, not what the client wrote at the left.
func TestForwardedForIsReadFromTheRight(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	if err := demo.Seed(ctx, pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hops   int
		header string
		want   string
	}{
		{0, "6.6.6.6, 203.0.113.7", "203.0.113.7"},
		{1, "6.6.6.6, 203.0.113.8", "203.0.113.8"},
		{2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"},
		{1, "6.6.6.6, not-an-address", "127.0.0.1"},
	}
	for i, tt := range tests {
		ts, _ := serveDemo(t, pool, web.Config{TrustProxy: true, ProxyHops: tt.hops}, nil)
		b := newBrowser(t, ts.URL)
		b.client.Transport = forwarding{tt.header}
		user := fmt.Sprintf("nobody.%d", i)
		b.login(user, "wrong password")
		var ip string
		if err := pool.QueryRow(ctx, `SELECT client_ip FROM login_failures WHERE username = $1`, user).Scan(&ip); err != nil {
			t.Fatal(err)
		}
		if ip != tt.want {
			t.Errorf("%d hops, X-Forwarded-For %q: client %s, want %s", tt.hops, tt.header, ip, tt.want)
		}
	}
}

// TestHeadIsAnsweredWhereGetIs.
func TestHeadIsAnsweredWhereGetIs(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	for path, want := range map[string]int{"/login": 200, "/healthz": 200, "/api/v1/openapi.json": 200, "/": 303, "/documents": 303} {
		req, _ := http.NewRequest("HEAD", ts.URL+path, nil)
		resp, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("HEAD %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// TestNULAndInvalidUTF8AreRefused: text with a NUL byte or bytes that are not UTF-8
// is answered 400 with the field named, from forms, JSON, multipart metadata and
// queries alike.
func TestNULAndInvalidUTF8AreRefused(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	id := specialist.draft("Thử ký tự")
	step := fmt.Sprintf("/documents/%d/outgoing/submit", id)
	api := []struct {
		name, method, path, body string
	}{
		{"JSON with \\u0000", "POST", step, `{"note":"a\u0000b"}`},
		{"JSON not UTF-8", "POST", step, "{\"note\":\"\xff\xfe\"}"},
		{"query with NUL", "GET", "/documents?q=%00", ""},
		{"query not UTF-8", "GET", "/documents?q=%C3%28", ""},
	}
	for _, tt := range api {
		status, out := specialist.do(tt.method, tt.path, "application/json", strings.NewReader(tt.body))
		if status != http.StatusBadRequest || errorCode(out) != "text_invalid" {
			t.Errorf("%s: %d %v", tt.name, status, out)
		}
	}
	status, out := specialist.upload("/documents", map[string]any{"type": "cong_van", "subject": "a\x00b", "page_count": 1}, minimalPDF)
	if status != http.StatusBadRequest || errorCode(out) != "text_invalid" {
		t.Errorf("metadata with NUL: %d %v", status, out)
	}
	b := newBrowser(t, ts.URL)
	_, home := b.login("chuyenvien.tckh", demoPassword)
	csrf := csrfField.FindStringSubmatch(home)[1]
	if status, page := b.post(step, url.Values{"csrf_token": {csrf}, "note": {"a\x00b"}}); status != http.StatusBadRequest || !strings.Contains(page, "không hợp lệ") {
		t.Errorf("form with NUL: %d", status)
	}
	if status, _ := b.post(step, url.Values{"csrf_token": {csrf}, "note": {"\xc3\x28"}}); status != http.StatusBadRequest {
		t.Errorf("form not UTF-8: %d", status)
	}
	if status, _ := specialist.do("GET", fmt.Sprintf("/documents/%d", id), "", nil); status != http.StatusOK {
		t.Errorf("the document after the refusals: %d", status)
	}
}

// brokenClient is a response writer whose client goes away after the first write.
type brokenClient struct {
	header       http.Header
	statuses     []int
	writes       int
	afterFailure int // writes attempted once the connection broke
}

func (b *brokenClient) Header() http.Header { return b.header }

func (b *brokenClient) WriteHeader(code int) { b.statuses = append(b.statuses, code) }

func (b *brokenClient) Write(p []byte) (int, error) {
	if len(b.statuses) == 0 {
		b.statuses = append(b.statuses, http.StatusOK)
	}
	b.writes++
	if b.writes > 1 {
		b.afterFailure++
		return 0, errors.New("write: connection reset by peer")
	}
	return len(p), nil
}

// TestCancelledDownloadWritesNothingMore: a download whose client goes away midway
// keeps its 200 and gets no JSON error appended to the file.
func TestCancelledDownloadWritesNothingMore(t *testing.T) {
	t.Parallel()
	ts, srv, _ := newUploadServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	status, out := postMultipart(t, specialist, specialist.token, "/documents",
		withFiles(map[string]string{"document": jsonField(map[string]any{"type": "cong_van", "subject": "Tải xuống", "page_count": 1})}, largePDF(3<<20)))
	if status != http.StatusCreated {
		t.Fatalf("draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	status, out = specialist.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	file := out["files"].([]any)[0].(map[string]any)
	req := httptest.NewRequest("GET", fmt.Sprintf("/api/v1/documents/%d/files/%.0f", id, file["id"].(float64)), nil)
	req.Header.Set("Authorization", "Bearer "+specialist.token)
	w := &brokenClient{header: http.Header{}}
	srv.Handler().ServeHTTP(w, req)
	if len(w.statuses) != 1 || w.statuses[0] != http.StatusOK || w.afterFailure != 1 {
		t.Errorf("statuses %v, %d writes after the client went away, want [200] and only the one that failed", w.statuses, w.afterFailure)
	}
}

// TestFormAndTypedContentAreBounded: a form body beyond its route's limit is refused
// before it is read, signed in or not, and typed content has its own limit.
func TestFormAndTypedContentAreBounded(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	b := newBrowser(t, ts.URL)
	_, home := b.login("chuyenvien.tckh", demoPassword)
	csrf := csrfField.FindStringSubmatch(home)[1]
	long := strings.Repeat("Nội dung rất dài. ", 8<<10)
	if status, _ := b.post("/login", url.Values{"username": {"x"}, "password": {long}}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 150 KB sign-in form: %d", status)
	}
	if status, _ := b.post("/agency", url.Values{"csrf_token": {csrf}, "agency_id": {"1"}, "x": {long}}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 150 KB form post: %d", status)
	}
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	status, out := specialist.upload("/documents", map[string]any{"type": "cong_van", "subject": "Nội dung quá dài", "content": long}, "")
	if status != http.StatusRequestEntityTooLarge || errorCode(out) != "content_too_long" {
		t.Errorf("150 KB of typed content: %d %v", status, out)
	}
	status, out = specialist.upload("/documents", map[string]any{"type": "cong_van", "subject": "Nội dung vừa phải", "content": long[:20<<10]}, "")
	if status != http.StatusCreated {
		t.Errorf("20 KB of typed content: %d %v", status, out)
	}
}

// bombLikeDOCX is a Word archive of 1001 tiny parts, more than a document holds: the
// conversion refuses it at once.
func bombLikeDOCX(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := range 1001 {
		w, err := zw.Create(fmt.Sprintf("word/part%d.xml", i))
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, "<w/>")
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestFailedConversionIsShownToTheDrafter: a DOCX draft whose conversion failed for
// good says why on its page and in the API.
func TestFailedConversionIsShownToTheDrafter(t *testing.T) {
	t.Parallel()
	testenv.LookTool(t, "soffice")
	ts, srv, documents := newUploadServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	form := withFiles(map[string]string{"document": jsonField(map[string]any{"type": "bao_cao", "subject": "Báo cáo bằng DOCX", "page_count": 1})}, bombLikeDOCX(t))
	form.docx = true
	status, out := postMultipart(t, specialist, specialist.token, "/documents", form)
	if status != http.StatusCreated {
		t.Fatalf("DOCX draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	workJobs(t, documents, docs.ConvertDocxArgs{}.Kind())
	_, out = specialist.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	failures, _ := out["conversion_failures"].([]any)
	if len(failures) != 1 || !strings.Contains(fmt.Sprint(failures[0]), "1001 thành phần") {
		t.Errorf("conversion failures in the API: %v", out["conversion_failures"])
	}
	b := newBrowser(t, ts.URL)
	b.login("chuyenvien.tckh", demoPassword)
	if _, page := b.get(fmt.Sprintf("/documents/%d", id)); !strings.Contains(page, "Không chuyển được tệp DOCX sang PDF: tệp có 1001 thành phần") {
		t.Errorf("the document page does not say why the conversion failed")
	}
}
