package remote

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"edms/internal/signing/remote/cscapi"
)

// tokenMargin renews an access token this long before the provider says it expires.
const tokenMargin = 30 * time.Second

// cscClient is a Provider speaking the CSC API v2 with OAuth2 client credentials.
// It never logs, and keeps no PIN, OTP or SAD beyond one Sign call.
type cscClient struct {
	cfg    Config
	secret string
	http   *http.Client

	mu          sync.Mutex // guards the fields below; held while fetching a token
	tokenURL    string
	token       string
	tokenExpiry time.Time
}

func newCSC(c Config) (*cscClient, error) {
	secret, err := c.clientSecret()
	if err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if c.CAFile != "" {
		roots, err := extraRoots(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("remote: provider %q: ca_file: %w", c.ID, err)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	timeout := time.Duration(c.Timeout)
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	return &cscClient{cfg: c, secret: secret, http: &http.Client{Transport: transport, Timeout: timeout}}, nil
}

// extraRoots returns the system roots plus the PEM certificates of path.
func extraRoots(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return roots, nil
}

func (p *cscClient) ID() string   { return p.cfg.ID }
func (p *cscClient) Name() string { return p.cfg.Name }

// Credentials lists the account's credentials (credentials/list with userID), with
// their certificate chain and authorization factors (credentials/info when the
// provider does not return credentialInfos).
func (p *cscClient) Credentials(ctx context.Context, account string) ([]Credential, error) {
	var list cscapi.ListResponse
	req := cscapi.ListRequest{UserID: account, CredentialInfo: true, Certificates: cscapi.CertificatesChain, CertInfo: true, AuthInfo: true}
	if err := p.call(ctx, cscapi.MethodList, req, &list); err != nil {
		return nil, err
	}
	creds := make([]Credential, 0, len(list.CredentialIDs))
	for i, id := range list.CredentialIDs {
		info, err := p.listedInfo(ctx, list, i)
		if err != nil {
			return nil, err
		}
		c, err := p.credential(id, info)
		if err != nil {
			return nil, err
		}
		creds = append(creds, c)
	}
	return creds, nil
}

// listedInfo returns the info of the i-th listed credential, asking for it when the list lacks it.
func (p *cscClient) listedInfo(ctx context.Context, list cscapi.ListResponse, i int) (cscapi.CredentialInfo, error) {
	id := list.CredentialIDs[i]
	if i < len(list.CredentialInfos) && (list.CredentialInfos[i].CredentialID == id || list.CredentialInfos[i].CredentialID == "") {
		return list.CredentialInfos[i], nil
	}
	return p.info(ctx, id)
}

func (p *cscClient) info(ctx context.Context, credentialID string) (cscapi.CredentialInfo, error) {
	var info cscapi.CredentialInfo
	req := cscapi.InfoRequest{CredentialID: credentialID, Certificates: cscapi.CertificatesChain, CertInfo: true, AuthInfo: true}
	err := p.call(ctx, cscapi.MethodCredInfo, req, &info)
	return info, err
}

// credential converts a credentials/info answer; the certificates come leaf first.
func (p *cscClient) credential(id string, info cscapi.CredentialInfo) (Credential, error) {
	if len(info.Cert.Certificates) == 0 {
		return Credential{}, fmt.Errorf("remote: provider %q: credential %q comes without its certificate", p.cfg.ID, id)
	}
	certs := make([]*x509.Certificate, len(info.Cert.Certificates))
	for i, b64 := range info.Cert.Certificates {
		der, err := base64.StdEncoding.DecodeString(b64)
		if err == nil {
			certs[i], err = x509.ParseCertificate(der)
		}
		if err != nil {
			return Credential{}, fmt.Errorf("remote: provider %q: credential %q: certificate %d: %w", p.cfg.ID, id, i+1, err)
		}
	}
	return Credential{
		ID: id, Description: info.Description,
		Certificate: certs[0], Chain: certs[1:],
		NeedsPIN: info.Needs("PIN"), NeedsOTP: info.Needs("OTP"),
		Locked: info.Key.Status == cscapi.KeyDisabled,
	}, nil
}

// Challenge sends the person an OTP (credentials/sendOTP) when the credential asks
// for an online OTP; a locked credential is ErrLocked.
func (p *cscClient) Challenge(ctx context.Context, credentialID string) error {
	info, err := p.info(ctx, credentialID)
	if err != nil {
		return err
	}
	if info.Key.Status == cscapi.KeyDisabled {
		return p.locked(credentialID)
	}
	if !info.Needs("OTP") || (info.OTP != nil && info.OTP.Type == "offline") {
		return nil
	}
	return p.call(ctx, cscapi.MethodSendOTP, cscapi.SendOTPRequest{CredentialID: credentialID}, nil)
}

// Sign authorizes one signature of r.Digest (credentials/authorize with the PIN/OTP)
// and has it made (signatures/signHash), then checks the value against the
// credential's certificate.
func (p *cscClient) Sign(ctx context.Context, r SignRequest) ([]byte, error) {
	if r.Hash != crypto.SHA256 || len(r.Digest) != sha256.Size {
		return nil, fmt.Errorf("remote: provider %q: only SHA-256 digests are signed (got %v, %d bytes)", p.cfg.ID, r.Hash, len(r.Digest))
	}
	info, err := p.info(ctx, r.CredentialID)
	if err != nil {
		return nil, err
	}
	cred, err := p.credential(r.CredentialID, info)
	if err != nil {
		return nil, err
	}
	if cred.Locked {
		return nil, p.locked(r.CredentialID)
	}
	signAlgo, err := signatureAlgorithm(cred.Certificate)
	if err != nil {
		return nil, fmt.Errorf("remote: provider %q: %w", p.cfg.ID, err)
	}
	hashes := []string{base64.StdEncoding.EncodeToString(r.Digest)}
	var auth cscapi.AuthorizeResponse
	err = p.call(ctx, cscapi.MethodAuthorize, cscapi.AuthorizeRequest{
		CredentialID: r.CredentialID, NumSignatures: 1, Hashes: hashes, HashAlgorithmOID: cscapi.OIDSHA256,
		PIN: r.PIN, OTP: r.OTP, Description: r.Description,
	}, &auth)
	if err != nil {
		return nil, err
	}
	var signed cscapi.SignHashResponse
	err = p.call(ctx, cscapi.MethodSignHash, cscapi.SignHashRequest{
		CredentialID: r.CredentialID, SAD: auth.SAD, Hashes: hashes, HashAlgorithmOID: cscapi.OIDSHA256, SignAlgo: signAlgo,
	}, &signed)
	if err != nil {
		return nil, err
	}
	if len(signed.Signatures) != 1 {
		return nil, fmt.Errorf("remote: provider %q returned %d signatures for one hash", p.cfg.ID, len(signed.Signatures))
	}
	value, err := base64.StdEncoding.DecodeString(signed.Signatures[0])
	if err != nil {
		return nil, fmt.Errorf("remote: provider %q returned a signature that is not base64: %w", p.cfg.ID, err)
	}
	value, err = signerValue(cred.Certificate, r.Digest, value)
	if err != nil {
		return nil, fmt.Errorf("remote: provider %q: %w", p.cfg.ID, err)
	}
	return value, nil
}

func (p *cscClient) locked(credentialID string) error {
	return fmt.Errorf("remote: provider %q, credential %q: %w", p.cfg.ID, credentialID, ErrLocked)
}

// call posts a JSON request to a CSC method with the access token and decodes the
// answer into out (nil: no answer expected).
func (p *cscClient) call(ctx context.Context, method string, in, out any) error {
	token, err := p.accessToken(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("remote: unable to encode %s: %w", method, err)
	}
	err = p.do(ctx, p.methodURL(method), "application/json", body, token, out)
	var refused *apiError
	if errors.As(err, &refused) {
		err = refused.mapped()
	}
	if err != nil {
		return fmt.Errorf("remote: provider %q, %s: %w", p.cfg.ID, method, err)
	}
	return nil
}

func (p *cscClient) methodURL(method string) string {
	return strings.TrimRight(p.cfg.BaseURL, "/") + "/" + method
}

// accessToken returns a valid OAuth2 access token (client credentials), fetching a
// new one when needed; "" when the provider is configured without a client.
func (p *cscClient) accessToken(ctx context.Context) (string, error) {
	if p.cfg.ClientID == "" {
		return "", nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" && time.Now().Before(p.tokenExpiry) {
		return p.token, nil
	}
	tokenURL, err := p.discoverTokenURL(ctx)
	if err != nil {
		return "", fmt.Errorf("remote: provider %q, %s: %w", p.cfg.ID, cscapi.MethodInfo, err)
	}
	form := url.Values{"grant_type": {cscapi.GrantClientCredentials}, "client_id": {p.cfg.ClientID}, "client_secret": {p.secret}}
	var tok cscapi.TokenResponse
	err = p.do(ctx, tokenURL, "application/x-www-form-urlencoded", []byte(form.Encode()), "", &tok)
	var refused *apiError
	if errors.As(err, &refused) {
		return "", fmt.Errorf("remote: provider %q refused client_id %q (check client_secret in the providers file): %w: %s", p.cfg.ID, p.cfg.ClientID, ErrClientCredentials, refused.message())
	}
	if err != nil {
		return "", fmt.Errorf("remote: provider %q, %s: %w", p.cfg.ID, cscapi.MethodToken, err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("remote: provider %q, %s: no access_token in the answer", p.cfg.ID, cscapi.MethodToken)
	}
	lifetime := time.Duration(tok.ExpiresIn) * time.Second
	if lifetime <= 2*tokenMargin {
		lifetime = 2 * tokenMargin // expires_in absent or tiny: renew soon, not at every call
	}
	p.token = tok.AccessToken
	p.tokenExpiry = time.Now().Add(lifetime - tokenMargin)
	return p.token, nil
}

// discoverTokenURL asks info for the authorization server (p.mu held); without
// one, oauth2/token is relative to the base URL.
func (p *cscClient) discoverTokenURL(ctx context.Context) (string, error) {
	if p.tokenURL != "" {
		return p.tokenURL, nil
	}
	var info cscapi.InfoResponse
	if err := p.do(ctx, p.methodURL(cscapi.MethodInfo), "application/json", []byte(`{"lang":"vi-VN"}`), "", &info); err != nil {
		return "", err
	}
	base := p.cfg.BaseURL
	if info.OAuth2 != "" {
		base = info.OAuth2
	}
	p.tokenURL = strings.TrimRight(base, "/") + "/" + cscapi.MethodToken
	return p.tokenURL, nil
}

// do sends one request. Connection errors, timeouts and 5xx are ErrUnavailable;
// other refusals are an *apiError.
func (p *cscClient) do(ctx context.Context, target, contentType string, body []byte, token string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%w: reading the answer: %w", ErrUnavailable, err)
	}
	switch {
	case resp.StatusCode >= 500:
		return fmt.Errorf("%w: HTTP %d", ErrUnavailable, resp.StatusCode)
	case resp.StatusCode >= 400:
		e := &apiError{status: resp.StatusCode}
		_ = json.Unmarshal(answer, &e.body) // a refusal without a JSON body keeps only its status
		return e
	case out == nil || len(bytes.TrimSpace(answer)) == 0 && resp.StatusCode == http.StatusNoContent:
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return fmt.Errorf("the answer is not the expected JSON: %w", err)
	}
	return nil
}

// apiError is a provider's refusal (HTTP 4xx with a CSC error body).
type apiError struct {
	status int
	body   cscapi.Error
}

func (e *apiError) Error() string { return e.message() }

func (e *apiError) message() string {
	msg := fmt.Sprintf("HTTP %d %s", e.status, e.body.Error)
	if e.body.Description != "" {
		msg += ": " + e.body.Description
	}
	return msg
}

// remaining returns the attempts left the provider reported, -1 when it did not.
func (e *apiError) remaining() int {
	if e.body.RemainingAttempts == nil {
		return -1
	}
	return *e.body.RemainingAttempts
}

// mapped turns the refusal into the package's errors: locked or disabled
// credentials, wrong PIN/OTP (invalid_pin/invalid_otp, or invalid_request naming
// the PIN/OTP), an unknown userID; anything else stays an apiError.
func (e *apiError) mapped() error {
	desc := strings.ToLower(e.body.Description)
	named := func(code, word string) bool {
		return e.body.Error == code || e.body.Error == cscapi.ErrInvalidRequest && strings.Contains(desc, word)
	}
	switch {
	case strings.Contains(desc, "locked") || strings.Contains(desc, "disabled") || strings.Contains(desc, "blocked"):
		return fmt.Errorf("%w (%s)", ErrLocked, e.message())
	case named(cscapi.ErrInvalidPIN, "pin") && e.remaining() == 0:
		return fmt.Errorf("%w (%s)", ErrLocked, e.message())
	case named(cscapi.ErrInvalidPIN, "pin"):
		return &AuthError{Err: ErrWrongPIN, Remaining: e.remaining()}
	case named(cscapi.ErrInvalidOTP, "otp"):
		return &AuthError{Err: ErrWrongOTP, Remaining: e.remaining()}
	case e.body.Error == cscapi.ErrInvalidRequest && strings.Contains(desc, "userid"):
		return fmt.Errorf("%w (%s)", ErrUnknownAccount, e.message())
	case e.body.Error == cscapi.ErrInvalidClient || e.body.Error == cscapi.ErrInvalidToken:
		return fmt.Errorf("%w (%s)", ErrClientCredentials, e.message())
	}
	return e
}
