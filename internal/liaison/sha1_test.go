package liaison

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/testenv"
)

// sha1Template is the signature older software writes: RSA-SHA1 over a SHA-1
// digest, otherwise the shape edms accepts; xmlsec1 fills it in.
const sha1Template = `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>` +
	`<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
	`<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/><Reference URI=""><Transforms>` +
	`<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
	`<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>` +
	`<DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/><DigestValue/></Reference></SignedInfo>` +
	`<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>`

// signWithXmlsec1SHA1 has xmlsec1, as another system would, sign a package with
// RSA-SHA1.
func signWithXmlsec1SHA1(t *testing.T, unsigned []byte, pki testPKI, wrapper string) []byte {
	t.Helper()
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	dir := t.TempDir()
	keyDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	var chain bytes.Buffer
	for _, c := range pki.identity.Chain {
		pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	os.WriteFile(certPath, chain.Bytes(), 0o644)
	template := filepath.Join(dir, "template.edxml")
	signature := sha1Template
	if wrapper != "" {
		signature = "<edXML:" + wrapper + ">" + signature + "</edXML:" + wrapper + ">"
	}
	os.WriteFile(template, bytes.Replace(unsigned, []byte("</edXML:edXMLHeader>"), []byte(signature+"</edXML:edXMLHeader>"), 1), 0o644)
	signed := filepath.Join(dir, "signed.edxml")
	if out, err := exec.Command(xmlsec1, "--sign", "--privkey-pem", keyPath+","+certPath, "--output", signed, template).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
	}
	data, err := os.ReadFile(signed)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRSASHA1SignatureIsVerifiedAndReportedWeak(t *testing.T) {
	pki := rsaPKI(t)
	signed := signWithXmlsec1SHA1(t, buildTestPackage(t, 200_000), pki, "")
	// xmlsec1 puts only the signer's certificate in KeyInfo, as many producers
	// do: the trust store then holds the issuing CA.
	roots := poolOf([]*x509.Certificate{pki.root, pki.intermediate})
	pkg, err := Read(bytes.NewReader(signed), Options{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Signature.State != SignatureVerified || !pkg.Signature.Weak || !hasWarning(pkg, "edXMLHeader/Signature", RuleSignature) {
		t.Fatalf("signature %+v, warnings %v", pkg.Signature, pkg.Warnings)
	}
	tampered := bytes.Replace(signed, []byte("Về việc phê duyệt"), []byte("Về việc hủy bỏ"), 1)
	_, err = Read(bytes.NewReader(tampered), Options{Roots: roots})
	if err == nil || !strings.Contains(err.Error(), "digest mismatch") {
		t.Fatalf("tampered SHA-1 package: err = %v", err)
	}
}

// TestSignatureInsideDigitalSignature reads the older layout that wraps the XML-DSig
// Signature in a DigitalSignature element: verified, with a warning; a second
// signature elsewhere is still refused.
func TestSignatureInsideDigitalSignature(t *testing.T) {
	pki := rsaPKI(t)
	roots := poolOf([]*x509.Certificate{pki.root, pki.intermediate})
	signed := signWithXmlsec1SHA1(t, buildTestPackage(t, 2000), pki, "DigitalSignature")
	pkg, err := Read(bytes.NewReader(signed), Options{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Signature.State != SignatureVerified || !hasWarning(pkg, "edXMLHeader/DigitalSignature", RuleLenient) {
		t.Fatalf("signature %v, warnings %v", pkg.Signature.State, pkg.Warnings)
	}
	i := bytes.Index(signed, []byte("<Signature "))
	j := bytes.Index(signed, []byte("</Signature>")) + len("</Signature>")
	twice := bytes.Replace(signed, []byte("</edXML:edXMLHeader>"), append(append([]byte{}, signed[i:j]...), "</edXML:edXMLHeader>"...), 1)
	if _, err := Read(bytes.NewReader(twice), Options{Roots: roots}); err == nil || !strings.Contains(err.Error(), "accepted only once") {
		t.Fatalf("two signatures: err = %v", err)
	}
}
