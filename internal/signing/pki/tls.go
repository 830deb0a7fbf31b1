package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// TLSOptions controls a certificate for an exchange endpoint (a hub or a node): the
// same certificate serves its listener and authenticates it as a client of its peers.
type TLSOptions struct {
	Subject  Subject  // CommonName is required
	DNSNames []string // names besides localhost
	IPs      []net.IP // addresses besides 127.0.0.1 and ::1
	// RSABits chooses an RSA key of that size; 0 gives an ECDSA P-256 key.
	RSABits   int
	NotBefore time.Time // zero: one hour ago
	NotAfter  time.Time // zero: two years after NotBefore
}

// IssueTLS creates a key and a certificate usable both as a TLS server and as a TLS
// client, valid for localhost and the loopback addresses besides the names given.
func (ca *Authority) IssueTLS(opts TLSOptions) (*Credential, error) {
	if opts.Subject.CommonName == "" {
		return nil, errors.New("pki: a TLS certificate needs a common name")
	}
	key, err := newTLSKey(opts.RSABits)
	if err != nil {
		return nil, err
	}
	notBefore, notAfter := validity(opts.NotBefore, opts.NotAfter)
	tmpl := &x509.Certificate{
		SerialNumber:          mustSerial(),
		Subject:               opts.Subject.pkixName(),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              append([]string{"localhost"}, opts.DNSNames...),
		IPAddresses:           append([]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, opts.IPs...),
	}
	if _, isRSA := key.(*rsa.PrivateKey); isRSA {
		tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue TLS certificate for %q: %w", opts.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Credential{Key: key, Cert: cert, Chain: []*x509.Certificate{ca.Cert}}, nil
}

func newTLSKey(rsaBits int) (crypto.Signer, error) {
	var key crypto.Signer
	var err error
	if rsaBits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("pki: generate TLS key: %w", err)
	}
	return key, nil
}

// validity fills in the default validity: from an hour ago, for two years.
func validity(notBefore, notAfter time.Time) (time.Time, time.Time) {
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = notBefore.AddDate(2, 0, 0)
	}
	return notBefore, notAfter
}

// TLSCertificate is the credential as crypto/tls takes it: the leaf and the chain
// below the root.
func (c *Credential) TLSCertificate() tls.Certificate {
	cert := tls.Certificate{PrivateKey: c.Key, Leaf: c.Cert, Certificate: [][]byte{c.Cert.Raw}}
	for _, issuer := range c.intermediates() {
		cert.Certificate = append(cert.Certificate, issuer.Raw)
	}
	return cert
}

// intermediates are the chain's issuers without the self-signed root.
func (c *Credential) intermediates() []*x509.Certificate {
	var out []*x509.Certificate
	for _, issuer := range c.Chain {
		if !bytes.Equal(issuer.RawIssuer, issuer.RawSubject) {
			out = append(out, issuer)
		}
	}
	return out
}

// KeyPEM returns the private key as an unencrypted PKCS#8 PEM block.
func (c *Credential) KeyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// WriteTLSFiles writes the certificate with its chain below the root (PEM, mode 0644)
// to certPath and the private key (PKCS#8 PEM, mode 0600) to keyPath.
func (c *Credential) WriteTLSFiles(certPath, keyPath string) error {
	key, err := c.KeyPEM()
	if err != nil {
		return err
	}
	chain := CertPEM(c.Cert)
	for _, issuer := range c.intermediates() {
		chain = append(chain, CertPEM(issuer)...)
	}
	if err := writeFileAtomic(keyPath, key, 0o600); err != nil {
		return err
	}
	return writeFileAtomic(certPath, chain, 0o644)
}
