package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"edms/internal/demo"
	"edms/internal/signing/pki"
)

// userID is the ID of the demo account.
func (w *signingWorld) userID(username string) int64 {
	var id int64
	must(w.t, w.pool.QueryRow(context.Background(), `SELECT id FROM users WHERE username = $1`, username).Scan(&id))
	return id
}

// TestIdentifierRefusesAnotherPersonsCertificate: the administrator records the
// chairman's identifier on his signing page (a malformed one is refused with what an
// identifier is); a certificate naming the chairman but carrying another identifier
// is then refused at preparation, and one carrying his is accepted.
func TestIdentifierRefusesAnotherPersonsCertificate(t *testing.T) {
	w := newSigningWorld(t)
	ts, srv := w.server()
	id := w.waitingDocument()
	settings := fmt.Sprintf("/admin/users/%d/signing", w.userID(demo.RemoteSigner))
	admin := newBrowser(t, ts.URL)
	admin.login("quantri.huyen", demoPassword)
	_, page := admin.get(settings)
	if !strings.Contains(page, "Mã định danh cá nhân") {
		t.Fatalf("the person's signing page has no identifier: %s", page)
	}
	identifier := settings[:strings.LastIndex(settings, "/")] + "/identifier"
	_, page = admin.post(identifier, url.Values{"csrf_token": {csrfOf(t, page)}, "identifier": {"0010850123ab"}})
	if !strings.Contains(page, "phải gồm từ 9 đến 12 chữ số") {
		t.Errorf("a malformed identifier: %s", page)
	}
	_, page = admin.post(identifier, url.Values{"csrf_token": {csrfOf(t, page)}, "identifier": {"001085012345"}})
	if !strings.Contains(page, "Đã lưu mã định danh cá nhân của Nguyễn Văn Nghĩa") || !strings.Contains(page, `value="001085012345"`) {
		t.Errorf("after saving the identifier: %s", page)
	}

	own := newBrowser(t, ts.URL)
	own.login(demo.RemoteSigner, demoPassword)
	if _, page := own.get("/account/signing"); !strings.Contains(page, "<strong>001085012345</strong>") {
		t.Errorf("the chairman's own signing page does not show his identifier: %s", page)
	}

	c := newAPIClient(t, ts, srv, demo.RemoteSigner)
	other := chairman
	other.Identifier = "CCCD:079085000111"
	status, out := prepare(c, id, w.personKey(other, pki.Options{}))
	if e, _ := out["error"].(map[string]any); status != http.StatusBadRequest || e == nil ||
		e["message"] != "Chứng thư số này không phải của Nguyễn Văn Nghĩa." {
		t.Errorf("a certificate carrying another identifier: %d %v", status, out)
	}
	his := chairman
	his.Identifier = "CCCD:001085012345"
	if status, out := prepare(c, id, w.personKey(his, pki.Options{})); status != http.StatusOK {
		t.Errorf("a certificate carrying his identifier: %d %v", status, out)
	}
}

// TestImportCertificateWithIntermediate: a leader's certificate issued by an
// intermediate CA is refused alone (the intermediate is not a trust anchor) and
// recorded when imported as a PEM bundle, leaf first, with the intermediate.
func TestImportCertificateWithIntermediate(t *testing.T) {
	w := newSigningWorld(t)
	ts, _ := w.server()
	sub, err := w.ca.NewIntermediate("edms demo CA trung gian")
	must(t, err)
	leader, err := sub.IssuePerson(pki.Options{Subject: pki.Subject{CommonName: "Hà Minh Quân", Title: "Phó Chủ tịch", Organization: chairman.Organization}})
	must(t, err)
	path := fmt.Sprintf("/admin/users/%d/certificates", w.userID(demo.AgentSigner))
	admin := newBrowser(t, ts.URL)
	admin.login("quantri.huyen", demoPassword)
	_, page := admin.get(fmt.Sprintf("/admin/users/%d/signing", w.userID(demo.AgentSigner)))
	page = admin.upload(path, csrfOf(t, page), "certificate", "quan.pem", pki.CertPEM(leader.Cert))
	if !strings.Contains(page, "Chứng thư số không do tổ chức chứng thực được tin cậy cấp") {
		t.Errorf("the leaf alone: %s", page)
	}
	bundle := bytes.Join([][]byte{pki.CertPEM(leader.Cert), pki.CertPEM(sub.Cert)}, nil)
	page = admin.upload(path, csrfOf(t, page), "certificate", "quan-chain.pem", bundle)
	if !strings.Contains(page, "Đã ghi nhận chứng thư số của Hà Minh Quân") || !strings.Contains(page, "quản trị nhập") {
		t.Errorf("the PEM bundle: %s", page)
	}
}
