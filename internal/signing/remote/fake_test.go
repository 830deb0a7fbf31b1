package remote_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"edms/internal/signing/remote/cscapi"
	"edms/internal/signing/remote/cscfake"
)

// rawClient speaks to the fake without package remote, to reach what the client
// never does (reusing a SAD, signing another hash).
type rawClient struct {
	t     *testing.T
	base  string
	token string
}

func newRawClient(t *testing.T, fake *cscfake.Server) *rawClient {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {cscfake.ClientID}, "client_secret": {cscfake.ClientSecret}}
	resp, err := http.PostForm(fake.URL+"/oauth2/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok cscapi.TokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: HTTP %d, %v", resp.StatusCode, err)
	}
	return &rawClient{t: t, base: fake.URL, token: tok.AccessToken}
}

// post sends a method and decodes a 200 answer into out; it returns the status
// and the error code of a refusal.
func (c *rawClient) post(method string, in, out any) (int, string) {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, c.base+"/"+method, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e cscapi.Error
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error + ": " + e.Description
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, ""
}

func (c *rawClient) authorize(credentialID, pin string, hash []byte) string {
	var a cscapi.AuthorizeResponse
	status, refusal := c.post(cscapi.MethodAuthorize, cscapi.AuthorizeRequest{CredentialID: credentialID, NumSignatures: 1,
		Hashes: []string{base64.StdEncoding.EncodeToString(hash)}, HashAlgorithmOID: cscapi.OIDSHA256, PIN: pin}, &a)
	if status != http.StatusOK || a.SAD == "" {
		c.t.Fatalf("authorize: HTTP %d %s", status, refusal)
	}
	return a.SAD
}

func (c *rawClient) signHash(credentialID, sad string, hash []byte) (int, string) {
	var out cscapi.SignHashResponse
	return c.post(cscapi.MethodSignHash, cscapi.SignHashRequest{CredentialID: credentialID, SAD: sad,
		Hashes: []string{base64.StdEncoding.EncodeToString(hash)}, HashAlgorithmOID: cscapi.OIDSHA256, SignAlgo: cscapi.OIDECDSAWithSHA256}, &out)
}

func TestFakeSADIsSingleUseAndBoundToTheHash(t *testing.T) {
	ppl := newPeople(t)
	fake, _ := startFake(t, ppl.deputy)
	c := newRawClient(t, fake)
	id := cscfake.CredentialID(deputy)
	authorized := sha256.Sum256([]byte("văn bản được phép ký"))
	other := sha256.Sum256([]byte("văn bản khác"))

	sad := c.authorize(id, deputyPIN, authorized[:])
	if status, _ := c.signHash(id, sad, authorized[:]); status != http.StatusOK {
		t.Fatalf("first use of the SAD: HTTP %d", status)
	}
	if status, refusal := c.signHash(id, sad, authorized[:]); status != http.StatusBadRequest || !strings.Contains(refusal, "SAD") {
		t.Errorf("reused SAD: HTTP %d %s, want 400 naming the SAD", status, refusal)
	}
	sad = c.authorize(id, deputyPIN, authorized[:])
	if status, refusal := c.signHash(id, sad, other[:]); status != http.StatusBadRequest || !strings.Contains(refusal, "hash") {
		t.Errorf("another hash: HTTP %d %s, want 400 naming the hash", status, refusal)
	}
	if status, _ := c.signHash(id, sad, authorized[:]); status != http.StatusBadRequest {
		t.Errorf("a SAD spent on a refused hash was accepted again: HTTP %d", status)
	}
}

func TestFakeOTPMailboxPage(t *testing.T) {
	ppl := newPeople(t)
	fake, p := startFake(t, ppl.chairman, ppl.deputy)
	id := cscfake.CredentialID(chairman)
	if err := p.Challenge(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(strings.TrimSuffix(fake.URL, "/csc/v2") + "/otp")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"Hộp thư OTP giả lập", "Nguyễn Văn An", fake.LastOTP(id), "Còn hiệu lực đến"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the OTP page lacks %q", want)
		}
	}
	if strings.Contains(string(page), "Phạm Thị Hương") {
		t.Error("the OTP page lists a PIN-only account")
	}
}

func TestFakeRefusesACertificateOfAnotherKey(t *testing.T) {
	ppl := newPeople(t)
	mixed := ppl.deputy
	mixed.Certificate = ppl.chairman.Certificate
	if _, err := cscfake.Start([]cscfake.Account{mixed}); err == nil {
		t.Error("an account whose certificate is not for its key was accepted")
	}
}
