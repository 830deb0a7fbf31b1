package signing

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"edms/internal/signing/pki"
	"edms/internal/testenv"
)

// testPKI is the demo PKI the tests sign with, created once per test binary.
type testPKI struct {
	root   *pki.Authority
	person *pki.Credential
	agency *pki.Credential
}

var (
	pkiOnce   sync.Once
	sharedPKI testPKI
)

func demoPKI(t testing.TB) testPKI {
	t.Helper()
	pkiOnce.Do(func() {
		root, err := pki.NewRootCA(pki.DemoRootName)
		if err != nil {
			t.Fatal(err)
		}
		person, err := root.IssuePerson(pki.Options{Subject: pki.Subject{CommonName: "Nguyễn Văn Nghĩa", Title: "Chủ tịch", Organization: "UBND huyện Phú Lương", Province: "Thái Nguyên"}})
		if err != nil {
			t.Fatal(err)
		}
		agency, err := root.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "Ủy ban nhân dân huyện Phú Lương", Province: "Thái Nguyên"}})
		if err != nil {
			t.Fatal(err)
		}
		sharedPKI = testPKI{root: root, person: person, agency: agency}
	})
	if sharedPKI.root == nil {
		t.Fatal("demo PKI could not be created")
	}
	return sharedPKI
}

func identityOf(t testing.TB, c *pki.Credential) *Identity {
	t.Helper()
	id, err := NewIdentity(c.Key, c.Cert, c.Chain)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// trustDir writes the root certificate into a fresh trust-store folder.
func (p testPKI) trustDir(t testing.TB) string {
	dir := t.TempDir()
	if err := pki.WriteCertPEM(filepath.Join(dir, "root.pem"), p.root.Cert); err != nil {
		t.Fatal(err)
	}
	return dir
}

// nssDB creates a temporary NSS database trusting the demo root, for pdfsig.
func (p testPKI) nssDB(t testing.TB) string {
	certutil := testenv.LookTool(t, "certutil")
	dir := t.TempDir()
	run(t, certutil, "-N", "-d", "sql:"+dir, "--empty-password")
	pem := filepath.Join(dir, "root.pem")
	if err := pki.WriteCertPEM(pem, p.root.Cert); err != nil {
		t.Fatal(err)
	}
	run(t, certutil, "-A", "-d", "sql:"+dir, "-n", "edms-root", "-t", "CT,C,C", "-i", pem)
	return "sql:" + dir
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pdfsigReport runs pdfsig on the file and returns its output and exit error.
func pdfsigReport(t testing.TB, nss, path string) (string, error) {
	t.Helper()
	pdfsig := testenv.LookTool(t, "pdfsig")
	out, err := exec.Command(pdfsig, "-nssdir", nss, path).CombinedOutput()
	return string(out), err
}

// requirePdfsigValid checks that pdfsig finds want signatures, all valid and trusted.
func requirePdfsigValid(t testing.TB, nss, path string, want int) string {
	t.Helper()
	out, err := pdfsigReport(t, nss, path)
	if err != nil {
		t.Fatalf("pdfsig failed: %v\n%s", err, out)
	}
	if got := strings.Count(out, "Signature Validation: Signature is Valid."); got != want {
		t.Fatalf("pdfsig: %d valid signatures, want %d\n%s", got, want, out)
	}
	if got := strings.Count(out, "Certificate Validation: Certificate is Trusted."); got != want {
		t.Fatalf("pdfsig: %d trusted certificates, want %d\n%s", got, want, out)
	}
	if !strings.Contains(out, "Total document signed") {
		t.Fatalf("pdfsig: last signature does not cover the whole document\n%s", out)
	}
	return out
}

// qpdfCheck fails the test unless qpdf --check reports the file clean (no warnings).
func qpdfCheck(t testing.TB, path string) {
	t.Helper()
	qpdf := testenv.LookTool(t, "qpdf")
	out, err := exec.Command(qpdf, "--check", path).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("WARNING")) || !bytes.Contains(out, []byte("No syntax or stream encoding errors")) {
		t.Fatalf("qpdf --check %s: %v\n%s", path, err, out)
	}
}

func writeTemp(t testing.TB, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func bytesDoc(b []byte) Document { return NewDocument(bytes.NewReader(b), int64(len(b))) }

// fixedClock returns a clock that always reads t.
func fixedClock(at time.Time) func() time.Time { return func() time.Time { return at } }

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
