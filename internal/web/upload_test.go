package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"strings"
	"testing"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

// uploadTestMaxFile is the file size limit of the upload test's server: small, so that
// a body beyond it is cheap to send.
const uploadTestMaxFile = 12 << 20

// spilling is the size of the files the upload test sends: beyond what multipart
// parsing keeps in memory (1 MiB now, 8 MiB before), so that they land in temporary
// files.
const spilling = 9 << 20

// newUploadServer serves the demo with small file limits and DOCX conversion (when
// LibreOffice is installed); it returns the documents service for the background work.
func newUploadServer(t *testing.T) (*httptest.Server, *web.Server, *docs.Service) {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	if err := demo.Seed(ctx, pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	documents := &docs.Service{Pool: pool, Access: enforcer, MaxFileSize: uploadTestMaxFile, Converter: &docs.Converter{},
		Queue: storetest.InsertOnlyQueue(t, pool)}
	srv, err := web.NewServer(web.Config{}, pool, enforcer, documents)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts, srv, documents
}

// largePDF is a PDF of about size bytes: a minimal PDF followed by a comment.
func largePDF(size int) string {
	return minimalPDF + "%" + strings.Repeat("x", size-len(minimalPDF)-2) + "\n"
}

// multipartBody is a form of text fields and files (field name → PDF content).
type multipartBody struct {
	fields map[string]string
	files  []struct{ field, content string }
	docx   bool // the files are Word documents, not PDFs
}

func (m multipartBody) encode() (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range m.fields {
		mw.WriteField(k, v)
	}
	extension, media := ".pdf", docs.MediaPDF
	if m.docx {
		extension, media = ".docx", docs.MediaDOCX
	}
	for i, f := range m.files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="tep-%d%s"`, f.field, i, extension))
		h.Set("Content-Type", media)
		part, _ := mw.CreatePart(h)
		io.WriteString(part, f.content)
	}
	mw.Close()
	return mw.FormDataContentType(), &buf
}

func withFiles(fields map[string]string, files ...string) multipartBody {
	m := multipartBody{fields: fields}
	for i, content := range files {
		field := "file"
		if i > 0 {
			field = "attachment"
		}
		m.files = append(m.files, struct{ field, content string }{field, content})
	}
	return m
}

func jsonField(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestUploadsLeaveNoTemporaryFiles posts to every route that takes a body, with files
// large enough to spill to disk, successfully and not, signed in and not, and checks
// after each request that the temporary folder is as empty as before.
func TestUploadsLeaveNoTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // not parallel: the process's temporary folder is ours
	ts, srv, _ := newUploadServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	b := newBrowser(t, ts.URL)
	_, home := b.login("chuyenvien.tckh", demoPassword)
	csrf := csrfField.FindStringSubmatch(home)[1]
	draft := map[string]any{"type": "cong_van", "subject": "Về việc thử tải lên", "page_count": 1}
	incoming := map[string]any{"type": "cong_van", "subject": "Văn bản đến thử", "code_number": "12", "code_notation": "UBND-VP",
		"issued_date": "2026-03-02", "issuer_organ_id": "000.00.00.H56", "issuer_name": "UBND tỉnh Thái Nguyên", "paper": true}
	big := largePDF(spilling)
	status, out := specialist.do("POST", "/documents", "", nil)
	if status != http.StatusUnsupportedMediaType && status != http.StatusBadRequest {
		t.Fatalf("empty draft post: %d %v", status, out)
	}
	status, out = postMultipart(t, specialist, specialist.token, "/documents", withFiles(map[string]string{"document": jsonField(draft)}, big))
	if status != http.StatusCreated {
		t.Fatalf("create a draft: %d %v", status, out)
	}
	draftID := int64(out["id"].(float64))
	assertEmpty(t, tmp, "after creating a draft")

	tests := []struct {
		name   string
		client *apiClient // nil: anonymous
		path   string
		body   multipartBody
		status int
	}{
		{"draft with a wrong file", specialist, "/documents", withFiles(map[string]string{"document": jsonField(draft)}, "<html>"+big), 400},
		{"draft too large", specialist, "/documents", withFiles(map[string]string{"document": jsonField(draft)}, largePDF(uploadTestMaxFile+1)), 413},
		{"draft body too large", specialist, "/documents", withFiles(map[string]string{"document": jsonField(draft)}, largePDF(uploadTestMaxFile+2<<20)), 413},
		{"draft with two files", specialist, "/documents", withFiles(map[string]string{"document": jsonField(draft)}, big, largePDF(1000)), 400},
		{"draft, anonymous", nil, "/documents", withFiles(map[string]string{"document": jsonField(draft)}, big), 401},
		{"new version", specialist, fmt.Sprintf("/documents/%d/versions", draftID), withFiles(nil, largePDF(spilling+1)), 201},
		{"version of no document", specialist, "/documents/999999/versions", withFiles(nil, big), 404},
		{"attachment", specialist, fmt.Sprintf("/documents/%d/attachments", draftID), withFiles(nil, largePDF(spilling+2)), 201},
		{"received with attachments", clerk, "/incoming", withFiles(map[string]string{"document": jsonField(incoming)}, largePDF(spilling+3), largePDF(2<<20)), 201},
		{"received with bad metadata", clerk, "/incoming", withFiles(map[string]string{"document": "{"}, big), 400},
		{"received by a specialist", specialist, "/incoming", withFiles(map[string]string{"document": jsonField(incoming)}, big), 403},
		{"received, anonymous", nil, "/incoming", withFiles(map[string]string{"document": jsonField(incoming)}, big), 401},
		{"multipart to a step", specialist, fmt.Sprintf("/documents/%d/outgoing/submit", draftID), withFiles(nil, big), 415},
	}
	for _, tt := range tests {
		token := ""
		if tt.client != nil {
			token = tt.client.token
		}
		if status, out := postMultipart(t, specialist, token, tt.path, tt.body); status != tt.status {
			t.Errorf("%s: %d %v, want %d", tt.name, status, out, tt.status)
		}
		assertEmpty(t, tmp, tt.name)
	}

	// edXML packages are the body itself.
	for name, body := range map[string]string{"not edXML": big, "too large": largePDF(uploadTestMaxFile + 2<<20)} {
		status, out := clerk.do("POST", "/incoming/edxml", "application/xml", strings.NewReader(body))
		if status != http.StatusBadRequest && status != http.StatusRequestEntityTooLarge {
			t.Errorf("edXML %s: %d %v", name, status, out)
		}
		assertEmpty(t, tmp, "edXML "+name)
	}

	// The HTML forms, with the session and its CSRF token.
	pages := []struct {
		name   string
		path   string
		body   multipartBody
		status int
	}{
		{"draft form", "/documents/new", withFiles(map[string]string{"csrf_token": csrf, "type": "cong_van", "subject": "Dự thảo qua biểu mẫu", "request_key": "p1"}, largePDF(spilling+5)), 303},
		{"draft form without CSRF", "/documents/new", withFiles(map[string]string{"type": "cong_van", "subject": "Giả mạo"}, big), 403},
		{"draft form too large", "/documents/new", withFiles(map[string]string{"csrf_token": csrf}, big, big), 413},
		{"receive form of a specialist", "/documents/receive", withFiles(map[string]string{"csrf_token": csrf}, big), 403},
		{"edXML form of a specialist", "/documents/receive/edxml", withFiles(map[string]string{"csrf_token": csrf}, big), 403},
		{"multipart sign-in", "/login", withFiles(map[string]string{"username": "chuyenvien.tckh", "password": demoPassword}, big), 415},
		{"multipart step form", fmt.Sprintf("/documents/%d/outgoing/submit", draftID), withFiles(map[string]string{"csrf_token": csrf}, big), 415},
	}
	for _, tt := range pages {
		contentType, body := tt.body.encode()
		req, _ := http.NewRequest("POST", ts.URL+tt.path, body)
		req.Header.Set("Content-Type", contentType)
		for _, c := range b.client.Jar.Cookies(req.URL) {
			req.AddCookie(c)
		}
		resp, err := noRedirect().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, resp.StatusCode, tt.status)
		}
		assertEmpty(t, tmp, tt.name)
	}
	clerkPage := newBrowser(t, ts.URL)
	_, home = clerkPage.login("vanthu.huyen", demoPassword)
	form := withFiles(map[string]string{"csrf_token": csrfField.FindStringSubmatch(home)[1], "document": "x"}, "not a package")
	form.files[0].field = "package"
	contentType, body := form.encode()
	resp, err := clerkPage.client.Post(ts.URL+"/documents/receive/edxml", contentType, body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	assertEmpty(t, tmp, "edXML form with a bad package")
}

// postMultipart posts a multipart body to the API with a bearer token (empty: an
// anonymous caller's).
func postMultipart(t *testing.T, c *apiClient, token, path string, body multipartBody) (int, map[string]any) {
	t.Helper()
	contentType, buf := body.encode()
	caller := *c
	caller.token = token
	return caller.do("POST", path, contentType, buf)
}

// draft creates a draft with a small PDF and returns its id.
func (c *apiClient) draft(subject string) int64 {
	c.t.Helper()
	status, out := c.upload("/documents", map[string]any{"type": "cong_van", "subject": subject, "page_count": 1}, minimalPDF)
	if status != http.StatusCreated {
		c.t.Fatalf("draft: %d %v", status, out)
	}
	return int64(out["id"].(float64))
}

func assertEmpty(t *testing.T, dir, after string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s: %s left in the temporary folder", after, e.Name())
		os.RemoveAll(dir + "/" + e.Name())
	}
}

// TestStreamedUploadRefusesFieldsAfterTheFile: the API streams the file into the
// store, so a field sent after it would be lost; it is refused and nothing is kept.
func TestStreamedUploadRefusesFieldsAfterTheFile(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	id := specialist.draft("Thứ tự các trường")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	part, _ := mw.CreateFormFile("file", "v2.pdf")
	io.WriteString(part, largePDF(5000))
	mw.WriteField("note", "Ghi chú gửi sau tệp")
	mw.Close()
	status, out := specialist.do("POST", fmt.Sprintf("/documents/%d/versions", id), mw.FormDataContentType(), &buf)
	if status != http.StatusBadRequest || errorCode(out) != "file_not_last" {
		t.Errorf("a note after the file: %d %v", status, out)
	}
	status, out = specialist.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	if files := out["files"].([]any); status != http.StatusOK || len(files) != 1 {
		t.Errorf("files after the refusal: %d %v", status, out["files"])
	}
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	part, _ = mw.CreateFormFile("file", "du-thao.pdf")
	io.WriteString(part, minimalPDF)
	mw.WriteField("document", jsonField(map[string]any{"type": "cong_van", "subject": "Sau tệp"}))
	mw.Close()
	if status, out := specialist.do("POST", "/documents", mw.FormDataContentType(), &buf); status != http.StatusBadRequest || errorCode(out) != "document_missing" {
		t.Errorf("metadata after the file: %d %v", status, out)
	}
}
