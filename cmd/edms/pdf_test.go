package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/signing/pki"

	"github.com/go-pdf/fpdf"
)

// TestPDFRevocationModes signs through the CLI, with and without -ltv, against
// a CA whose OCSP responder runs on loopback, and verifies offline
// (-revocation=embedded) once the responder is gone.
func TestPDFRevocationModes(t *testing.T) {
	dir := t.TempDir()
	root, err := pki.NewRootCA("cli revocation root")
	if err != nil {
		t.Fatal(err)
	}
	list := root.NewRevocationList()
	responder := httptest.NewServer(list.OCSPHandler())
	person, err := root.IssuePerson(pki.Options{Subject: pki.Subject{CommonName: "Hoàng Văn Lâm"}, OCSPServer: []string{responder.URL}})
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "person.p12")
	if err := person.WritePKCS12(key, "mật khẩu"); err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(dir, "trust")
	os.Mkdir(trust, 0o755)
	if err := pki.WriteCertPEM(filepath.Join(trust, "root.pem"), root.Cert); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(trust, "broken.pem"), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
	in := filepath.Join(dir, "in.pdf")
	writeOnePagePDF(t, in)
	t.Setenv("EDMS_PKCS12_PASSWORD", "mật khẩu")
	sign := func(out string, extra ...string) {
		args := append([]string{"pdf", "sign", "-in", in, "-out", out, "-key", key, "-kind", "person", "-name", "Hoàng Văn Lâm", "-rect", "330,420,540,540"}, extra...)
		if code, _, errOut := edms(t, "", args...); code != 0 {
			t.Fatalf("pdf sign %v: %d %s", extra, code, errOut)
		}
	}
	ltv, plain := filepath.Join(dir, "ltv.pdf"), filepath.Join(dir, "plain.pdf")
	sign(ltv, "-ltv")
	sign(plain)
	responder.Close()

	code, out, errOut := edms(t, "", "pdf", "verify", "-trust", trust, "-revocation", "embedded", ltv)
	if code != 0 || !strings.Contains(out, "revocation: Hoàng Văn Lâm: good (OCSP, embedded)") || !strings.Contains(out, "(PAdES)") || !strings.Contains(errOut, "broken.pem") {
		t.Errorf("offline verification of a B-LT file: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = edms(t, "", "pdf", "verify", "-trust", trust, "-revocation", "embedded", plain)
	if code == 0 || !strings.Contains(out, "revocation: Hoàng Văn Lâm: unknown") {
		t.Errorf("offline verification without embedded data must not pass: %d\n%s", code, out)
	}
	code, out, _ = edms(t, "", "pdf", "verify", "-trust", trust, "-revocation", "off", plain)
	if code != 0 || !strings.Contains(out, "not checked") {
		t.Errorf("-revocation off: %d\n%s", code, out)
	}
	if code, _, _ := edms(t, "", "pdf", "verify", "-trust", trust, "-revocation", "sometimes", plain); code != 2 {
		t.Errorf("bad -revocation: exit %d, want 2", code)
	}
}

func writeOnePagePDF(t *testing.T, path string) {
	t.Helper()
	p := fpdf.New("P", "pt", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.Text(72, 720, "QUYET DINH")
	if err := p.OutputFileAndClose(path); err != nil {
		t.Fatal(err)
	}
}
