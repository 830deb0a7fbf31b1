package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/signing/pki"
	"edms/internal/signing/remote"
	"edms/internal/signing/remote/cscfake"
	"edms/internal/web"
)

// chairmanProvider starts a fake provider under id holding a new key of the
// chairman (answering after delay), and makes it his provider on srv.
func (w *signingWorld) chairmanProvider(srv *web.Server, id string, delay time.Duration) *cscfake.Server {
	w.t.Helper()
	cred := w.personKey(chairman, pki.Options{})
	provider, err := cscfake.Start([]cscfake.Account{{User: demo.RemoteSigner, PIN: demo.SigningPIN, Key: cred.Key,
		Certificate: cred.Cert, Chain: cred.Chain, OTP: true, Delay: delay}})
	must(w.t, err)
	w.t.Cleanup(provider.Close)
	config := provider.Config()
	config.ID = id
	srv.Providers, err = remote.NewRegistry([]remote.Config{config})
	must(w.t, err)
	_, err = w.pool.Exec(context.Background(), `UPDATE users SET signing_provider = $1 WHERE username = $2`, id, demo.RemoteSigner)
	must(w.t, err)
	return provider
}

// prepareRemote asks the node to prepare the chairman's remote signature of the document.
func prepareRemote(c *apiClient, id int64, provider string) (int, map[string]any) {
	body := fmt.Sprintf(`{"device":"remote","provider":%q,"credential_id":%q,"competence":"TM. ỦY BAN NHÂN DÂN","note":"Đồng ý"}`,
		provider, cscfake.CredentialID(demo.RemoteSigner))
	return c.do("POST", fmt.Sprintf("/documents/%d/sign/prepare", id), "application/json", strings.NewReader(body))
}

// signRemotely sends the PIN and OTP of a prepared remote signature.
func signRemotely(c *apiClient, pid, pin, otp string) (int, map[string]any) {
	body := fmt.Sprintf(`{"pin":%q,"otp":%q}`, pin, otp)
	return c.do("POST", "/signatures/"+pid+"/remote", "application/json", strings.NewReader(body))
}

// wantRefusal checks a 422 answer's code and sentence.
func wantRefusal(t *testing.T, what string, status int, out map[string]any, code, message string) {
	t.Helper()
	e, _ := out["error"].(map[string]any)
	if status != http.StatusUnprocessableEntity || e == nil || e["code"] != code || !strings.Contains(fmt.Sprint(e["message"]), message) {
		t.Errorf("%s: %d %v, want 422 %s saying %q", what, status, out, code, message)
	}
}

// TestRemoteSignatureThroughAPI: an API client prepares the chairman's remote
// signature (the provider sends the OTP), is refused past the ten minutes and for a
// wrong PIN with the page's sentences, then signs with the PIN and the OTP; the
// document is signed, valid, and records the remote device.
func TestRemoteSignatureThroughAPI(t *testing.T) {
	w := newSigningWorld(t)
	ts, srv := w.server()
	c := newAPIClient(t, ts, srv, demo.RemoteSigner)
	id := w.waitingDocument()
	before := w.state(id)
	otp := func() string { return w.personal.Provider.LastOTP(cscfake.CredentialID(demo.RemoteSigner)) }

	status, expired := prepareRemote(c, id, demo.ProviderID)
	if status != http.StatusOK || expired["needs_pin"] != true || expired["needs_otp"] != true ||
		!strings.Contains(fmt.Sprint(expired["label"]), "Đôn đốc thu ngân sách") || otp() == "" {
		t.Fatalf("prepare: %d %v (OTP %q)", status, expired, otp())
	}
	w.skew.Store(int64(11 * time.Minute))
	status, out := signRemotely(c, expired["id"].(string), demo.SigningPIN, otp())
	wantRefusal(t, "an expired attempt", status, out, "signature_refused", "Phiên ký đã hết hạn")
	w.skew.Store(0)

	_, prepared := prepareRemote(c, id, demo.ProviderID)
	pid := prepared["id"].(string)
	status, out = signRemotely(c, pid, "sai-PIN-9", otp())
	wantRefusal(t, "a wrong PIN", status, out, "wrong_pin", "Mã PIN không đúng. Còn 2 lần thử.")
	if after := w.state(id); after != before {
		t.Fatalf("the refusals changed the document: %s, was %s", after, before)
	}
	status, out = signRemotely(c, pid, demo.SigningPIN, otp())
	if status != http.StatusOK || out["document"] != float64(id) {
		t.Fatalf("signing with the PIN and OTP: %d %v", status, out)
	}
	if after := w.state(id); !strings.HasPrefix(after, "signed") {
		t.Errorf("after the remote signature the document is %s", after)
	}
	if report := verifyLatest(t, w, id); len(report.Signatures) != 1 || !report.Signatures[0].Valid() {
		t.Errorf("edms's verifier: %+v", report.Signatures)
	}
	if device := latestMainFile(t, w.pool, id).SignatureDevice; device != docs.DeviceRemote {
		t.Errorf("the signed version's device is %q", device)
	}
}

// TestRemoteSignatureThroughAPIRefused: the provider stops answering between the
// preparation and the PIN (the attempt stays open); at another provider three wrong
// PINs lock the credential, which ends the attempt and refuses the next one; the
// document is unchanged throughout.
func TestRemoteSignatureThroughAPIRefused(t *testing.T) {
	w := newSigningWorld(t)
	ts, srv := w.server()
	c := newAPIClient(t, ts, srv, demo.RemoteSigner)
	id := w.waitingDocument()
	before := w.state(id)

	_, prepared := prepareRemote(c, id, demo.ProviderID)
	w.personal.Provider.Close()
	status, out := signRemotely(c, prepared["id"].(string), demo.SigningPIN, "123456")
	wantRefusal(t, "the provider gone", status, out, "provider_unavailable", "Nhà cung cấp dịch vụ ký số từ xa không phản hồi")
	c.post("/signatures/"+prepared["id"].(string)+"/abandon", `{}`, http.StatusOK) // still open

	provider := w.chairmanProvider(srv, "smartca-2", 0)
	_, prepared = prepareRemote(c, id, "smartca-2")
	pid := prepared["id"].(string)
	for _, want := range []struct{ code, message string }{
		{"wrong_pin", "Còn 2 lần thử."}, {"wrong_pin", "Còn 1 lần thử."}, {"credential_locked", "Chứng thư số đã bị khóa tại nhà cung cấp"},
	} {
		status, out := signRemotely(c, pid, "sai-PIN-9", provider.LastOTP(cscfake.CredentialID(demo.RemoteSigner)))
		wantRefusal(t, "a wrong PIN", status, out, want.code, want.message)
	}
	if status, out := signRemotely(c, pid, demo.SigningPIN, "123456"); status != http.StatusNotFound {
		t.Errorf("the attempt ended by the lock: %d %v", status, out)
	}
	status, out = prepareRemote(c, id, "smartca-2")
	wantRefusal(t, "preparing with the locked credential", status, out, "credential_locked", "Chứng thư số đã bị khóa")
	if after := w.state(id); after != before {
		t.Errorf("the refusals changed the document: %s, was %s", after, before)
	}
}

// TestSigningChoiceCachedAndSlowProvider: the document page keeps the chairman's
// credential list for a while (it is still offered once the provider is gone), and
// a provider slower than the page waits is named instead of blocking the page.
func TestSigningChoiceCachedAndSlowProvider(t *testing.T) {
	w := newSigningWorld(t)
	ts, srv := w.server()
	id := w.waitingDocument()
	chairmanBrowser := newBrowser(t, ts.URL)
	chairmanBrowser.login(demo.RemoteSigner, demoPassword)
	offered := `value="` + demo.ProviderID + ":" + cscfake.CredentialID(demo.RemoteSigner) + `"`
	document := fmt.Sprintf("/documents/%d", id)
	if _, page := chairmanBrowser.get(document); !strings.Contains(page, offered) {
		t.Fatalf("the chairman's credential is not offered: %s", page)
	}
	w.personal.Provider.Close()
	if _, page := chairmanBrowser.get(document); !strings.Contains(page, offered) {
		t.Errorf("the credential list was not kept: %s", page)
	}

	w.chairmanProvider(srv, "smartca-slow", 3*time.Second)
	_, page := chairmanBrowser.get(document)
	if !strings.Contains(page, "Nhà cung cấp ký số từ xa không phản hồi") || strings.Contains(page, `value="smartca-slow:`) {
		t.Errorf("with a slow provider: %s", page)
	}
}
