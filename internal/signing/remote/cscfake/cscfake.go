// Package cscfake is a fake remote-signing provider speaking the CSC API v2 (the
// JSON of package cscapi) on loopback, for tests and the demo. It checks OAuth2
// client credentials, PINs (3 wrong ones lock the credential) and OTPs (6 digits,
// "sent" by credentials/sendOTP, valid 5 minutes, single use, shown on GET /otp),
// binds each SAD to the one hash it authorized and accepts it once, and can answer
// slowly (Account.Delay) to play an unavailable provider.
package cscfake

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"edms/internal/signing/remote"
)

// The fake's OAuth2 client, as Config gives it.
const (
	ClientID     = "edms-demo"
	ClientSecret = "edms-demo-secret"
)

const (
	maxPINFailures = 3
	otpLifetime    = 5 * time.Minute
	sadLifetime    = 5 * time.Minute
	tokenLifetime  = time.Hour
)

// Account is one person at the provider with one credential, "cred-" + User.
type Account struct {
	User        string
	PIN         string // "" when the credential asks no PIN
	Key         crypto.Signer
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // issuers, leaf excluded
	OTP         bool                // each signature also asks an OTP sent by credentials/sendOTP
	Delay       time.Duration       // added before answering about this account
}

// Server is a running fake provider.
type Server struct {
	URL string // http://127.0.0.1:port/csc/v2

	http *http.Server
	mux  *http.ServeMux
	now  func() time.Time

	mu     sync.Mutex // guards the state below
	creds  map[string]*credential
	order  []*credential
	tokens map[string]time.Time // access token → expiry
	grants map[string]grant     // SAD → what it authorizes
}

// credential is an account's credential and its authorization state.
type credential struct {
	id          string
	account     Account
	pinFailures int
	locked      bool
	otp         otpCode
}

type otpCode struct {
	code    string
	expires time.Time
	used    bool
}

// grant is what one SAD authorizes: one signature of hash by the credential.
type grant struct {
	credentialID string
	hash         []byte
	expires      time.Time
}

// CredentialID is the ID of the account's credential.
func CredentialID(user string) string { return "cred-" + user }

// Start serves the accounts on a loopback port.
func Start(accounts []Account) (*Server, error) {
	s, err := newServer(accounts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cscfake: unable to listen: %w", err)
	}
	s.URL = "http://" + ln.Addr().String() + basePath
	s.http = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.http.Serve(ln) }() // returns ErrServerClosed on Close
	return s, nil
}

func newServer(accounts []Account) (*Server, error) {
	s := &Server{mux: http.NewServeMux(), now: time.Now, creds: map[string]*credential{},
		tokens: map[string]time.Time{}, grants: map[string]grant{}}
	for _, a := range accounts {
		if err := checkAccount(a); err != nil {
			return nil, err
		}
		id := CredentialID(a.User)
		if s.creds[id] != nil {
			return nil, fmt.Errorf("cscfake: account %q is given twice", a.User)
		}
		c := &credential{id: id, account: a}
		s.creds[id] = c
		s.order = append(s.order, c)
	}
	s.routes()
	return s, nil
}

func checkAccount(a Account) error {
	if a.User == "" || a.Key == nil || a.Certificate == nil {
		return fmt.Errorf("cscfake: account %q needs a user, a key and a certificate", a.User)
	}
	pub, ok := a.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(a.Certificate.PublicKey) {
		return fmt.Errorf("cscfake: account %q: the certificate is not for the key", a.User)
	}
	return nil
}

// Close stops the server and its connections.
func (s *Server) Close() {
	if s.http != nil {
		_ = s.http.Close()
	}
}

// Handler serves the provider, for a caller that runs its own listener (TLS tests).
func (s *Server) Handler() http.Handler { return s.mux }

// LastOTP is the last OTP "sent by SMS" for the credential ("" when none).
func (s *Server) LastOTP(credentialID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.creds[credentialID]; c != nil {
		return c.otp.code
	}
	return ""
}

// Config is how edms reaches the fake.
func (s *Server) Config() remote.Config {
	return remote.Config{
		ID: "cscfake", Name: "Ký số từ xa (nhà cung cấp giả lập)", Kind: remote.KindCSC,
		BaseURL: s.URL, ClientID: ClientID, ClientSecret: ClientSecret,
	}
}

// lookup finds a credential, then waits its account's Delay.
func (s *Server) lookup(ctx context.Context, id string) (*credential, error) {
	c := s.find(id)
	if c == nil {
		return nil, badRequest("Invalid parameter credentialID")
	}
	return c, wait(ctx, c.account.Delay)
}

func (s *Server) find(id string) *credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds[id]
}

// wait sleeps d unless the request goes away first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// randomToken is an unguessable hex string (access tokens, SADs).
func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return fmt.Sprintf("%x", b)
}

// randomOTP is six random digits.
func randomOTP() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%06d", binary.BigEndian.Uint32(b)%1_000_000)
}
