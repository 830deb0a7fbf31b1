package liaison

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/testenv"
)

func testStatus() *Status {
	return &Status{
		From:        Organization{OrganID: "000.00.00.G22", OrganName: "Văn phòng Chính phủ"},
		ResponseFor: ResponseFor{OrganID: "000.00.00.H41", Code: "15/QĐ-UBND", PromulgationDate: Date{2026, time.March, 2}, DocumentID: "000.00.00.H41,2026/03/02,15/QĐ-UBND"},
		Staff:       StaffInfo{Department: "Văn thư", Staff: "Lê C"},
		StatusCode:  "03",
		Description: "Đã tiếp nhận",
		Timestamp:   time.Date(2026, 3, 2, 10, 0, 0, 0, vietnam),
	}
}

func TestSignedPackagesVerifyHereAndWithXmlsec1(t *testing.T) {
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	for name, pki := range map[string]testPKI{"rsa": rsaPKI(t), "ecdsa": ecdsaPKI(t)} {
		t.Run(name, func(t *testing.T) {
			signed := signBytes(t, buildTestPackage(t, 300_000), pki.identity)
			pkg, err := Read(bytes.NewReader(signed), Options{Roots: pki.roots(), RequireSignature: true})
			if err != nil {
				t.Fatal(err)
			}
			if pkg.Signature.State != SignatureVerified || pkg.Signature.Chain[0].Subject.CommonName != "Văn thư UBND tỉnh" || len(pkg.Signature.Chain) != 3 {
				t.Fatalf("signature %+v", pkg.Signature)
			}
			path := filepath.Join(t.TempDir(), "signed.edxml")
			os.WriteFile(path, signed, 0o644)
			out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", pki.writeRootPEM(t), path).CombinedOutput()
			if err != nil {
				t.Fatalf("xmlsec1 refuses our signature: %v\n%s", err, out)
			}
		})
	}
}

// TestWrappedBase64AndCRLF signs a package whose lines end in CR LF and whose base64
// is wrapped at 76 columns, as some producers write: the streaming digest must
// normalise line ends exactly as xmlsec1 does, and the decoder skip the wrapping.
func TestWrappedBase64AndCRLF(t *testing.T) {
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	pdf := testPDF(200_000)
	var unsigned bytes.Buffer
	if err := Write(&unsigned, testDocument(), testFiles(t, pdf)); err != nil {
		t.Fatal(err)
	}
	text := unsigned.String()
	start := strings.Index(text, `">JVBER`) + 2
	end := start + strings.Index(text[start:], "<")
	var wrapped strings.Builder
	for payload := text[start:end]; len(payload) > 0; {
		n := min(76, len(payload))
		wrapped.WriteString("\r\n" + payload[:n])
		payload = payload[n:]
	}
	crlf := strings.ReplaceAll(text[:start], "\n", "\r\n") + wrapped.String() + "\r\n" + strings.ReplaceAll(text[end:], "\n", "\r\n")
	pki := ecdsaPKI(t)
	signed := signBytes(t, []byte(crlf), pki.identity)
	pkg, err := Read(bytes.NewReader(signed), Options{Roots: pki.roots(), RequireSignature: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := sha256.Sum256(pdf); pkg.Attachments[0].SHA256 != want || pkg.Attachments[0].Size != int64(len(pdf)) {
		t.Fatalf("attachment decoded to %d bytes with another hash", pkg.Attachments[0].Size)
	}
	path := filepath.Join(t.TempDir(), "crlf.edxml")
	os.WriteFile(path, signed, 0o644)
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", pki.writeRootPEM(t), path).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses the CR LF package: %v\n%s", err, out)
	}
}

// TestPlaceholderSignatureForPeersWithoutXMLDSig writes the compatibility variant:
// it passes the XSD, and reads back as unsigned, never as signed.
func TestPlaceholderSignatureForPeersWithoutXMLDSig(t *testing.T) {
	xmllint := testenv.LookTool(t, "xmllint")
	var out bytes.Buffer
	if err := WritePlaceholderSignature(&out, bytes.NewReader(buildTestPackage(t, 5000)), Limits{}); err != nil {
		t.Fatal(err)
	}
	pkg, err := Read(bytes.NewReader(out.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Signature.State != SignaturePlaceholder || !hasWarning(pkg, "edXMLHeader/Signature", RuleSignature) {
		t.Fatalf("signature %v, warnings %v", pkg.Signature.State, pkg.Warnings)
	}
	if _, err := Read(bytes.NewReader(out.Bytes()), Options{RequireSignature: true}); err == nil {
		t.Fatal("a placeholder passed as a required signature")
	}
	path := filepath.Join(t.TempDir(), "placeholder.edxml")
	os.WriteFile(path, out.Bytes(), 0o644)
	if msg, err := exec.Command(xmllint, "--noout", "--schema", "../../schemas/edxml.xsd", path).CombinedOutput(); err != nil {
		t.Fatalf("xmllint --schema: %v\n%s", err, msg)
	}
	signed := signBytes(t, buildTestPackage(t, 5000), ecdsaPKI(t).identity)
	if err := WritePlaceholderSignature(&bytes.Buffer{}, bytes.NewReader(signed), Limits{}); err == nil {
		t.Fatal("a signed package was given a placeholder as well")
	}
}
