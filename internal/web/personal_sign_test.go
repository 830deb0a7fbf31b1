package web_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/signing/remote/cscfake"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

// signingWorld is the signing demo with personal signatures: the demo's keys, the
// fake remote-signing provider holding the chairman's key (on a SoftHSM2 token when
// SoftHSM2 is installed) and his account there, and a clock tests can move forward.
// Tests using it do not run in parallel: SoftHSM2 reads its configuration (the
// folder of the world's tokens) once per process while a token is open.
type signingWorld struct {
	t        *testing.T
	dbURL    string
	pool     *pgxpool.Pool
	keys     docsign.Keyring
	ca       *pki.Authority
	trust    *signing.TrustStore
	personal *demo.PersonalSigning
	agentURL string       // where the pages find edms agent ("": the default)
	skew     atomic.Int64 // added to the services' clock, in nanoseconds
}

func newSigningWorld(t *testing.T) *signingWorld {
	t.Helper()
	ctx := context.Background()
	w := &signingWorld{t: t, dbURL: storetest.NewDatabaseURL(t)}
	w.pool = storetest.NewPool(t, w.dbURL)
	must(t, demo.Seed(ctx, w.pool, demoPassword))
	w.keys = docsign.Keyring{Dir: t.TempDir(), Password: "test-keys"}
	must(t, demo.ProvisionKeys(ctx, w.pool, w.keys))
	var err error
	w.ca, err = demo.LoadOrCreateCA(filepath.Join(w.keys.Dir, "ca", "demo-root.p12"), pki.DemoRootName, w.keys.Password)
	must(t, err)
	w.trust, err = signing.LoadTrustStore(w.keys.TrustDir())
	must(t, err)
	w.personal, err = demo.StartPersonalSigning(w.ca, t.TempDir())
	must(t, err)
	t.Cleanup(w.personal.Close)
	must(t, demo.SetSigningAccount(ctx, w.pool))
	must(t, demo.SeedDocuments(ctx, w.services(w.pool, nil)))
	return w
}

func (w *signingWorld) now() time.Time { return time.Now().Add(time.Duration(w.skew.Load())) }

// services is a documents service on pool, as a node builds it.
func (w *signingWorld) services(pool *pgxpool.Pool, enforcer *access.Enforcer) *docs.Service {
	if enforcer == nil {
		var err error
		enforcer, err = access.NewEnforcer(context.Background(), pool)
		must(w.t, err)
	}
	hook := &docsign.Hook{Keys: w.keys, Layout: docsign.FormLayout, Trust: func() *signing.TrustStore { return w.trust }}
	return &docs.Service{Pool: pool, Access: enforcer, Signing: hook, Queue: storetest.InsertOnlyQueue(w.t, pool),
		Verifier: docsign.Verifier{Trust: w.trust}, Now: w.now}
}

// server is one more web node on the world's database, with a pool of its own.
func (w *signingWorld) server() (*httptest.Server, *web.Server) {
	w.t.Helper()
	pool := storetest.NewPool(w.t, w.dbURL)
	enforcer, err := access.NewEnforcer(context.Background(), pool)
	must(w.t, err)
	srv, err := web.NewServer(web.Config{Trust: w.trust, AgencyKeys: w.keys, AgentURL: w.agentURL}, pool, enforcer, w.services(pool, enforcer))
	must(w.t, err)
	if srv.Providers, err = w.personal.Registry(); err != nil {
		w.t.Fatal(err)
	}
	return newTestServer(w.t, srv), srv
}

// waitingDocument is the seeded letter waiting for the chairman's signature.
func (w *signingWorld) waitingDocument() int64 {
	var id int64
	must(w.t, w.pool.QueryRow(context.Background(), `SELECT id FROM documents WHERE subject LIKE '%Đôn đốc thu ngân sách%'`).Scan(&id))
	return id
}

// state is the document's outgoing state and the number of versions of its main file.
func (w *signingWorld) state(id int64) string {
	files, err := docs.Files(context.Background(), w.pool, id)
	must(w.t, err)
	var state string
	must(w.t, w.pool.QueryRow(context.Background(), `SELECT outgoing_state FROM documents WHERE id = $1`, id).Scan(&state))
	return fmt.Sprintf("%s, %d files", state, len(files))
}

// personKey is a software key with a certificate of the demo root for subject.
func (w *signingWorld) personKey(subject pki.Subject, opts pki.Options) *pki.Credential {
	opts.Subject = subject
	cred, err := w.ca.IssuePerson(opts)
	must(w.t, err)
	return cred
}

// chairman is the district chairman's subject.
var chairman = pki.Subject{CommonName: "Nguyễn Văn Nghĩa", Title: "Chủ tịch", Organization: "Ủy ban nhân dân huyện Phú Lương"}

// prepare asks the node to prepare the chairman's signature for the credential's certificate.
func prepare(c *apiClient, id int64, cred *pki.Credential) (int, map[string]any) {
	body := fmt.Sprintf(`{"device":"agent","certificate":%q,"chain":[%q],"competence":"TM. ỦY BAN NHÂN DÂN"}`,
		base64.StdEncoding.EncodeToString(cred.Cert.Raw), base64.StdEncoding.EncodeToString(cred.Chain[len(cred.Chain)-1].Raw))
	return c.do("POST", fmt.Sprintf("/documents/%d/sign/prepare", id), "application/json", strings.NewReader(body))
}

// signDigest is what a device returns for the prepared digest.
func signDigest(t *testing.T, cred *pki.Credential, prepared map[string]any) string {
	digest, err := base64.StdEncoding.DecodeString(prepared["digest"].(string))
	must(t, err)
	value, err := cred.Key.Sign(rand.Reader, digest, crypto.SHA256)
	must(t, err)
	return base64.StdEncoding.EncodeToString(value)
}

// TestSignaturePreparedOnOneNodeCompletesOnAnother: two web nodes, each with its own
// services and pool on one database; the chairman's device signs the digest the first
// prepared, the second completes it, and the document is signed, valid and trusted.
func TestSignaturePreparedOnOneNodeCompletesOnAnother(t *testing.T) {
	w := newSigningWorld(t)
	tsA, srvA := w.server()
	tsB, srvB := w.server()
	a, b := newAPIClient(t, tsA, srvA, "chutich.huyen"), newAPIClient(t, tsB, srvB, "chutich.huyen")
	id := w.waitingDocument()
	cred := w.personKey(chairman, pki.Options{})

	status, prepared := prepare(a, id, cred)
	if status != http.StatusOK || prepared["hash"] != "SHA-256" || !strings.Contains(prepared["label"].(string), "Đôn đốc thu ngân sách") {
		t.Fatalf("prepare: %d %v", status, prepared)
	}
	before := w.state(id)
	if !strings.HasPrefix(before, "pending_signature") {
		t.Fatalf("prepared document is %s", before)
	}
	body := fmt.Sprintf(`{"signature":%q}`, signDigest(t, cred, prepared))
	done := b.post("/signatures/"+prepared["id"].(string)+"/complete", body, http.StatusOK)
	if done["redirect"] != fmt.Sprintf("/documents/%d", id) {
		t.Errorf("complete answered %v", done)
	}
	if after := w.state(id); !strings.HasPrefix(after, "signed") || after == before {
		t.Errorf("after completing on the other node the document is %s (was %s)", after, before)
	}
	report := verifyLatest(t, w, id)
	if len(report.Signatures) != 1 || !report.Signatures[0].Valid() || report.Signatures[0].Signer != chairman.CommonName {
		t.Errorf("edms's verifier: %+v", report.Signatures)
	}
	if device := latestMainFile(t, w.pool, id).SignatureDevice; device != docs.DeviceAgent {
		t.Errorf("the signed version's device is %q", device)
	}
	// The attempt is gone: completing it again finds nothing.
	b.post("/signatures/"+prepared["id"].(string)+"/complete", body, http.StatusNotFound)
}

// verifyLatest checks the document's newest main PDF with edms's verifier.
func verifyLatest(t *testing.T, w *signingWorld, id int64) *signing.Report {
	t.Helper()
	pdf := latestPDF(t, w.pool, id)
	report, err := signing.Verify(signing.NewDocument(bytes.NewReader(pdf), int64(len(pdf))), w.trust)
	must(t, err)
	return report
}

// latestMainFile is the document's newest main file.
func latestMainFile(t *testing.T, pool *pgxpool.Pool, id int64) docs.File {
	t.Helper()
	files, err := docs.Files(context.Background(), pool, id)
	must(t, err)
	var latest docs.File
	for _, f := range files {
		if f.Kind == docs.KindMain && f.Version >= latest.Version {
			latest = f
		}
	}
	return latest
}

// latestPDF is the content of the document's newest main file.
func latestPDF(t *testing.T, pool *pgxpool.Pool, id int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := docs.CopyBlob(context.Background(), pool, latestMainFile(t, pool, id).BlobID, &buf)
	must(t, err)
	return buf.Bytes()
}

// TestPersonalSignatureRefusals: an attempt past its ten minutes, a certificate of
// another person and a revoked certificate are each refused with the sentence the
// page shows, and the document stays as it was.
func TestPersonalSignatureRefusals(t *testing.T) {
	w := newSigningWorld(t)
	ts, srv := w.server()
	c := newAPIClient(t, ts, srv, "chutich.huyen")
	id := w.waitingDocument()
	before := w.state(id)
	refused := func(what string, status int, out map[string]any, want string) {
		t.Helper()
		e, _ := out["error"].(map[string]any)
		if status != http.StatusBadRequest || e == nil || !strings.Contains(fmt.Sprint(e["message"]), want) {
			t.Errorf("%s: %d %v, want 400 saying %q", what, status, out, want)
		}
		if after := w.state(id); after != before {
			t.Errorf("%s changed the document: %s, was %s", what, after, before)
		}
	}

	cred := w.personKey(chairman, pki.Options{})
	status, prepared := prepare(c, id, cred)
	if status != http.StatusOK {
		t.Fatalf("prepare: %d %v", status, prepared)
	}
	w.skew.Store(int64(11 * time.Minute))
	status, out := c.do("POST", "/signatures/"+prepared["id"].(string)+"/complete", "application/json",
		strings.NewReader(fmt.Sprintf(`{"signature":%q}`, signDigest(t, cred, prepared))))
	refused("expired attempt", status, out, "Phiên ký đã hết hạn")
	w.skew.Store(0)

	other := w.personKey(pki.Subject{CommonName: "Hà Minh Quân", Title: "Phó Chủ tịch", Organization: chairman.Organization}, pki.Options{})
	status, out = prepare(c, id, other)
	refused("another person's certificate", status, out, "Chứng thư số này không phải của Nguyễn Văn Nghĩa")

	revocations := w.ca.NewRevocationList()
	ocsp := httptest.NewServer(revocations.OCSPHandler())
	t.Cleanup(ocsp.Close)
	revoked := w.personKey(chairman, pki.Options{OCSPServer: []string{ocsp.URL}})
	revocations.Revoke(revoked.Cert, time.Now().Add(-time.Hour))
	w.trust.Revocation = signing.NewRevocationChecker(signing.RevocationAuto)
	status, out = prepare(c, id, revoked)
	refused("revoked certificate", status, out, "Chứng thư số đã bị thu hồi")
}

// TestSigningSettingsAndPolicy: the administrator requires personal keys, after which
// the chairman is no longer offered the server-held key and signing with it is
// refused with the policy's sentence; the administrator records a leader's
// certificate and the leader sets his own provider account.
func TestSigningSettingsAndPolicy(t *testing.T) {
	w := newSigningWorld(t)
	ts, _ := w.server()
	id := w.waitingDocument()
	before := w.state(id)
	admin := newBrowser(t, ts.URL)
	admin.login("quantri.huyen", demoPassword)
	_, page := admin.get("/admin/signing")
	if !strings.Contains(page, "Bắt buộc ký bằng khóa cá nhân") {
		t.Fatalf("the agency's signing page: %s", page)
	}
	_, page = admin.post("/admin/signing", url.Values{"csrf_token": {csrfOf(t, page)}, "require_personal_keys": {"1"}})
	if !strings.Contains(page, "Từ nay mỗi người ký bằng khóa của chính mình") || !strings.Contains(page, `value="1" checked`) {
		t.Errorf("after requiring personal keys: %s", page)
	}

	chairman := newBrowser(t, ts.URL)
	chairman.login(demo.RemoteSigner, demoPassword)
	_, page = chairman.get(fmt.Sprintf("/documents/%d", id))
	if strings.Contains(page, "Khóa do máy chủ giữ (chỉ dùng cho bản trình diễn)") || !strings.Contains(page, demo.ProviderName) {
		t.Errorf("the signing choice under the policy: %s", page)
	}
	_, page = chairman.post(fmt.Sprintf("/documents/%d/outgoing/sign", id), url.Values{"csrf_token": {csrfOf(t, page)}})
	if !strings.Contains(page, "Cơ quan yêu cầu mỗi người ký bằng khóa của chính mình") {
		t.Errorf("signing with the server's key under the policy: %s", page)
	}
	if after := w.state(id); after != before {
		t.Errorf("the refused signature changed the document: %s, was %s", after, before)
	}

	leader := w.personKey(pki.Subject{CommonName: "Hà Minh Quân", Title: "Phó Chủ tịch", Organization: "Ủy ban nhân dân huyện Phú Lương"}, pki.Options{})
	var leaderID int64
	must(t, w.pool.QueryRow(context.Background(), `SELECT id FROM users WHERE username = $1`, demo.AgentSigner).Scan(&leaderID))
	settings := fmt.Sprintf("/admin/users/%d/signing", leaderID)
	_, page = admin.get(settings)
	page = admin.upload(fmt.Sprintf("/admin/users/%d/certificates", leaderID), csrfOf(t, page), "certificate", "quan.cer", leader.Cert.Raw)
	if !strings.Contains(page, "Đã ghi nhận chứng thư số của Hà Minh Quân") || !strings.Contains(page, "quản trị nhập") {
		t.Errorf("after importing the leader's certificate: %s", page)
	}

	own := newBrowser(t, ts.URL)
	own.login(demo.AgentSigner, demoPassword)
	_, page = own.get("/account/signing")
	_, page = own.post("/account/signing", url.Values{"csrf_token": {csrfOf(t, page)}, "provider": {demo.ProviderID}, "account": {"hmquan"}})
	if !strings.Contains(page, "Đã lưu tài khoản ký số từ xa của bạn") || !strings.Contains(page, `value="hmquan"`) ||
		!strings.Contains(page, `value="`+demo.ProviderID+`" selected`) {
		t.Errorf("after setting his own account: %s", page)
	}
}

// csrfOf is the CSRF token of a page's forms.
func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page: %s", page)
	}
	return m[1]
}

// upload posts one file as multipart with the CSRF token, following redirects.
func (b *browser) upload(path, csrf, field, name string, content []byte) string {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	must(b.t, mw.WriteField("csrf_token", csrf))
	part, err := mw.CreateFormFile(field, name)
	must(b.t, err)
	_, err = part.Write(content)
	must(b.t, err)
	must(b.t, mw.Close())
	resp, err := b.client.Post(b.base+path, mw.FormDataContentType(), &buf)
	must(b.t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// startRemote starts the chairman's remote signature of the document and returns the
// confirmation page's path and content.
func startRemote(t *testing.T, chairman *browser, id int64) (string, string) {
	t.Helper()
	_, page := chairman.get(fmt.Sprintf("/documents/%d", id))
	resp, err := chairman.client.PostForm(fmt.Sprintf("%s/documents/%d/sign/remote", chairman.base, id),
		url.Values{"csrf_token": {csrfOf(t, page)}, "credential": {demo.ProviderID + ":" + cscfake.CredentialID(demo.RemoteSigner)}})
	must(t, err)
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Request.URL.Path, "/signatures/") || !strings.Contains(string(body), "Xác nhận ký số") {
		t.Fatalf("the remote signature did not open its confirmation: %s %s", resp.Request.URL, body)
	}
	return resp.Request.URL.Path, string(body)
}

// TestRemoteProviderUnavailable: when the provider stops answering between the
// confirmation and the PIN, the chairman reads why and the document is unchanged.
func TestRemoteProviderUnavailable(t *testing.T) {
	w := newSigningWorld(t)
	ts, _ := w.server()
	id := w.waitingDocument()
	before := w.state(id)
	chairman := newBrowser(t, ts.URL)
	chairman.login(demo.RemoteSigner, demoPassword)
	confirm, page := startRemote(t, chairman, id)
	w.personal.Provider.Close()
	_, page = chairman.post(confirm+"/remote", url.Values{"csrf_token": {csrfOf(t, page)}, "pin": {demo.SigningPIN}, "otp": {"123456"}})
	if !strings.Contains(page, "Nhà cung cấp dịch vụ ký số từ xa không phản hồi") || !strings.Contains(page, "văn bản không thay đổi") {
		t.Errorf("with the provider gone: %s", page)
	}
	if after := w.state(id); after != before {
		t.Errorf("the unavailable provider changed the document: %s, was %s", after, before)
	}
}

// TestRemoteSignatureCancelledAndLocked: on the confirmation page "Hủy" abandons the
// attempt; in a new attempt three wrong PINs lock the credential at the provider, and
// the chairman is sent back to the document, unchanged, with the reason.
func TestRemoteSignatureCancelledAndLocked(t *testing.T) {
	w := newSigningWorld(t)
	ts, _ := w.server()
	id := w.waitingDocument()
	before := w.state(id)
	chairman := newBrowser(t, ts.URL)
	chairman.login(demo.RemoteSigner, demoPassword)
	start := func() (string, string) { return startRemote(t, chairman, id) }

	confirm, page := start()
	_, page = chairman.post(confirm+"/abandon", url.Values{"csrf_token": {csrfOf(t, page)}})
	if !strings.Contains(page, "Đã hủy lần ký; văn bản không thay đổi.") {
		t.Errorf("after Hủy: %s", page)
	}
	if status, _ := chairman.get(confirm); status != http.StatusNotFound {
		t.Errorf("the abandoned attempt's page answers %d", status)
	}

	confirm, page = start()
	csrf := csrfOf(t, page)
	for _, want := range []string{"Mã PIN không đúng. Còn 2 lần thử.", "Mã PIN không đúng. Còn 1 lần thử.", "Chứng thư số đã bị khóa tại nhà cung cấp"} {
		otp := w.personal.Provider.LastOTP(cscfake.CredentialID(demo.RemoteSigner))
		_, page = chairman.post(confirm+"/remote", url.Values{"csrf_token": {csrf}, "pin": {"sai-PIN-9"}, "otp": {otp}})
		if !strings.Contains(page, want) {
			t.Errorf("wrong PIN: want %q in %s", want, page)
		}
		if strings.Contains(page, "sai-PIN-9") {
			t.Error("the page shows the PIN typed")
		}
	}
	if after := w.state(id); after != before {
		t.Errorf("the locked credential changed the document: %s, was %s", after, before)
	}
	if status, _ := chairman.get(confirm); status != http.StatusNotFound {
		t.Errorf("the attempt refused by the locked credential is still open: %d", status)
	}
}
