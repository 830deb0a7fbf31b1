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
	"strings"
	"testing"
	"time"

	"edms/internal/access"
	"edms/internal/org"
	"edms/internal/web"
)

// minimalPDF is a one-page PDF, enough for type sniffing and storage.
const minimalPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// apiClient calls the JSON API as one demo user.
type apiClient struct {
	t     *testing.T
	base  string
	token string
}

func newAPIClient(t *testing.T, ts *httptest.Server, srv *web.Server, username string) *apiClient {
	t.Helper()
	ctx := context.Background()
	u, err := org.UserByUsername(ctx, srv.Pool(), username)
	if err != nil {
		t.Fatal(err)
	}
	token, err := access.CreateAPIToken(ctx, srv.Pool(), u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: ts.URL + "/api/v1", token: token}
}

func (c *apiClient) do(method, path, contentType string, body io.Reader) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, body)
	req.Header.Set("Authorization", "Bearer "+c.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// step posts a lifecycle step and fails the test unless it succeeds.
func (c *apiClient) step(id int64, dir, action string, body string) map[string]any {
	c.t.Helper()
	status, out := c.do("POST", fmt.Sprintf("/documents/%d/%s/%s", id, dir, action), "application/json", strings.NewReader(body))
	if status != http.StatusOK {
		c.t.Fatalf("%s %s: %d %v", dir, action, status, out)
	}
	return out
}

// upload posts metadata and a PDF as multipart.
func (c *apiClient) upload(path string, metadata any, file string) (int, map[string]any) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	meta, _ := json.Marshal(metadata)
	mw.WriteField("document", string(meta))
	if file != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="du-thao.pdf"`)
		h.Set("Content-Type", "application/pdf")
		part, _ := mw.CreatePart(h)
		io.WriteString(part, file)
	}
	mw.Close()
	return c.do("POST", path, mw.FormDataContentType(), &buf)
}

func documentState(out map[string]any) string {
	return out["document"].(map[string]any)["document"].(map[string]any)["state"].(string)
}

// TestDocumentCyclesBetweenAgencies runs an outgoing document of UBND huyện Phú Lương
// through its whole lifecycle, hands it to UBND xã Yên Ninh, and runs the incoming
// lifecycle there, while the sender follows the recipient's progress.
func TestDocumentCyclesBetweenAgencies(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	unitHead := newAPIClient(t, ts, srv, "truongphong.tckh")
	chairman := newAPIClient(t, ts, srv, "chutich.huyen")
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	communeClerk := newAPIClient(t, ts, srv, "vanthu.yenninh")
	communeChair := newAPIClient(t, ts, srv, "chutich.yenninh")
	communeOfficer := newAPIClient(t, ts, srv, "chuyenvien.yenninh")

	draft := map[string]any{"type": "cong_van", "subject": "Về việc đôn đốc thu ngân sách quý IV năm 2026",
		"place": "Phú Lương", "recipients": []string{"000.03.09.H56"}, "page_count": 1, "request_key": "k1"}
	status, out := specialist.upload("/documents", draft, minimalPDF)
	if status != http.StatusCreated {
		t.Fatalf("create draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	if status, out := specialist.upload("/documents", draft, minimalPDF); status == http.StatusCreated {
		t.Errorf("a double submit created a second draft: %v", out)
	}

	// A specialist may not approve; the refusal names the state and who may act.
	status, out = specialist.do("POST", fmt.Sprintf("/documents/%d/outgoing/approve", id), "", nil)
	if status != http.StatusForbidden {
		t.Errorf("specialist approves: %d %v", status, out)
	}
	specialist.step(id, "outgoing", "submit", `{"note":"Kính trình"}`)
	unitHead.step(id, "outgoing", "approve", ``)
	unitHead.step(id, "outgoing", "submit_signature", ``)
	status, out = clerk.do("POST", fmt.Sprintf("/documents/%d/outgoing/issue", id), "", nil)
	if status != http.StatusConflict || !strings.Contains(errorCode(out)+fmt.Sprint(out), "Chờ ký") {
		t.Errorf("issue before signing: %d %v", status, out)
	}
	chairman.step(id, "outgoing", "sign", `{"competence":"","note":"Đồng ý ban hành"}`)
	out = clerk.step(id, "outgoing", "issue", ``)
	issued := out["document"].(map[string]any)["document"].(map[string]any)
	if number, _ := issued["number"].(string); !strings.HasPrefix(number, "01/UBND-") {
		t.Errorf("first number of the year: %q", number)
	}
	clerk.step(id, "outgoing", "seal", ``)
	if state := documentState(clerk.step(id, "outgoing", "send", ``)); state != "sent" {
		t.Errorf("state after sending: %s", state)
	}

	// The commune's clerk finds it in the inbox.
	status, out = communeClerk.do("GET", "/inbox", "", nil)
	items, _ := out["documents"].([]any)
	if status != 200 || len(items) != 1 {
		t.Fatalf("commune inbox: %d %v", status, out)
	}
	incomingID := int64(items[0].(map[string]any)["id"].(float64))
	// The district's clerk cannot see the commune's copy.
	if status, _ := clerk.do("GET", fmt.Sprintf("/documents/%d", incomingID), "", nil); status != http.StatusNotFound {
		t.Errorf("another agency's document visible: %d", status)
	}
	communeClerk.step(incomingID, "incoming", "register", ``)
	communeClerk.step(incomingID, "incoming", "submit", ``)
	officerID := userID(t, srv, "chuyenvien.yenninh")
	deadline := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	communeChair.step(incomingID, "incoming", "assign", fmt.Sprintf(
		`{"note":"Giao đồng chí Sơn tham mưu trả lời","assignments":[{"role":"chu_tri","user_id":%d,"deadline":"%s"}]}`, officerID, deadline))
	status, out = communeOfficer.do("GET", fmt.Sprintf("/documents/%d", incomingID), "", nil)
	assignments, _ := out["assignments"].([]any)
	if status != 200 || len(assignments) != 1 {
		t.Fatalf("assignments: %d %v", status, out)
	}
	assignment := int64(assignments[0].(map[string]any)["id"].(float64))
	if status, out := communeOfficer.do("POST", fmt.Sprintf("/assignments/%d/progress", assignment), "application/json",
		strings.NewReader(`{"percent":50,"note":"Đang tổng hợp số liệu"}`)); status != 200 {
		t.Fatalf("progress: %d %v", status, out)
	}
	communeOfficer.step(incomingID, "incoming", "complete", `{"note":"Đã báo cáo"}`)

	// The sender sees the recipient's progress.
	_, out = clerk.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	recipients := out["recipients"].([]any)
	if len(recipients) != 1 || recipients[0].(map[string]any)["status"] != "completed" {
		t.Errorf("sender's view of the recipient: %v", recipients)
	}
	history := out["history"].([]any)
	if len(history) < 8 {
		t.Errorf("history has %d transitions", len(history))
	}
}

func userID(t *testing.T, srv *web.Server, username string) int64 {
	u, err := org.UserByUsername(context.Background(), srv.Pool(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestDocumentBadInput(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	tests := []struct {
		name     string
		metadata map[string]any
		file     string
		status   int
	}{
		{"unknown type", map[string]any{"type": "sac_lenh", "subject": "x"}, minimalPDF, 400},
		{"no subject", map[string]any{"type": "cong_van", "subject": " "}, minimalPDF, 400},
		{"past deadline", map[string]any{"type": "cong_van", "subject": "x", "due_date": "2020-01-01"}, minimalPDF, 400},
		{"unknown recipient", map[string]any{"type": "cong_van", "subject": "x", "recipients": []string{"000.99.99.H99"}}, minimalPDF, 400},
		{"not a pdf", map[string]any{"type": "cong_van", "subject": "x"}, "this is plain text", 400},
		{"neither file nor content", map[string]any{"type": "cong_van", "subject": "x"}, "", 400},
	}
	for _, tt := range tests {
		if status, out := specialist.upload("/documents", tt.metadata, tt.file); status != tt.status {
			t.Errorf("%s: %d %v", tt.name, status, out)
		} else if msg := fmt.Sprint(out["error"]); !strings.Contains(msg, "message") {
			t.Errorf("%s: no message in %v", tt.name, out)
		}
	}
	status, out := specialist.do("GET", "/documents?q=", "", nil)
	if status != 200 || len(out["documents"].([]any)) != 0 {
		t.Errorf("refused drafts were stored: %v", out)
	}

	// Typed content instead of a file is laid out on the form as a PDF.
	status, out = specialist.upload("/documents", map[string]any{"type": "thong_bao", "subject": "Lịch tiếp công dân tháng 12",
		"content": "Chủ tịch Ủy ban nhân dân huyện tiếp công dân vào thứ Năm hằng tuần."}, "")
	if status != http.StatusCreated {
		t.Fatalf("composed draft: %d %v", status, out)
	}
	_, out = specialist.do("GET", fmt.Sprintf("/documents/%d", int64(out["id"].(float64))), "", nil)
	files := out["files"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["media_type"] != "application/pdf" {
		t.Errorf("composed draft files: %v", files)
	}
	if status, out := specialist.do("GET", "/documents?q=tiep+cong+dan+thu+nam", "", nil); status != 200 || len(out["documents"].([]any)) != 1 {
		t.Errorf("the typed content is not searchable: %v", out)
	}
}

// TestEdxmlBetweenAgencies exports the demo's issued plan as a signed edXML package
// and imports it at a recipient (where the direct hand-off already delivered it, so
// the duplicate warning fires) and at an agency it was not meant for (refused).
func TestEdxmlBetweenAgencies(t *testing.T) {
	t.Parallel()
	ts, srv := newSigningDemoServer(t)
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	_, out := clerk.do("GET", "/documents?direction=outgoing&state=sent", "", nil)
	sent := out["documents"].([]any)
	if len(sent) != 1 {
		t.Fatalf("sent documents: %v", sent)
	}
	id := int64(sent[0].(map[string]any)["id"].(float64))
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/documents/%d/edxml", clerk.base, id), nil)
	req.Header.Set("Authorization", "Bearer "+clerk.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pkg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(pkg, []byte("01</edXML:CodeNumber>")) || !bytes.Contains(pkg, []byte("SignatureValue")) {
		t.Fatalf("export: %d %.300s", resp.StatusCode, pkg)
	}

	recipient := newAPIClient(t, ts, srv, "vanthu.du")
	withBOM := append([]byte("\xef\xbb\xbf"), pkg...) // as .NET producers write: read with a warning
	status, out := recipient.do("POST", "/incoming/edxml", "application/xml", bytes.NewReader(withBOM))
	if status != http.StatusCreated {
		t.Fatalf("import at a recipient: %d %v", status, out)
	}
	if warnings := fmt.Sprint(out["warnings"]); !strings.Contains(warnings, "byte-order mark") {
		t.Errorf("no warning about the byte-order mark: %s", warnings)
	}
	if out["signature"] != "chữ ký số hợp lệ, tin cậy" {
		t.Errorf("signature state: %v", out["signature"])
	}
	if dups, _ := out["duplicates"].([]any); len(dups) == 0 {
		t.Errorf("no duplicate warning for a document already handed off: %v", out)
	}
	_, detail := recipient.do("GET", fmt.Sprintf("/documents/%d", int64(out["id"].(float64))), "", nil)
	files := detail["files"].([]any)
	if len(files) != 1 || files[0].(map[string]any)["media_type"] != "application/pdf" {
		t.Errorf("imported files: %v", files)
	}

	province := newAPIClient(t, ts, srv, "vanthu.tinh")
	if status, out := province.do("POST", "/incoming/edxml", "application/xml", bytes.NewReader(pkg)); status != 400 || errorCode(out) != "edxml_wrong_recipient" {
		t.Errorf("import at an agency it was not sent to: %d %v", status, out)
	}
	tampered := bytes.Replace(pkg, []byte("Kiểm tra công tác văn thư"), []byte("Kiểm tra công tác văn thu"), 1)
	if status, out := recipient.do("POST", "/incoming/edxml", "application/xml", bytes.NewReader(tampered)); status != 400 || errorCode(out) != "edxml_invalid" {
		t.Errorf("tampered package: %d %v", status, out)
	}
}
