package signing

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// TrustStore holds the configured trust anchors: the national root CAs in
// production, the demo root CA on a demo network.
type TrustStore struct {
	roots   *x509.CertPool
	anchors []*x509.Certificate
}

// LoadTrustStore reads every certificate in dir (*.pem, *.crt, *.cer: PEM or DER)
// as a trust anchor. A folder without any certificate is an error, so a
// misconfigured path cannot make every signature "untrusted" silently.
func LoadTrustStore(dir string) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("signing: trust store: %w", err)
	}
	ts := &TrustStore{roots: x509.NewCertPool()}
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".pem" && ext != ".crt" && ext != ".cer" && ext != ".der") {
			continue
		}
		certs, err := ReadCertificates(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, c := range certs {
			ts.Add(c)
		}
	}
	if len(ts.anchors) == 0 {
		return nil, fmt.Errorf("signing: trust store %s holds no certificate", dir)
	}
	return ts, nil
}

// NewTrustStore trusts the given anchors.
func NewTrustStore(anchors ...*x509.Certificate) *TrustStore {
	ts := &TrustStore{roots: x509.NewCertPool()}
	for _, c := range anchors {
		ts.Add(c)
	}
	return ts
}

// Add trusts one more anchor.
func (ts *TrustStore) Add(c *x509.Certificate) {
	ts.roots.AddCert(c)
	ts.anchors = append(ts.anchors, c)
}

// ReadCertificates reads the certificates of a PEM or DER file.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing: trust store: %w", err)
	}
	if !strings.Contains(string(data), "-----BEGIN") {
		certs, err := x509.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("signing: trust store %s: %w", path, err)
		}
		return certs, nil
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("signing: trust store %s: %w", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("signing: trust store " + path + " has no CERTIFICATE block")
	}
	return certs, nil
}

// Pool returns a copy of the anchors as a certificate pool, for other verifiers
// (XML signatures); changing it does not change the trust store.
func (ts *TrustStore) Pool() *x509.CertPool { return ts.roots.Clone() }
