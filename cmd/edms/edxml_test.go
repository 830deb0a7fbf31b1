package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/testenv"
)

// edxmlTestPKI makes a CA and a signer with openssl and returns their paths.
func edxmlTestPKI(t *testing.T, dir string) (ca, key, cert string) {
	openssl := testenv.LookTool(t, "openssl")
	ca, key, cert = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "signer.key"), filepath.Join(dir, "signer.pem")
	caKey, csr := filepath.Join(dir, "ca.key"), filepath.Join(dir, "signer.csr")
	for _, args := range [][]string{
		{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-subj", "/CN=edms test CA", "-days", "2",
			"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=keyCertSign"},
		{"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=Van thu/O=UBND"},
		{"x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "1"},
	} {
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	return ca, key, cert
}

func TestEdxmlCommands(t *testing.T) {
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	dir := t.TempDir()
	ca, key, cert := edxmlTestPKI(t, dir)
	pdf := filepath.Join(dir, "qd.pdf")
	os.WriteFile(pdf, []byte("%PDF-1.7\nnot much of a PDF\n"), 0o644)
	desc := filepath.Join(dir, "desc.json")
	os.WriteFile(desc, []byte(`{"Header": {"From": {"OrganID": "000.00.00.H41", "OrganName": "UBND tỉnh Nghệ An"},
		"Code": {"Number": "15", "Notation": "QĐ-UBND"}, "PromulgationDate": "2026/03/02",
		"DocumentType": {"Type": 1, "TypeName": "Quyết định"}, "Subject": "Về việc thử nghiệm"},
		"Files": [{"Path": "qd.pdf"}]}`), 0o644)
	signed := filepath.Join(dir, "signed.edxml")

	if code, _, errOut := edms(t, "", "edxml", "build", "-json", desc, "-to", "000.00.11.H41", "-to", "000.00.00.G22",
		"-key", key, "-cert", cert, "-o", signed); code != 0 {
		t.Fatalf("build: %d %s", code, errOut)
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, signed).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses the built package: %v\n%s", err, out)
	}
	extract := filepath.Join(dir, "files")
	os.Mkdir(extract, 0o755)
	if code, out, errOut := edms(t, "", "edxml", "verify", "-ca", ca, "-extract", extract, signed); code != 0 || !strings.Contains(out, "signature verified: CN=Van thu") {
		t.Fatalf("verify: %d %s %s", code, out, errOut)
	}
	if got, _ := os.ReadFile(filepath.Join(extract, "qd.pdf")); !strings.HasPrefix(string(got), "%PDF-1.7") {
		t.Fatalf("extracted %q", got)
	}
	code, out, _ := edms(t, "", "edxml", "inspect", "-ca", ca, signed)
	for _, want := range []string{"000.00.00.H41,2026/03/02,15/QĐ-UBND", "To:          000.00.00.G22", "Attachment:  cid:1 \"qd.pdf\" application/pdf, 27 bytes, sha256 ", "Signature:   verified"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}

	tampered := filepath.Join(dir, "tampered.edxml")
	data, _ := os.ReadFile(signed)
	os.WriteFile(tampered, []byte(strings.Replace(string(data), "thử nghiệm", "thử thách", 1)), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	if code, _, errOut := edms(t, "", "edxml", "verify", "-ca", ca, "-extract", empty, tampered); code != 1 || !strings.Contains(errOut, "digest mismatch") {
		t.Errorf("verify of a tampered package: %d %s", code, errOut)
	}
	if left, _ := os.ReadDir(empty); len(left) != 0 {
		t.Errorf("a refused package left %d entries", len(left))
	}
	if code, _, _ := edms(t, "", "edxml", "sign", "-key", key, "-cert", cert, "-o", filepath.Join(dir, "twice.edxml"), signed); code != 1 {
		t.Errorf("signing a signed package: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "twice.edxml")); err == nil {
		t.Error("a failed sign left its output")
	}
}

func TestEdxmlValidateSharedSamples(t *testing.T) {
	samples, _ := filepath.Glob("../../../shared/interop/edxml/*.edxml")
	if len(samples) == 0 {
		testenv.Missing(t, "shared edXML samples absent")
	}
	code, out, errOut := edms(t, "", append([]string{"edxml", "validate"}, samples...)...)
	if code != 0 || strings.Count(out, ": valid ") != len(samples) || !strings.Contains(out, `"28.22.H17" is not of the form NNN.NN.NN.XNN`) {
		t.Fatalf("validate: %d\n%s\n%s", code, out, errOut)
	}
}
