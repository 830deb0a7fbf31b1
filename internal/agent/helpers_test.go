package agent

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"edms/internal/signing/pki"
	"edms/internal/testenv"

	"github.com/ThalesGroup/crypto11"
)

const (
	testPIN     = "1234"
	edmsOrigin  = "https://edms.ubnd-yenninh.gov.vn"
	otherOrigin = "https://edms.ubnd-khac.gov.vn"
)

// softHSMToken creates a SoftHSM2 token "edms-lanh-dao" in a temporary folder with a key
// generated on the token (RSA, or ECDSA P-256 when ec), its certificate issued by a test
// root, and the root itself, and returns how the agent finds it with the root.
func softHSMToken(t *testing.T, ec bool) (Token, *x509.Certificate, *x509.Certificate) {
	t.Helper()
	module := testenv.SoftHSMToken(t, "edms-lanh-dao", testPIN)
	root, err := pki.NewRootCA("CA thử nghiệm edms")
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: "edms-lanh-dao", Pin: testPIN})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	var key crypto11.Signer
	if ec {
		key, err = ctx.GenerateECDSAKeyPairWithLabel([]byte{1}, []byte("ca-nhan"), elliptic.P256())
	} else {
		key, err = ctx.GenerateRSAKeyPairWithLabel([]byte{1}, []byte("ca-nhan"), 2048)
	}
	if err != nil {
		t.Fatal(err)
	}
	cert, err := root.IssueForKey(key.Public(), pki.Options{Subject: pki.Subject{CommonName: "Phạm Thị Hương", Title: "Phó Chủ tịch", Organization: "UBND xã Yên Ninh"}})
	if err != nil {
		t.Fatal(err)
	}
	// The CA first, so that the agent must pass over it to find the person's certificate.
	if err := ctx.ImportCertificateWithLabel([]byte{9}, []byte("ca"), root.Cert); err != nil {
		t.Fatal(err)
	}
	if err := ctx.ImportCertificateWithLabel([]byte{1}, []byte("ca-nhan"), cert); err != nil {
		t.Fatal(err)
	}
	return Token{Module: module, Label: "edms-lanh-dao"}, cert, root.Cert
}

// testAgent is an agent on httptest paired with edmsOrigin and otherOrigin, and with
// the origins stored in its pairings file (pair adds one while it runs).
type testAgent struct {
	*Server
	ts *httptest.Server
}

// startAgent starts the agent; a clock, when given, replaces time.Now (Unix nanoseconds,
// changed by the test while the agent runs).
func startAgent(t *testing.T, token Token, clock ...*atomic.Int64) *testAgent {
	t.Helper()
	srv := New(token, Pairings{Fixed: []string{edmsOrigin, otherOrigin}, File: filepath.Join(t.TempDir(), "edms-agent", "origins")}, "test")
	if len(clock) > 0 {
		srv.now = func() time.Time { return time.Unix(0, clock[0].Load()) }
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &testAgent{Server: srv, ts: ts}
}

// pair pairs origin as `edms agent pair` does.
func (a *testAgent) pair(t *testing.T, origin string) {
	t.Helper()
	if _, err := a.pairings.Pair(origin); err != nil {
		t.Fatal(err)
	}
}

// do sends a request from origin ("" for none) and returns the response with its body read.
func (a *testAgent) do(t *testing.T, method, path, origin, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, a.ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// getJSON GETs path from origin, checks the status and decodes the answer.
func (a *testAgent) getJSON(t *testing.T, path, origin string, status int, v any) {
	t.Helper()
	resp, body := a.do(t, http.MethodGet, path, origin, "")
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d: %s", path, resp.StatusCode, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// createSign asks the agent to sign the SHA-256 of content and returns the request id and digest.
func (a *testAgent) createSign(t *testing.T, content, expires string) (string, []byte) {
	t.Helper()
	digest := sha256.Sum256([]byte(content))
	in, _ := json.Marshal(map[string]string{
		"digest": base64.StdEncoding.EncodeToString(digest[:]), "hash": "SHA-256",
		"document": "Quyết định 01/QĐ-UBND — V/v phê duyệt kế hoạch", "expires": expires,
	})
	resp, body := a.do(t, http.MethodPost, "/v1/sign", edmsOrigin, string(in))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/sign: %d %s", resp.StatusCode, body)
	}
	var out struct {
		ID         string
		ConfirmURL string `json:"confirm_url"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	if out.ConfirmURL != a.ts.URL+"/confirm/"+out.ID {
		t.Fatalf("confirm_url %q for id %q", out.ConfirmURL, out.ID)
	}
	return out.ID, digest[:]
}

// answer posts the confirm page's form as the agent's own page does.
func (a *testAgent) answer(t *testing.T, id string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.ts.URL+"/confirm/"+id, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", a.ts.URL)
	return send(t, req)
}

type stateAnswer struct {
	State, Signature, Error, Message string
}

func (a *testAgent) state(t *testing.T, id string) stateAnswer {
	t.Helper()
	var st stateAnswer
	a.getJSON(t, "/v1/sign/"+id, edmsOrigin, http.StatusOK, &st)
	return st
}

// verifySignature checks a base64 signature value of digest against cert's key.
func verifySignature(t *testing.T, cert *x509.Certificate, digest []byte, value string) {
	t.Helper()
	sig, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatal(err)
	}
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			err = errBadSignature
		}
	default:
		t.Fatalf("key %T", pub)
	}
	if err != nil {
		t.Fatalf("the signature does not verify: %v", err)
	}
}

var errBadSignature = errors.New("the ECDSA signature does not verify")
