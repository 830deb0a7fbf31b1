package conformance

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"edms/internal/liaison"
	"edms/internal/signing/pki"
)

// The test agencies the kit acts for.
const (
	OrganT1      = "000.00.00.T01"
	OrganT2      = "000.00.00.T02"
	OrganNowhere = "000.00.00.T09" // served by nobody
)

// Names of the kit's files under its directory.
const (
	fileCA       = "ca.pem"
	fileTargetCA = "target-ca.pem"
	fileCRL      = "kit.crl"
	fileSettings = "kit.json"
	fileJournal  = "journal.json"
	dirSent      = "sent"
)

// ErrNotInitialised is returned when the kit's directory lacks what init makes.
var ErrNotInitialised = errors.New("conformance: the kit directory is not initialised (run edms conformance init)")

// Settings are what init decided and run needs.
type Settings struct {
	TargetOrgan string `json:"target_organ"` // the test agency's OrganId
	CRLAddr     string `json:"crl_addr"`     // where the kit serves kit.crl over plain HTTP
}

// InitOptions configure Init.
type InitOptions struct {
	Dir         string
	TargetOrgan string   // the target's test agency
	CRLAddr     string   // host:port of the CRL distribution point
	Hosts       []string // names or addresses of the kit's host besides loopback
}

// Init makes the kit's CA, certificates, CRL and settings under opts.Dir.
func Init(opts InitOptions) error {
	if err := os.MkdirAll(filepath.Join(opts.Dir, dirSent), 0o755); err != nil {
		return fmt.Errorf("conformance: unable to create %s: %w", opts.Dir, err)
	}
	ca, err := pki.NewRootCA("edms conformance kit CA")
	if err != nil {
		return err
	}
	rogue, err := pki.NewRootCA("edms conformance untrusted CA")
	if err != nil {
		return err
	}
	dist := []string{"http://" + opts.CRLAddr + "/" + fileCRL}
	expired := time.Now().AddDate(0, 0, -30)
	w := &kitWriter{dir: opts.Dir, hosts: opts.Hosts}
	w.cert(fileCA, ca.Cert)
	w.tls("kit", ca, "edms conformance kit", time.Time{}, nil)
	w.tls("member", ca, "edms conformance member T1", time.Time{}, nil)
	w.tls("rogue-tls", rogue, "edms conformance untrusted", time.Time{}, nil)
	w.tls("expired-tls", ca, "edms conformance expired", expired, nil)
	revokedTLS := w.tls("revoked-tls", ca, "edms conformance revoked", time.Time{}, dist)
	w.agency("t1", ca, OrganT1, time.Time{}, nil)
	w.agency("t2", ca, OrganT2, time.Time{}, nil)
	w.agency("rogue-t1", rogue, OrganT1, time.Time{}, nil)
	w.agency("expired-t1", ca, OrganT1, expired, nil)
	revokedSigner := w.agency("revoked-t1", ca, OrganT1, time.Time{}, dist)
	if w.err != nil {
		return w.err
	}
	if err := writeCRL(filepath.Join(opts.Dir, fileCRL), ca, revokedTLS, revokedSigner); err != nil {
		return err
	}
	settings, _ := json.MarshalIndent(Settings{TargetOrgan: opts.TargetOrgan, CRLAddr: opts.CRLAddr}, "", "  ")
	return os.WriteFile(filepath.Join(opts.Dir, fileSettings), settings, 0o644)
}

// kitWriter issues and writes certificates, keeping the first error.
type kitWriter struct {
	dir   string
	hosts []string // for the TLS certificates
	err   error
}

func (w *kitWriter) cert(name string, cert *x509.Certificate) {
	if w.err == nil {
		w.err = pki.WriteCertPEM(filepath.Join(w.dir, name), cert)
	}
}

// tls issues NAME.pem and NAME.key for TLS; a non-zero expiredAt makes a
// certificate that ended then.
func (w *kitWriter) tls(name string, ca *pki.Authority, commonName string, expiredAt time.Time, crl []string) *x509.Certificate {
	if w.err != nil {
		return nil
	}
	var cred *pki.Credential
	cred, w.err = issueTLS(ca, commonName, w.hosts, expiredAt, crl)
	if w.err == nil {
		w.err = writeKeyPair(w.dir, name, cred)
	}
	return certOf(cred)
}

// agency issues NAME.pem and NAME.key: an agency signing certificate whose UID is
// organ.
func (w *kitWriter) agency(name string, ca *pki.Authority, organ string, expiredAt time.Time, crl []string) *x509.Certificate {
	if w.err != nil {
		return nil
	}
	opts := pki.Options{Subject: pki.Subject{CommonName: "Cơ quan thử nghiệm " + organ, Identifier: organ}, CRLDistributionPoints: crl}
	if !expiredAt.IsZero() {
		opts.NotBefore, opts.NotAfter = expiredAt.AddDate(-1, 0, 0), expiredAt
	}
	var cred *pki.Credential
	cred, w.err = ca.IssueAgency(opts)
	if w.err == nil {
		w.err = writeKeyPair(w.dir, name, cred)
	}
	return certOf(cred)
}

func certOf(cred *pki.Credential) *x509.Certificate {
	if cred == nil {
		return nil
	}
	return cred.Cert
}

// Kit is an initialised kit directory, loaded.
type Kit struct {
	Dir      string
	Settings Settings
	CA       *x509.Certificate
	TargetCA *x509.CertPool // the target's CAs (TLS and XML-DSig)
	TLS      map[string]tls.Certificate
	Agencies map[string]liaison.Identity // t1, t2, rogue-t1, expired-t1, revoked-t1
	CRL      []byte
}

// Load reads an initialised kit directory.
func Load(dir string) (*Kit, error) {
	k := &Kit{Dir: dir, TLS: map[string]tls.Certificate{}, Agencies: map[string]liaison.Identity{}}
	settings, err := os.ReadFile(filepath.Join(dir, fileSettings))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotInitialised
	}
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	if err := json.Unmarshal(settings, &k.Settings); err != nil {
		return nil, fmt.Errorf("conformance: unable to read %s: %w", fileSettings, err)
	}
	if k.CA, err = readCert(filepath.Join(dir, fileCA)); err != nil {
		return nil, err
	}
	if k.TargetCA, err = readPool(filepath.Join(dir, fileTargetCA)); err != nil {
		return nil, err
	}
	for _, name := range []string{"kit", "member", "rogue-tls", "expired-tls", "revoked-tls"} {
		if k.TLS[name], err = tls.LoadX509KeyPair(filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")); err != nil {
			return nil, fmt.Errorf("conformance: unable to load %s: %w", name, err)
		}
	}
	for _, name := range []string{"t1", "t2", "rogue-t1", "expired-t1", "revoked-t1"} {
		if k.Agencies[name], err = readIdentity(dir, name); err != nil {
			return nil, err
		}
	}
	if k.CRL, err = os.ReadFile(filepath.Join(dir, fileCRL)); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return k, nil
}

func readCert(path string) (*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	certs, err := liaison.PEMCertificates(data)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("conformance: no certificate in %s: %v", path, err)
	}
	return certs[0], nil
}

func readPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: the target's CA bundle is needed (%w)", err)
	}
	pool, err := liaison.PEMCertPool(data)
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to read %s: %w", path, err)
	}
	return pool, nil
}

func readIdentity(dir, name string) (liaison.Identity, error) {
	key, err := os.ReadFile(filepath.Join(dir, name+".key"))
	if err != nil {
		return liaison.Identity{}, fmt.Errorf("conformance: %w", err)
	}
	chain, err := os.ReadFile(filepath.Join(dir, name+".pem"))
	if err != nil {
		return liaison.Identity{}, fmt.Errorf("conformance: %w", err)
	}
	id, err := liaison.PEMIdentity(key, chain)
	if err != nil {
		return liaison.Identity{}, fmt.Errorf("conformance: unable to read %s: %w", name, err)
	}
	return id, nil
}

// OperatorSteps are the commands the target's operator runs after init.
func OperatorSteps(dir, listen string) string {
	abs, _ := filepath.Abs(dir)
	return fmt.Sprintf(`On the target node, as its operator:
  1. Register the kit as the node's hub, and the member certificate as a node serving T1:
       edms exchange peer add -name conformance -role hub -cert %[1]s/kit.pem
       edms exchange peer add -name conformance-t1 -role node -cert %[1]s/member.pem -agencies %[3]s
  2. Trust the kit's CA: append %[1]s/ca.pem to the node's -exchange-ca bundle (TLS) and
     copy it into the node's trust anchors, <keys>/trust/conformance.pem (XML-DSig).
  3. Start the node with -hub https://%[2]s and -test-agency <the test agency's OrganId>.
  4. Copy the CA bundle that issued the node's exchange certificate and its agency keys
     to %[1]s/%[4]s.
Then: edms conformance -dir %[1]s -target https://NODE:PORT -listen %[2]s -test-agency ORGANID
`, abs, listen, OrganT1, fileTargetCA)
}
