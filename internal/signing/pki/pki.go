package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// DemoRootName is the common name of the demo root CA that stands in for the national roots.
const DemoRootName = "edms demo root CA"

// DefaultKeyBits is the RSA key size used when an Options leaves KeyBits at zero.
const DefaultKeyBits = 2048

var (
	oidUserID          = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidTitle           = asn1.ObjectIdentifier{2, 5, 4, 12}
	oidAdobeDocSigning = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 5}
)

// Subject names the holder of a certificate. Strings may contain Vietnamese letters;
// they are encoded as UTF8String.
type Subject struct {
	CommonName   string // full name of a person, or the agency's name
	Title        string // position of a person, e.g. "Chủ tịch"
	Organization string // agency
	Unit         string // unit inside the agency, optional
	Locality     string
	Province     string
	Identifier   string // personal or agency identifier (mã định danh), as UID
	Email        string
}

// Options controls a certificate to issue. Zero values take defaults: a 2048-bit
// RSA key, valid from one hour ago for two years.
type Options struct {
	Subject   Subject
	KeyBits   int
	NotBefore time.Time
	NotAfter  time.Time
	// OCSPServer and CRLDistributionPoints are the revocation services written
	// into the certificate (see RevocationList); empty: none.
	OCSPServer            []string
	CRLDistributionPoints []string
}

// Authority is a certification authority that can issue certificates.
type Authority struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate // the authority's own issuers, root last; nil for a root
}

// Credential is an end-entity key with its certificate and the chain up to the root.
type Credential struct {
	Key   crypto.Signer
	Cert  *x509.Certificate
	Chain []*x509.Certificate // issuers, leaf excluded, root last
}

// NewRootCA creates a self-signed root CA valid for twenty years.
func NewRootCA(commonName string) (*Authority, error) {
	key, err := rsa.GenerateKey(rand.Reader, DefaultKeyBits)
	if err != nil {
		return nil, fmt.Errorf("pki: generate root key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          mustSerial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"edms demo"}, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: create root certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Key: key}, nil
}

// NewIntermediate creates a CA certified by ca, valid for ten years but not beyond
// ca; the credentials it issues carry the chain up to ca's root.
func (ca *Authority) NewIntermediate(commonName string) (*Authority, error) {
	key, err := rsa.GenerateKey(rand.Reader, DefaultKeyBits)
	if err != nil {
		return nil, fmt.Errorf("pki: generate intermediate key: %w", err)
	}
	now := time.Now()
	notAfter := now.AddDate(10, 0, 0)
	if ca.Cert.NotAfter.Before(notAfter) {
		notAfter = ca.Cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          mustSerial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"edms demo"}, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: create intermediate certificate %q: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Key: key, Chain: append([]*x509.Certificate{ca.Cert}, ca.Chain...)}, nil
}

// IssuePerson creates a key and a signing certificate for a competent person.
func (ca *Authority) IssuePerson(opts Options) (*Credential, error) {
	return ca.issueWithNewKey(opts)
}

// IssueAgency creates a key and a signing certificate for an agency (its seal).
func (ca *Authority) IssueAgency(opts Options) (*Credential, error) {
	opts.Subject.Title = ""
	if opts.Subject.Organization == "" {
		opts.Subject.Organization = opts.Subject.CommonName
	}
	return ca.issueWithNewKey(opts)
}

func (ca *Authority) issueWithNewKey(opts Options) (*Credential, error) {
	bits := opts.KeyBits
	if bits == 0 {
		bits = DefaultKeyBits
	}
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("pki: generate key: %w", err)
	}
	cert, err := ca.IssueForKey(key.Public(), opts)
	if err != nil {
		return nil, err
	}
	return &Credential{Key: key, Cert: cert, Chain: append([]*x509.Certificate{ca.Cert}, ca.Chain...)}, nil
}

// IssueForKey certifies a public key whose private key is held elsewhere (a token).
func (ca *Authority) IssueForKey(pub crypto.PublicKey, opts Options) (*x509.Certificate, error) {
	if opts.Subject.CommonName == "" {
		return nil, errors.New("pki: subject common name is required")
	}
	notBefore, notAfter := opts.NotBefore, opts.NotAfter
	if notBefore.IsZero() {
		notBefore = time.Now().Add(-time.Hour)
	}
	if notAfter.IsZero() {
		notAfter = notBefore.AddDate(2, 0, 0)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          mustSerial(),
		Subject:               opts.Subject.pkixName(),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		UnknownExtKeyUsage:    []asn1.ObjectIdentifier{oidAdobeDocSigning},
		BasicConstraintsValid: true,
		OCSPServer:            opts.OCSPServer,
		CRLDistributionPoints: opts.CRLDistributionPoints,
	}
	if opts.Subject.Email != "" {
		tmpl.EmailAddresses = []string{opts.Subject.Email}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue certificate for %q: %w", opts.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

func (s Subject) pkixName() pkix.Name {
	name := pkix.Name{CommonName: s.CommonName, Country: []string{"VN"}}
	name.Organization = nonEmpty(s.Organization)
	name.OrganizationalUnit = nonEmpty(s.Unit)
	name.Locality = nonEmpty(s.Locality)
	name.Province = nonEmpty(s.Province)
	if s.Title != "" {
		name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{Type: oidTitle, Value: s.Title})
	}
	if s.Identifier != "" {
		name.ExtraNames = append(name.ExtraNames, pkix.AttributeTypeAndValue{Type: oidUserID, Value: s.Identifier})
	}
	return name
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func mustSerial() *big.Int {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(fmt.Sprintf("pki: crypto/rand failed: %v", err))
	}
	return serial
}

// PKCS12 encodes the credential (key, certificate and chain) protected by password,
// with AES-256-CBC, PBKDF2 and an HMAC-SHA-256 integrity check.
func (c *Credential) PKCS12(password string) ([]byte, error) {
	if password == "" {
		return nil, errors.New("pki: a PKCS#12 password is required")
	}
	return pkcs12.Modern2023.Encode(c.Key, c.Cert, c.Chain, password)
}

// WritePKCS12 writes the credential to path (mode 0600) via a temporary file.
func (c *Credential) WritePKCS12(path, password string) error {
	data, err := c.PKCS12(password)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o600)
}

// Credential returns the authority itself as a credential, e.g. to keep a demo
// root CA in a PKCS#12 file between runs.
func (ca *Authority) Credential() *Credential {
	return &Credential{Key: ca.Key, Cert: ca.Cert}
}

// LoadAuthority reads a CA kept with Credential().WritePKCS12.
func LoadAuthority(path, password string) (*Authority, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	key, cert, _, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, fmt.Errorf("pki: read %s: %w", path, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok || !cert.IsCA {
		return nil, fmt.Errorf("pki: %s does not hold a CA key and certificate", path)
	}
	return &Authority{Cert: cert, Key: signer}, nil
}

// CertPEM returns a certificate in PEM form.
func CertPEM(cert *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
}

// WriteCertPEM writes a certificate as PEM, e.g. the root into a trust-store folder.
func WriteCertPEM(path string, cert *x509.Certificate) error {
	return writeFileAtomic(path, CertPEM(cert), 0o644)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pki-*")
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("pki: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	return nil
}
