package signing

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// TrustStore holds the configured trust anchors: the national root CAs in
// production, the demo root CA on a demo network. It also carries the revocation
// policy, so every verifier given the same store decides revocation the same way.
//
// The anchors can be replaced while the node runs (Replace); every check started
// after the replacement uses the new set.
type TrustStore struct {
	mu      sync.RWMutex
	roots   *x509.CertPool
	anchors []*x509.Certificate
	skipped []string
	// Revocation decides how the signers' certificates are checked for revocation;
	// nil checks nothing (RevocationOff).
	Revocation *RevocationChecker
}

// LoadTrustStore reads every certificate in dir (*.pem, *.crt, *.cer, *.der: PEM
// or DER) as a trust anchor. A file or PEM block that is not a certificate Go can
// parse is skipped and named in Skipped, so one bad file cannot stop every
// verification. A folder without any usable certificate is an error, so a
// misconfigured path cannot make every signature "untrusted" silently.
func LoadTrustStore(dir string) (*TrustStore, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("signing: trust store: %w", err)
	}
	ts := NewTrustStore()
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if e.IsDir() || (ext != ".pem" && ext != ".crt" && ext != ".cer" && ext != ".der") {
			continue
		}
		certs, problems := readAnchors(filepath.Join(dir, e.Name()))
		ts.skipped = append(ts.skipped, problems...)
		for _, c := range certs {
			ts.Add(c)
		}
	}
	if len(ts.anchors) == 0 {
		return nil, fmt.Errorf("signing: trust store %s holds no usable certificate%s", dir, joinedProblems(ts.skipped))
	}
	return ts, nil
}

func joinedProblems(problems []string) string {
	if len(problems) == 0 {
		return ""
	}
	return " (" + strings.Join(problems, "; ") + ")"
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
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.roots.AddCert(c)
	ts.anchors = append(ts.anchors, c)
}

// Replace trusts exactly the given anchors from now on, in place, so every holder
// of the store sees the new set without a restart.
func (ts *TrustStore) Replace(anchors []*x509.Certificate) {
	roots := x509.NewCertPool()
	for _, c := range anchors {
		roots.AddCert(c)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.roots, ts.anchors = roots, slices.Clone(anchors)
}

// Anchors lists the trusted anchors (the administration page shows them).
func (ts *TrustStore) Anchors() []*x509.Certificate {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return slices.Clone(ts.anchors)
}

// rootPool is the current pool of anchors; a replacement makes a new pool, so the
// one returned is never changed under the caller.
func (ts *TrustStore) rootPool() *x509.CertPool {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return ts.roots
}

// Skipped names the files and blocks of the trust folder that were not used, each
// with the reason ("bad.pem: block 2 is a PRIVATE KEY, not a certificate").
func (ts *TrustStore) Skipped() []string { return ts.skipped }

// ReadCertificates reads the certificates of a PEM or DER file; any block that is
// not a parsable certificate is an error.
func ReadCertificates(path string) ([]*x509.Certificate, error) {
	certs, problems := readAnchors(path)
	if len(problems) > 0 {
		return nil, fmt.Errorf("signing: %s", strings.Join(problems, "; "))
	}
	return certs, nil
}

// readAnchors reads what it can of a PEM or DER certificate file and describes,
// with the file name, every part it could not use.
func readAnchors(path string) ([]*x509.Certificate, []string) {
	name := filepath.Base(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", name, err)}
	}
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		certs, err := x509.ParseCertificates(data)
		if err != nil {
			return nil, []string{fmt.Sprintf("%s: not a DER certificate: %v", name, err)}
		}
		return certs, nil
	}
	var certs []*x509.Certificate
	var problems []string
	n := 0
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		n++
		if block.Type != "CERTIFICATE" {
			problems = append(problems, fmt.Sprintf("%s: block %d is a %s, not a certificate", name, n, block.Type))
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: certificate %d cannot be parsed: %v", name, n, err))
			continue
		}
		certs = append(certs, c)
	}
	if n == 0 {
		problems = append(problems, name+": no PEM block could be read")
	}
	return certs, problems
}

// Pool returns a copy of the anchors as a certificate pool, for other verifiers
// (XML signatures); changing it does not change the trust store.
func (ts *TrustStore) Pool() *x509.CertPool { return ts.rootPool().Clone() }
