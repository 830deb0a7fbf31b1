package signing

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Identity is what signs: a crypto.Signer (a key in memory, or a handle to a key that
// never leaves its PKCS#11 token) and its certificate with the issuing chain.
type Identity struct {
	Signer      crypto.Signer
	Certificate *x509.Certificate
	Chain       []*x509.Certificate // issuers of Certificate, root last; may be empty
	closer      io.Closer
}

// NewIdentity wraps any crypto.Signer whose public key matches cert.
func NewIdentity(signer crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate) (*Identity, error) {
	if signer == nil || cert == nil {
		return nil, errors.New("signing: identity needs a signer and a certificate")
	}
	if !publicKeysEqual(signer.Public(), cert.PublicKey) {
		return nil, fmt.Errorf("signing: the key does not belong to the certificate of %q", cert.Subject.CommonName)
	}
	return &Identity{Signer: signer, Certificate: cert, Chain: chain}, nil
}

// LoadPKCS12 opens a password-protected PKCS#12 (.p12/.pfx) file. The password is
// never logged or put into an error message.
func LoadPKCS12(path, password string) (*Identity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: read key file: %w", err)
	}
	id, err := ParsePKCS12(data, password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return id, nil
}

// ParsePKCS12 decodes PKCS#12 data (legacy 3DES/RC2 or modern AES/PBKDF2).
func ParsePKCS12(data []byte, password string) (*Identity, error) {
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	if errors.Is(err, pkcs12.ErrIncorrectPassword) {
		return nil, ErrBadPassword
	}
	if err != nil {
		return nil, fmt.Errorf("signing: not a usable PKCS#12 key file: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("signing: PKCS#12 key of type %T cannot sign", key)
	}
	return NewIdentity(signer, cert, chain)
}

// Close releases the token session of a PKCS#11 identity; it is a no-op otherwise.
func (id *Identity) Close() error {
	if id.closer == nil {
		return nil
	}
	return id.closer.Close()
}

// CheckUsable reports, wrapping ErrCertificateNotUsable, why the certificate cannot
// sign at time at: outside its validity period, or lacking the key usages of a
// document signer (digitalSignature or nonRepudiation).
func (id *Identity) CheckUsable(at time.Time) error {
	return checkSigningCertificate(id.Certificate, at)
}

func checkSigningCertificate(cert *x509.Certificate, at time.Time) error {
	name := cert.Subject.CommonName
	switch {
	case at.Before(cert.NotBefore):
		return fmt.Errorf("%w: certificate of %q is not valid before %s", ErrCertificateNotUsable, name, cert.NotBefore.Format(time.RFC3339))
	case at.After(cert.NotAfter):
		return fmt.Errorf("%w: certificate of %q expired on %s", ErrCertificateNotUsable, name, cert.NotAfter.Format(time.RFC3339))
	case cert.KeyUsage != 0 && cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) == 0:
		return fmt.Errorf("%w: certificate of %q allows neither digitalSignature nor nonRepudiation", ErrCertificateNotUsable, name)
	case cert.IsCA:
		return fmt.Errorf("%w: %q is a CA certificate, not a signer's", ErrCertificateNotUsable, name)
	}
	return nil
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
