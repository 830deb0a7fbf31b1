package web_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/trust"
	"edms/internal/web"
)

// TestTrustAnchorsFromThePage: the node starts trusting nothing; the administrator
// uploads the demo root CA on the keys page, checks its fingerprint and confirms, and
// a document signed by a certificate of that CA verifies as trusted at once, on this
// instance and on another behind the same database; removed, it no longer does. A
// certificate that is not a CA is refused in Vietnamese, each change is audited, and
// a specialist gets the refusal page.
func TestTrustAnchorsFromThePage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, keys := seededWithKeys(t)
	root := takeTrustFolder(t, keys.TrustDir())
	store := signing.NewTrustStore()
	ts, srv := serveDemo(t, pool, web.Config{Trust: store, AgencyKeys: keys}, &docsign.Hook{Keys: keys, Layout: docsign.FormLayout})
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	id := signedDocument(t, clerk)
	if trusted(t, clerk, id) {
		t.Fatal("a signature is trusted before any anchor is")
	}

	admin := newBrowser(t, ts.URL)
	admin.login("quantri.huyen", demoPassword)
	chairman, err := keys.Person("chutich.huyen")
	if err != nil {
		t.Fatal(err)
	}
	leaf := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: chairman.Certificate.Raw})
	if _, page := postFile(t, admin, "/admin/keys/anchors", "certificate", "canhan.pem", string(leaf)); !strings.Contains(page, "không phải chứng thư của tổ chức cấp chứng thư (CA)") {
		t.Error("a certificate that is not a CA was not refused")
	}

	block, _ := pem.Decode(root)
	status, page := postFile(t, admin, "/admin/keys/anchors", "certificate", "goc.der", string(block.Bytes))
	fingerprint := trust.Fingerprint(parsedCertificate(t, block.Bytes))
	if status != http.StatusOK || !strings.Contains(page, fingerprint) || !strings.Contains(page, "Xác nhận thêm vào danh sách tin cậy") {
		t.Fatalf("the upload does not show the certificate to confirm: %d", status)
	}
	if trusted(t, clerk, id) {
		t.Error("the anchor is trusted before the administrator confirms")
	}
	der := regexp.MustCompile(`name="der" value="([^"]+)"`).FindStringSubmatch(page)
	csrf := csrfField.FindStringSubmatch(page)
	if der == nil || csrf == nil {
		t.Fatal("the confirmation form lacks the certificate or the CSRF token")
	}
	_, page = admin.post("/admin/keys/anchors/confirm", url.Values{"csrf_token": {csrf[1]}, "der": {html.UnescapeString(der[1])}})
	if !strings.Contains(page, "Đã thêm chứng thư gốc tin cậy") || !strings.Contains(page, fingerprint) {
		t.Error("the keys page does not list the added anchor")
	}
	if !trusted(t, clerk, id) {
		t.Error("the signature is not trusted after the anchor was added")
	}
	if _, err := os.Stat(filepath.Join(keys.TrustDir(), "added-"+fingerprint[:16]+".pem")); err != nil {
		t.Errorf("the added anchor is not cached in the trust folder: %v", err)
	}
	other := signing.NewTrustStore()
	if err := trust.Reload(ctx, pool, other, ""); err != nil || len(other.Anchors()) != 1 {
		t.Errorf("another instance reloads %d anchors (%v), want 1", len(other.Anchors()), err)
	}

	specialist := newBrowser(t, ts.URL)
	specialist.login("chuyenvien.tckh", demoPassword)
	_, home := specialist.get("/")
	token := csrfField.FindStringSubmatch(home)
	if token == nil {
		t.Fatal("no CSRF token on the specialist's home page")
	}
	removal := "/admin/keys/anchors/" + fingerprint + "/remove"
	if status, page := specialist.post(removal, url.Values{"csrf_token": {token[1]}, "confirm": {"yes"}}); status != http.StatusForbidden || !strings.Contains(page, "Bạn không có quyền") {
		t.Errorf("a specialist removing an anchor: %d", status)
	}
	if _, page := admin.post(removal, url.Values{"csrf_token": {csrf[1]}}); !strings.Contains(page, "Đánh dấu ô xác nhận") {
		t.Error("an anchor was removed without the confirmation")
	}
	if _, page := admin.post(removal, url.Values{"csrf_token": {csrf[1]}, "confirm": {"yes"}}); !strings.Contains(page, "Đã gỡ chứng thư gốc") {
		t.Error("the removal is not reported")
	}
	if trusted(t, clerk, id) {
		t.Error("the signature is still trusted after the anchor was removed")
	}
	if _, err := os.Stat(filepath.Join(keys.TrustDir(), "added-"+fingerprint[:16]+".pem")); !os.IsNotExist(err) {
		t.Errorf("the removed anchor is still cached: %v", err)
	}

	api := newAPIClient(t, ts, srv, "quantri.huyen")
	_, trail := api.do("GET", "/audit?object_type=trust_anchor&object_id="+fingerprint, "", nil)
	if got := fmt.Sprint(trail["entries"]); !strings.Contains(got, "trust.add") || !strings.Contains(got, "trust.remove") {
		t.Errorf("the audit trail of the anchor: %s", got)
	}
	body := fmt.Sprintf(`{"certificate":%q}`, base64.StdEncoding.EncodeToString(block.Bytes))
	if out := api.post("/trust-anchors", body, http.StatusCreated); out["fingerprint"] != fingerprint {
		t.Errorf("the API adds %v", out)
	}
	if !trusted(t, clerk, id) {
		t.Error("the signature is not trusted after the API added the anchor")
	}
}

// takeTrustFolder empties the keyring's trust folder and returns its certificate.
func takeTrustFolder(t *testing.T, dir string) []byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.pem"))
	if err != nil || len(files) != 1 {
		t.Fatalf("the demo trust folder holds %v (%v)", files, err)
	}
	root, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	return root
}

func parsedCertificate(t *testing.T, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// signedDocument is a document of the seeded demo whose PDF carries a signature.
func signedDocument(t *testing.T, clerk *apiClient) int64 {
	t.Helper()
	_, out := clerk.do("GET", "/documents?direction=outgoing&state=sent", "", nil)
	sent, _ := out["documents"].([]any)
	if len(sent) == 0 {
		t.Fatalf("no sent document in the demo: %v", out)
	}
	return int64(sent[0].(map[string]any)["id"].(float64))
}

// trusted reports whether every signature of the document's main file is trusted.
func trusted(t *testing.T, c *apiClient, id int64) bool {
	t.Helper()
	_, detail := c.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	report, _ := detail["signatures"].(map[string]any)
	signatures, _ := report["signatures"].([]any)
	if len(signatures) == 0 {
		t.Fatalf("document %d has no signature to check: %v", id, detail["signatures"])
	}
	for _, s := range signatures {
		if s.(map[string]any)["trusted"] != true {
			return false
		}
	}
	return true
}
