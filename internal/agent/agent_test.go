package agent

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"edms/internal/testenv"

	"github.com/miekg/pkcs11"
)

// TestUnpairedOrigin: a page of an unpaired origin (or no origin at all) gets 403 and
// no CORS header, so its script cannot even read the refusal; preflights likewise.
func TestUnpairedOrigin(t *testing.T) {
	a := startAgent(t, Token{Module: testenv.SoftHSMModule, Label: "khong-dung-den"})
	for _, origin := range []string{"https://ke-gian.example", ""} {
		for _, method := range []string{http.MethodGet, http.MethodOptions} {
			resp, body := a.do(t, method, "/v1/status", origin, "")
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("%s from %q: status %d", method, origin, resp.StatusCode)
			}
			if h := resp.Header.Get("Access-Control-Allow-Origin"); h != "" {
				t.Errorf("%s from %q: Access-Control-Allow-Origin %q", method, origin, h)
			}
			if method == http.MethodGet && !strings.Contains(body, `"origin_not_paired"`) {
				t.Errorf("body %s", body)
			}
		}
	}
}

// TestPreflight: a paired origin's preflight allows POST with JSON from a public page
// to the private network address.
func TestPreflight(t *testing.T) {
	a := startAgent(t, Token{Module: testenv.SoftHSMModule, Label: "khong-dung-den"})
	req, _ := http.NewRequest(http.MethodOptions, a.ts.URL+"/v1/sign", nil)
	req.Header.Set("Origin", edmsOrigin)
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	req.Header.Set("Access-Control-Request-Private-Network", "true")
	resp, _ := send(t, req)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d", resp.StatusCode)
	}
	want := map[string]string{
		"Access-Control-Allow-Origin":          edmsOrigin,
		"Access-Control-Allow-Private-Network": "true",
		"Access-Control-Allow-Methods":         "GET, POST",
		"Access-Control-Allow-Headers":         "Content-Type",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// TestStatusAndCertificate reads the token without a PIN: its label, the person's
// certificate (not the CA stored before it) and the chain.
func TestStatusAndCertificate(t *testing.T) {
	token, cert, root := softHSMToken(t, false)
	a := startAgent(t, token)
	var st struct {
		Version string
		Token   struct {
			Present bool
			Label   string
		}
	}
	a.getJSON(t, "/v1/status", edmsOrigin, http.StatusOK, &st)
	if st.Version != "test" || !st.Token.Present || st.Token.Label != "edms-lanh-dao" {
		t.Errorf("status %+v", st)
	}
	var c struct {
		Certificate string
		Chain       []string
		Subject     string
	}
	a.getJSON(t, "/v1/certificate", edmsOrigin, http.StatusOK, &c)
	if c.Certificate != base64.StdEncoding.EncodeToString(cert.Raw) {
		t.Errorf("certificate is not the person's")
	}
	if len(c.Chain) != 1 || c.Chain[0] != base64.StdEncoding.EncodeToString(root.Raw) {
		t.Errorf("chain: %d certificates", len(c.Chain))
	}
	if !strings.Contains(c.Subject, "CN=Phạm Thị Hương") {
		t.Errorf("subject %q", c.Subject)
	}
}

// TestTokenAbsent: no token with the label → status says absent, certificate 409.
func TestTokenAbsent(t *testing.T) {
	token, _, _ := softHSMToken(t, false)
	token.Label = "token-da-rut-ra"
	a := startAgent(t, token)
	var st struct{ Token struct{ Present bool } }
	a.getJSON(t, "/v1/status", edmsOrigin, http.StatusOK, &st)
	if st.Token.Present {
		t.Error("an absent token is present")
	}
	var e apiError
	a.getJSON(t, "/v1/certificate", edmsOrigin, http.StatusConflict, &e)
	if e.Code != "token_absent" || e.Message != "Chưa cắm USB token ký số." {
		t.Errorf("error %+v", e)
	}
	id, _ := a.createSign(t, "văn bản", "")
	_, page := a.answer(t, id, url.Values{"action": {"sign"}, "pin": {testPIN}})
	if !strings.Contains(page, "Chưa cắm USB token ký số.") {
		t.Errorf("confirm page does not say the token is absent:\n%s", page)
	}
	if st := a.state(t, id); st.State != stateWaiting || st.Error != "token_absent" {
		t.Errorf("state %+v: the person may plug the token in and try again", st)
	}
}

// TestSign: the confirm page shows who asks and what; the right PIN signs; the value
// verifies against the certificate; only the origin that asked may read it.
func TestSign(t *testing.T) {
	for _, tc := range []struct {
		name string
		ec   bool
	}{{"RSA", false}, {"ECDSA", true}} {
		t.Run(tc.name, func(t *testing.T) {
			token, cert, _ := softHSMToken(t, tc.ec)
			a := startAgent(t, token)
			id, digest := a.createSign(t, "nội dung "+tc.name, time.Now().Add(10*time.Minute).Format(time.RFC3339))

			resp, page := a.do(t, http.MethodGet, "/confirm/"+id, "", "")
			csp := resp.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP %q", csp)
			}
			for _, want := range []string{edmsOrigin, "Quyết định 01/QĐ-UBND — V/v phê duyệt kế hoạch", groupHex(digest), `name="pin"`, ">Ký<", ">Hủy<"} {
				if !strings.Contains(page, want) {
					t.Errorf("confirm page lacks %q", want)
				}
			}
			if st := a.state(t, id); st.State != stateWaiting {
				t.Errorf("before the PIN: %+v", st)
			}

			_, page = a.answer(t, id, url.Values{"action": {"sign"}, "pin": {testPIN}})
			if !strings.Contains(page, "Đã ký xong") {
				t.Errorf("after the PIN:\n%s", page)
			}
			st := a.state(t, id)
			if st.State != stateSigned {
				t.Fatalf("state %+v", st)
			}
			verifySignature(t, cert, digest, st.Signature)

			resp, _ = a.do(t, http.MethodGet, "/v1/sign/"+id, otherOrigin, "")
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("another paired origin reads the request: %d", resp.StatusCode)
			}
		})
	}
}

// TestWrongPIN: the page says the PIN is wrong and the request keeps waiting; the
// right PIN then signs.
func TestWrongPIN(t *testing.T) {
	token, cert, _ := softHSMToken(t, false)
	a := startAgent(t, token)
	id, digest := a.createSign(t, "văn bản", "")
	_, page := a.answer(t, id, url.Values{"action": {"sign"}, "pin": {"0000"}})
	if !strings.Contains(page, "Mã PIN không đúng.") || !strings.Contains(page, `name="pin"`) {
		t.Errorf("after a wrong PIN:\n%s", page)
	}
	if st := a.state(t, id); st.State != stateWaiting || st.Error != "wrong_pin" || !strings.HasPrefix(st.Message, "Mã PIN không đúng.") {
		t.Errorf("state %+v", st)
	}
	a.answer(t, id, url.Values{"action": {"sign"}, "pin": {testPIN}})
	st := a.state(t, id)
	if st.State != stateSigned || st.Error != "" {
		t.Fatalf("state %+v", st)
	}
	verifySignature(t, cert, digest, st.Signature)
}

// TestCancelled: "Hủy" ends the request; a later PIN signs nothing.
func TestCancelled(t *testing.T) {
	token, _, _ := softHSMToken(t, false)
	a := startAgent(t, token)
	id, _ := a.createSign(t, "văn bản", "")
	a.answer(t, id, url.Values{"action": {"cancel"}})
	a.answer(t, id, url.Values{"action": {"sign"}, "pin": {testPIN}})
	if st := a.state(t, id); st.State != stateCancelled || st.Error != "cancelled" || st.Signature != "" {
		t.Errorf("state %+v", st)
	}
}

// TestExpired: a request past its "expires" fails as expired and can no longer be signed;
// a past or unreadable "expires" is refused.
func TestExpired(t *testing.T) {
	token, _, _ := softHSMToken(t, false)
	var clock atomic.Int64
	now := time.Now()
	clock.Store(now.UnixNano())
	a := startAgent(t, token, &clock)
	id, _ := a.createSign(t, "văn bản", now.Add(time.Minute).Format(time.RFC3339))
	now = now.Add(2 * time.Minute)
	clock.Store(now.UnixNano())
	_, page := a.answer(t, id, url.Values{"action": {"sign"}, "pin": {testPIN}})
	if strings.Contains(page, `name="pin"`) || !strings.Contains(page, "Yêu cầu ký đã hết hạn") {
		t.Errorf("confirm page after expiry:\n%s", page)
	}
	if st := a.state(t, id); st.State != stateFailed || st.Error != "expired" || st.Signature != "" {
		t.Errorf("state %+v", st)
	}

	id, _ = a.createSign(t, "văn bản", now.Add(time.Hour).Format(time.RFC3339))
	now = now.Add(MaxRequestAge)
	clock.Store(now.UnixNano())
	if st := a.state(t, id); st.Error != "expired" {
		t.Errorf("a request lives longer than %v: %+v", MaxRequestAge, st)
	}
	for _, expires := range []string{now.Add(-time.Second).Format(time.RFC3339), "ngày mai"} {
		resp, body := a.do(t, http.MethodPost, "/v1/sign", edmsOrigin, `{"digest":"`+base64.StdEncoding.EncodeToString(make([]byte, 32))+`","hash":"SHA-256","document":"x","expires":"`+expires+`"}`)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "bad_request") {
			t.Errorf("expires %q: %d %s", expires, resp.StatusCode, body)
		}
	}
}

// TestConfirmOnlyFromAgentPage: the edms page (or any other) cannot post a PIN to the
// confirm page, nor reach the agent under a non-loopback host name.
func TestConfirmOnlyFromAgentPage(t *testing.T) {
	token, _, _ := softHSMToken(t, false)
	a := startAgent(t, token)
	id, _ := a.createSign(t, "văn bản", "")
	resp, _ := a.do(t, http.MethodPost, "/confirm/"+id, edmsOrigin, "")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a PIN posted by the edms page: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, a.ts.URL+"/v1/status", nil)
	req.Host = "rebind.example:8917"
	req.Header.Set("Origin", edmsOrigin)
	if resp, _ := send(t, req); resp.StatusCode != http.StatusForbidden {
		t.Errorf("host %s: %d", req.Host, resp.StatusCode)
	}
}

// TestListenLoopbackOnly: the agent refuses any address another machine could reach.
func TestListenLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:8917", ":8917", "192.168.1.10:8917", "[::]:8917", "edms.example:8917"} {
		if err := CheckLoopback(addr); err == nil {
			t.Errorf("%s accepted", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:8917", "localhost:8917", "[::1]:8917"} {
		if err := CheckLoopback(addr); err != nil {
			t.Errorf("%s: %v", addr, err)
		}
	}
	srv := New(Token{}, Pairings{}, "test")
	if err := srv.ListenAndServe(t.Context(), "0.0.0.0:0"); err == nil {
		t.Error("ListenAndServe on 0.0.0.0")
	}
}

// TestPairing: `edms agent pair` stores a normalised origin once; the running agent
// sees it at the next request.
func TestPairing(t *testing.T) {
	a := startAgent(t, Token{Module: testenv.SoftHSMModule, Label: "khong-dung-den"})
	if resp, _ := a.do(t, http.MethodOptions, "/v1/status", "https://edms.tinh.gov.vn", ""); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("before pairing: %d", resp.StatusCode)
	}
	p := a.pairings
	for range 2 {
		if o, err := p.Pair("HTTPS://edms.tinh.gov.vn/van-ban/1"); err != nil || o != "https://edms.tinh.gov.vn" {
			t.Fatalf("pair: %q %v", o, err)
		}
	}
	if b, _ := os.ReadFile(p.File); string(b) != "https://edms.tinh.gov.vn\n" {
		t.Errorf("file %q", b)
	}
	if resp, _ := a.do(t, http.MethodOptions, "/v1/status", "https://edms.tinh.gov.vn", ""); resp.StatusCode != http.StatusNoContent {
		t.Errorf("after pairing: %d", resp.StatusCode)
	}
	for _, bad := range []string{"edms.tinh.gov.vn", "ftp://edms.tinh.gov.vn", "https://"} {
		if _, err := p.Pair(bad); err == nil {
			t.Errorf("%q paired", bad)
		}
	}
}

// TestTokenErrors: what the token's PKCS#11 errors become for the person.
func TestTokenErrors(t *testing.T) {
	token := Token{Module: testenv.SoftHSMModule, Label: "khong-dung-den"}
	for _, tc := range []struct {
		err           error
		code, message string
	}{
		{token.loginError(pkcs11.Error(pkcs11.CKR_PIN_LOCKED)), "pin_locked", errPINLocked.Message},
		{token.loginError(pkcs11.Error(pkcs11.CKR_TOKEN_NOT_PRESENT)), "token_absent", "Chưa cắm USB token ký số."},
		{token.loginError(pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)), "wrong_pin", "Mã PIN không đúng."},
		{&PINError{FinalTry: true}, "wrong_pin", "Mã PIN không đúng. Còn 1 lần thử: nhập sai lần nữa USB token sẽ bị khóa."},
		{token.loginError(pkcs11.Error(pkcs11.CKR_DEVICE_ERROR)), "token_error", errTokenFailed.Message},
	} {
		if got := tokenProblem(tc.err); got.Code != tc.code || got.Message != tc.message {
			t.Errorf("%v: got %+v, want %s %q", tc.err, got, tc.code, tc.message)
		}
	}
}
