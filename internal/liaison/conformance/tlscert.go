package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"edms/internal/signing/pki"
)

// issueTLS makes a TLS certificate usable as server and client on loopback and the
// given hosts (names or addresses). It is
// the minimum the kit needs until pki.IssueTLS (from the network helper) is on
// main; the integrator replaces it by that. A non-zero expiredAt makes a
// certificate that ended then.
func issueTLS(ca *pki.Authority, commonName string, hosts []string, expiredAt time.Time, crl []string) (*pki.Credential, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to generate a TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	notBefore, notAfter := time.Now().Add(-time.Hour), time.Now().AddDate(2, 0, 0)
	if !expiredAt.IsZero() {
		notBefore, notAfter = expiredAt.AddDate(-1, 0, 0), expiredAt
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Country: []string{"VN"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		CRLDistributionPoints: crl,
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to issue %q: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &pki.Credential{Key: key, Cert: cert, Chain: []*x509.Certificate{ca.Cert}}, nil
}

// writeKeyPair writes NAME.pem (the certificate) and NAME.key (PKCS#8, 0600).
func writeKeyPair(dir, name string, cred *pki.Credential) error {
	der, err := x509.MarshalPKCS8PrivateKey(cred.Key)
	if err != nil {
		return fmt.Errorf("conformance: unable to encode the key of %s: %w", name, err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := os.WriteFile(filepath.Join(dir, name+".key"), key, 0o600); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	return pki.WriteCertPEM(filepath.Join(dir, name+".pem"), cred.Cert)
}

// writeCRL writes the kit CA's CRL (DER) revoking the given certificates.
func writeCRL(path string, ca *pki.Authority, revoked ...*x509.Certificate) error {
	list := ca.NewRevocationList()
	list.Validity = 5 * 365 * 24 * time.Hour
	for _, cert := range revoked {
		list.Revoke(cert, time.Now().Add(-time.Minute))
	}
	crl, err := list.CRL()
	if err != nil {
		return fmt.Errorf("conformance: unable to make the CRL: %w", err)
	}
	if err := os.WriteFile(path, crl, 0o644); err != nil {
		return fmt.Errorf("conformance: %w", err)
	}
	return nil
}
