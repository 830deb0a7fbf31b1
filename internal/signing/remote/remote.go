package remote

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
)

// Credential is one signing key the person holds at a provider, with its certificate.
type Credential struct {
	ID, Description    string
	Certificate        *x509.Certificate
	Chain              []*x509.Certificate // issuers, leaf excluded
	NeedsPIN, NeedsOTP bool
	Locked             bool
}

// SignRequest asks a provider to sign one digest with one credential.
type SignRequest struct {
	CredentialID string
	Digest       []byte
	Hash         crypto.Hash // SHA-256
	PIN, OTP     string      // as typed by the person; never stored or logged
	Description  string      // what the person signs, shown by providers that can
}

// Provider is one remote-signing service. CSC is one implementation; another API plugs in here.
type Provider interface {
	ID() string   // "smartca"
	Name() string // "VNPT SmartCA" — shown to the person
	// Credentials lists the account's credentials with their certificates.
	Credentials(ctx context.Context, account string) ([]Credential, error)
	// Challenge asks the provider to send the person an OTP when the credential
	// needs one; it does nothing otherwise.
	Challenge(ctx context.Context, credentialID string) error
	// Sign authorizes the credential with the PIN/OTP for this digest and signs it;
	// the value is what crypto.Signer returns (PKCS#1 v1.5 for RSA, ASN.1 DER for ECDSA).
	Sign(ctx context.Context, r SignRequest) ([]byte, error)
}

// Errors callers branch on. A wrong PIN or OTP comes as an *AuthError wrapping
// ErrWrongPIN or ErrWrongOTP.
var (
	ErrWrongPIN       = errors.New("remote: wrong PIN")
	ErrWrongOTP       = errors.New("remote: wrong or expired OTP")
	ErrLocked         = errors.New("remote: credential locked")
	ErrUnavailable    = errors.New("remote: provider unavailable") // timeouts, connection errors, 5xx
	ErrUnknownAccount = errors.New("remote: unknown account")
	// ErrClientCredentials: the provider refused edms's own OAuth2 client
	// credentials (client_id/client_secret in the providers file).
	ErrClientCredentials = errors.New("remote: the provider refused the client credentials")
)

// AuthError wraps ErrWrongPIN / ErrWrongOTP with the attempts left (-1 unknown). errors.Is works.
type AuthError struct {
	Err       error
	Remaining int
}

func (e *AuthError) Error() string {
	if e.Remaining < 0 {
		return e.Err.Error()
	}
	if e.Remaining == 1 {
		return fmt.Sprintf("%v (1 attempt left)", e.Err)
	}
	return fmt.Sprintf("%v (%d attempts left)", e.Err, e.Remaining)
}

func (e *AuthError) Unwrap() error { return e.Err }
