package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	imagepng "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/store/storetest"
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

// officeFiles writes one file of every type an office sends and returns their
// paths with the content type edms must attach them with.
func officeFiles(t *testing.T, dir string) map[string]string {
	var png bytes.Buffer
	if err := imagepng.Encode(&png, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	var xlsx bytes.Buffer
	zw := zip.NewWriter(&xlsx)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types/>`))
	zw.Close()
	ole := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0}
	files := map[string]struct {
		body        []byte
		contentType string
	}{
		"qd.pdf":       {[]byte("%PDF-1.7\nnot much of a PDF\n"), "application/pdf"},
		"ghi-chu.txt":  {[]byte("Ghi chú: gửi kèm bản vẽ.\r\n"), "text/plain"},
		"du-lieu.xml":  {[]byte(`<?xml version="1.0" encoding="UTF-8"?><du-lieu/>`), "application/xml"},
		"so-lieu.csv":  {[]byte("huyện,số hộ\nNam Đàn,1200\n"), "text/csv"},
		"anh.png":      {png.Bytes(), "image/png"},
		"anh.jpg":      {[]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, "image/jpeg"},
		"bang.xlsx":    {xlsx.Bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		"bang.xls":     {ole, "application/vnd.ms-excel"},
		"cong-van.doc": {ole, "application/msword"},
		"ban-ve.dwg":   {[]byte("AC1027 drawing"), "application/zip"},
	}
	out := map[string]string{}
	for name, f := range files {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, f.body, 0o644); err != nil {
			t.Fatal(err)
		}
		out[path] = f.contentType
	}
	return out
}

// TestEdxmlBuildFromFlagsPassesXSDAndReadsBack builds, from flags alone, packages
// carrying every file type an office sends, unsigned and signed: each passes the
// XSD, reads back valid with its real types, and the signed one passes xmlsec1.
func TestEdxmlBuildFromFlagsPassesXSDAndReadsBack(t *testing.T) {
	xmllint := testenv.LookTool(t, "xmllint")
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	dir := t.TempDir()
	ca, key, cert := edxmlTestPKI(t, dir)
	files := officeFiles(t, dir)
	args := []string{"edxml", "build", "-from", "000.00.00.H41", "-to", "000.00.11.H41", "-number", "15", "-notation", "QĐ-UBND",
		"-date", "2026/03/02", "-subject", "Về việc gửi hồ sơ"}
	for path := range files {
		args = append(args, "-file", path)
	}
	unsigned, signed := filepath.Join(dir, "unsigned.edxml"), filepath.Join(dir, "signed.edxml")
	for out, extra := range map[string][]string{unsigned: nil, signed: {"-key", key, "-cert", cert}} {
		if code, _, errOut := edms(t, "", append(append(args, extra...), "-o", out)...); code != 0 {
			t.Fatalf("build %s: %d %s", filepath.Base(out), code, errOut)
		}
		if out, err := exec.Command(xmllint, "--noout", "--schema", "../../schemas/edxml.xsd", out).CombinedOutput(); err != nil {
			t.Fatalf("xmllint --schema refuses the built package: %v\n%s", err, out)
		}
		code, summary, errOut := edms(t, "", "edxml", "inspect", out)
		if code != 0 {
			t.Fatalf("inspect: %d %s %s", code, summary, errOut)
		}
		for path, contentType := range files {
			if want := fmt.Sprintf("%q %s,", filepath.Base(path), contentType); !strings.Contains(summary, want) {
				t.Errorf("%s: no attachment %s in\n%s", filepath.Base(out), want, summary)
			}
		}
		if !strings.Contains(summary, `unpacked:  cid:`) || !strings.Contains(summary, `"ban-ve.dwg" text/plain`) {
			t.Errorf("the zipped drawing was not unpacked on reading:\n%s", summary)
		}
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", ca, signed).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses the signed package: %v\n%s", err, out)
	}
}

// TestEdxmlPeerAndPlaceholder sets the per-recipient switch in the directory and
// writes the placeholder variant, which says it is unsigned and reads as such.
func TestEdxmlPeerAndPlaceholder(t *testing.T) {
	dbFlag := "-database-url=" + storetest.NewDatabaseURL(t)
	dir := t.TempDir()
	if code, _, errOut := edms(t, "", "org", "add", dbFlag, "-organ-id", "000.00.11.H41", "-name", "Sở Tài chính", "-abbreviation", "STC"); code != 0 {
		t.Fatalf("org add: %d %s", code, errOut)
	}
	if code, out, _ := edms(t, "", "edxml", "peer", dbFlag, "000.00.11.H41"); code != 0 || !strings.Contains(out, "are signed") {
		t.Fatalf("peer: %d %s", code, out)
	}
	if code, out, _ := edms(t, "", "edxml", "peer", dbFlag, "-placeholder-signature=true", "000.00.11.H41"); code != 0 || !strings.Contains(out, "travel UNSIGNED") {
		t.Fatalf("peer set: %d %s", code, out)
	}
	if code, _, errOut := edms(t, "", "edxml", "peer", dbFlag, "-placeholder-signature=true", "000.00.99.H41"); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("peer set on an unknown agency: %d %s", code, errOut)
	}
	unsigned, placeholder := filepath.Join(dir, "unsigned.edxml"), filepath.Join(dir, "placeholder.edxml")
	if code, _, errOut := edms(t, "", "edxml", "build", "-from", "000.00.00.H41", "-to", "000.00.11.H41", "-number", "15", "-notation", "QĐ-UBND",
		"-date", "2026/03/02", "-subject", "Về việc thử", "-o", unsigned); code != 0 {
		t.Fatalf("build: %d %s", code, errOut)
	}
	if code, out, errOut := edms(t, "", "edxml", "sign", "-placeholder", "-o", placeholder, unsigned); code != 0 || !strings.Contains(out, "NOT signed") {
		t.Fatalf("sign -placeholder: %d %s %s", code, out, errOut)
	}
	if code, out, _ := edms(t, "", "edxml", "inspect", placeholder); code != 0 || !strings.Contains(out, "Signature:   unsigned (placeholder Signature)") {
		t.Fatalf("inspect: %d %s", code, out)
	}
}
