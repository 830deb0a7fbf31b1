package cscfake

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"edms/internal/signing/remote/cscapi"
)

const basePath = "/csc/v2"

// refusal is an error answer of the API.
type refusal struct {
	status int
	body   cscapi.Error
}

func (r *refusal) Error() string { return r.body.Error + ": " + r.body.Description }

func badRequest(description string) *refusal {
	return &refusal{http.StatusBadRequest, cscapi.Error{Error: cscapi.ErrInvalidRequest, Description: description}}
}

func (s *Server) routes() {
	s.mux.HandleFunc("POST "+basePath+"/"+cscapi.MethodInfo, s.serveInfo)
	s.mux.HandleFunc("POST "+basePath+"/"+cscapi.MethodToken, s.issueToken)
	handle(s, cscapi.MethodList, s.list)
	handle(s, cscapi.MethodCredInfo, s.credentialInfo)
	handle(s, cscapi.MethodSendOTP, s.sendOTP)
	handle(s, cscapi.MethodAuthorize, s.authorize)
	handle(s, cscapi.MethodSignHash, s.signHash)
	s.mux.HandleFunc("GET /otp", s.otpPage)
}

// handle serves one authenticated JSON method: a valid access token, a JSON
// request of type Req, a JSON answer (none when h returns nil).
func handle[Req any](s *Server, method string, h func(context.Context, Req) (any, error)) {
	s.mux.HandleFunc("POST "+basePath+"/"+method, func(w http.ResponseWriter, r *http.Request) {
		if !s.validToken(r) {
			writeJSON(w, http.StatusUnauthorized, cscapi.Error{Error: cscapi.ErrInvalidToken, Description: "The access token is missing, invalid or expired"})
			return
		}
		var req Req
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeError(w, badRequest("The request body is not valid JSON"))
			return
		}
		out, err := h(r.Context(), req)
		switch {
		case err != nil:
			writeError(w, err)
		case out == nil:
			w.WriteHeader(http.StatusNoContent)
		default:
			writeJSON(w, http.StatusOK, out)
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the client may have gone
}

func writeError(w http.ResponseWriter, err error) {
	var r *refusal
	if errors.As(err, &r) {
		writeJSON(w, r.status, r.body)
		return
	}
	writeJSON(w, http.StatusInternalServerError, cscapi.Error{Error: "server_error", Description: err.Error()})
}

func (s *Server) serveInfo(w http.ResponseWriter, r *http.Request) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	writeJSON(w, http.StatusOK, cscapi.InfoResponse{
		Specs: "2.0.0.2", Name: "edms CSC giả lập", Region: "VN", Lang: "vi-VN",
		Description: "Nhà cung cấp ký số từ xa giả lập cho kiểm thử và trình diễn",
		AuthType:    []string{"oauth2client"}, OAuth2: scheme + "://" + r.Host + basePath,
		Methods: []string{cscapi.MethodToken, cscapi.MethodList, cscapi.MethodCredInfo, cscapi.MethodSendOTP,
			cscapi.MethodAuthorize, cscapi.MethodSignHash},
	})
}

// issueToken grants an access token to the fake's client (RFC 6749 client
// credentials, in the form or by HTTP Basic).
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != cscapi.GrantClientCredentials {
		writeJSON(w, http.StatusBadRequest, cscapi.Error{Error: "unsupported_grant_type", Description: "Only client_credentials is supported"})
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, cscapi.Error{Error: cscapi.ErrInvalidClient, Description: "Client authentication failed"})
		return
	}
	token := randomToken()
	s.mu.Lock()
	s.tokens[token] = s.now().Add(tokenLifetime)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, cscapi.TokenResponse{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(tokenLifetime.Seconds())})
}

func (s *Server) validToken(r *http.Request) bool {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	expiry, ok := s.tokens[token]
	return ok && s.now().Before(expiry)
}

func (s *Server) list(ctx context.Context, req cscapi.ListRequest) (any, error) {
	c := s.find(CredentialID(req.UserID))
	if c == nil {
		return nil, badRequest("Invalid parameter userID")
	}
	if err := wait(ctx, c.account.Delay); err != nil {
		return nil, err
	}
	out := cscapi.ListResponse{CredentialIDs: []string{c.id}}
	if req.CredentialInfo {
		info := s.info(c, req.Certificates)
		info.CredentialID = c.id
		out.CredentialInfos = []cscapi.CredentialInfo{info}
	}
	return out, nil
}

func (s *Server) credentialInfo(ctx context.Context, req cscapi.InfoRequest) (any, error) {
	c, err := s.lookup(ctx, req.CredentialID)
	if err != nil {
		return nil, err
	}
	return s.info(c, req.Certificates), nil
}

// info describes a credential with both the v2.0 auth objects and the v1.0.4
// authMode/PIN/OTP fields.
func (s *Server) info(c *credential, certificates string) cscapi.CredentialInfo {
	a := c.account
	s.mu.Lock()
	status := cscapi.KeyEnabled
	if c.locked {
		status = cscapi.KeyDisabled
	}
	s.mu.Unlock()
	info := cscapi.CredentialInfo{
		Description: "Chứng thư số của " + a.Certificate.Subject.CommonName,
		Key:         cscapi.Key{Status: status, Algo: []string{keyOID(a.Key.Public()), signAlgo(a.Key.Public())}, Len: keyBits(a.Key.Public())},
		Cert: cscapi.Cert{
			Status: "valid", Certificates: certificateList(a, certificates),
			IssuerDN: a.Certificate.Issuer.String(), SerialNumber: a.Certificate.SerialNumber.Text(16), SubjectDN: a.Certificate.Subject.String(),
			ValidFrom: a.Certificate.NotBefore.UTC().Format("20060102150405Z"), ValidTo: a.Certificate.NotAfter.UTC().Format("20060102150405Z"),
		},
		AuthMode: cscapi.AuthModeExplicit, Auth: &cscapi.Auth{Mode: cscapi.AuthModeExplicit},
		Multisign: 1, Lang: "vi-VN",
	}
	var factors []string
	if a.PIN != "" {
		info.PIN = &cscapi.Presence{Presence: "true", Format: "N", Label: "Mã PIN"}
		info.Auth.Objects = append(info.Auth.Objects, cscapi.AuthObject{Type: "Password", ID: "PIN", Format: "N", Label: "Mã PIN"})
		factors = append(factors, "PIN")
	}
	if a.OTP {
		info.OTP = &cscapi.Presence{Presence: "true", Type: "online", Format: "N", Label: "Mã OTP gửi qua SMS"}
		info.Auth.Objects = append(info.Auth.Objects, cscapi.AuthObject{Type: "Password", ID: "OTP", Format: "N", Label: "Mã OTP gửi qua SMS"})
		factors = append(factors, "OTP")
	}
	info.Auth.Expression = strings.Join(factors, " AND ")
	return info
}

// certificateList answers the "certificates" parameter: none, single (default) or chain.
func certificateList(a Account, which string) []string {
	var certs []string
	switch which {
	case "none":
		return nil
	case cscapi.CertificatesChain:
		certs = append(certs, base64.StdEncoding.EncodeToString(a.Certificate.Raw))
		for _, c := range a.Chain {
			certs = append(certs, base64.StdEncoding.EncodeToString(c.Raw))
		}
		return certs
	}
	return []string{base64.StdEncoding.EncodeToString(a.Certificate.Raw)}
}

// sendOTP "sends by SMS" a new OTP, readable by LastOTP and on /otp.
func (s *Server) sendOTP(ctx context.Context, req cscapi.SendOTPRequest) (any, error) {
	c, err := s.lookup(ctx, req.CredentialID)
	if err != nil {
		return nil, err
	}
	if !c.account.OTP {
		return nil, badRequest("The credential does not use an OTP")
	}
	s.mu.Lock()
	c.otp = otpCode{code: randomOTP(), expires: s.now().Add(otpLifetime)}
	s.mu.Unlock()
	return nil, nil
}

// authorize checks the PIN and OTP and grants a SAD for exactly one hash.
func (s *Server) authorize(ctx context.Context, req cscapi.AuthorizeRequest) (any, error) {
	c, err := s.lookup(ctx, req.CredentialID)
	if err != nil {
		return nil, err
	}
	if req.NumSignatures != 1 || len(req.Hashes) != 1 {
		return nil, badRequest("Invalid parameter numSignatures: one hash is signed per authorization")
	}
	if req.HashAlgorithmOID != cscapi.OIDSHA256 {
		return nil, badRequest("Invalid parameter hashAlgorithmOID")
	}
	hash, err := base64.StdEncoding.DecodeString(req.Hashes[0])
	if err != nil || len(hash) != crypto.SHA256.Size() {
		return nil, badRequest("Invalid parameter hashes")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := c.checkPIN(req.PIN); err != nil {
		return nil, err
	}
	if err := c.checkOTP(req.OTP, s.now()); err != nil {
		return nil, err
	}
	sad := randomToken()
	s.grants[sad] = grant{credentialID: c.id, hash: hash, expires: s.now().Add(sadLifetime)}
	return cscapi.AuthorizeResponse{SAD: sad, ExpiresIn: int(sadLifetime.Seconds())}, nil
}

// checkPIN counts wrong PINs and locks the credential at the third (s.mu held).
func (c *credential) checkPIN(pin string) error {
	if c.locked {
		return badRequest("The credential is locked")
	}
	if c.account.PIN == "" {
		return nil
	}
	if pin == "" {
		return badRequest("Missing parameter PIN")
	}
	if subtle.ConstantTimeCompare([]byte(pin), []byte(c.account.PIN)) == 1 {
		c.pinFailures = 0
		return nil
	}
	c.pinFailures++
	if c.pinFailures >= maxPINFailures {
		c.locked = true
		return badRequest("The PIN is invalid; the credential is now locked")
	}
	remaining := maxPINFailures - c.pinFailures
	return &refusal{http.StatusBadRequest, cscapi.Error{Error: cscapi.ErrInvalidPIN, Description: "The PIN is invalid", RemainingAttempts: &remaining}}
}

// checkOTP accepts the last OTP sent, once, within its lifetime (s.mu held).
func (c *credential) checkOTP(otp string, now time.Time) error {
	if !c.account.OTP {
		return nil
	}
	o := &c.otp
	if o.code == "" || o.used || !now.Before(o.expires) || subtle.ConstantTimeCompare([]byte(otp), []byte(o.code)) != 1 {
		return &refusal{http.StatusBadRequest, cscapi.Error{Error: cscapi.ErrInvalidOTP, Description: "The OTP is invalid, expired or already used"}}
	}
	o.used = true
	return nil
}

// signHash signs the hash a SAD authorized; the SAD is spent whatever the outcome.
func (s *Server) signHash(ctx context.Context, req cscapi.SignHashRequest) (any, error) {
	c, err := s.lookup(ctx, req.CredentialID)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	g, ok := s.grants[req.SAD]
	delete(s.grants, req.SAD)
	s.mu.Unlock()
	if !ok || g.credentialID != c.id || !s.now().Before(g.expires) {
		return nil, badRequest("Invalid parameter SAD")
	}
	if len(req.Hashes) != 1 || req.HashAlgorithmOID != cscapi.OIDSHA256 {
		return nil, badRequest("Invalid parameter hashes: one SHA-256 hash per SAD")
	}
	hash, err := base64.StdEncoding.DecodeString(req.Hashes[0])
	if err != nil || !bytes.Equal(hash, g.hash) {
		return nil, badRequest("Invalid parameter hashes: not the hash the SAD authorized")
	}
	if req.SignAlgo != signAlgo(c.account.Key.Public()) {
		return nil, badRequest("Invalid parameter signAlgo")
	}
	value, err := c.account.Key.Sign(rand.Reader, hash, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return cscapi.SignHashResponse{Signatures: []string{base64.StdEncoding.EncodeToString(value)}}, nil
}

// signAlgo is the SHA-256 signature algorithm of the key.
func signAlgo(pub crypto.PublicKey) string {
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		return cscapi.OIDECDSAWithSHA256
	}
	return cscapi.OIDSHA256WithRSA
}

func keyOID(pub crypto.PublicKey) string {
	if _, ok := pub.(*ecdsa.PublicKey); ok {
		return cscapi.OIDECPublicKey
	}
	return cscapi.OIDRSAEncryption
}

func keyBits(pub crypto.PublicKey) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return k.Curve.Params().BitSize
	}
	return 0
}
