package liaison

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/testenv"
)

// signatureOf cuts the Signature element out of a signed package.
func signatureOf(signed string) (sig, rest string) {
	start := strings.Index(signed, `<Signature xmlns="`+dsigNamespace+`">`)
	end := strings.Index(signed, "</Signature>") + len("</Signature>")
	return signed[start:end], signed[:start] + signed[end:]
}

func TestSignatureWrappingAndTamperingFail(t *testing.T) {
	pki := rsaPKI(t)
	signed := string(signBytes(t, buildTestPackage(t, 5000), pki.identity))
	sig, unsigned := signatureOf(signed)
	const subject = "<edXML:Subject>Về việc phê duyệt kế hoạch chuyển đổi số năm 2026</edXML:Subject>"
	forgedHeader := strings.Replace(signed[strings.Index(signed, "<edXML:MessageHeader>"):strings.Index(signed, "</edXML:MessageHeader>")+len("</edXML:MessageHeader>")],
		"000.00.00.H41", "000.00.00.H99", -1)
	variants := map[string]string{
		"tampered subject":    strings.Replace(signed, "chuyển đổi số", "mua sắm", 1),
		"tampered attachment": strings.Replace(signed, `">JVBER`, `">JVBES`, 1),
		// a forged MessageHeader placed first, the signed one kept after it
		"wrapped header": strings.Replace(signed, "<edXML:MessageHeader>", forgedHeader+"<edXML:MessageHeader>", 1),
		// the whole signed package hidden inside the signature, a forged one outside
		"wrapped document": strings.Replace(strings.Replace(signed, "000.00.00.H41", "000.00.00.H99", -1), "</Signature>",
			"<Object>"+strings.TrimPrefix(unsigned, `<?xml version="1.0" encoding="UTF-8"?>`)+"</Object></Signature>", 1),
		"duplicated signature": strings.Replace(signed, sig, sig+sig, 1),
		"moved signature":      strings.Replace(strings.Replace(signed, sig, "", 1), "<edXML:edXMLBody>", "<edXML:edXMLBody>"+sig, 1),
		"moved to attachments": strings.Replace(strings.Replace(signed, sig, "", 1), "<AttachmentEncoded>", "<AttachmentEncoded>"+sig, 1),
		"comment and changed text": strings.Replace(signed, subject,
			"<edXML:Subject>Về việc phê duyệt<!-- -->kế hoạch khác</edXML:Subject>", 1),
	}
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			if data == signed {
				t.Fatal("variant does not change the package")
			}
			pkg, err := Read(strings.NewReader(data), Options{Roots: pki.roots()})
			if err == nil {
				t.Fatalf("accepted: signature %v", pkg.Signature.State)
			}
			if pkg != nil && pkg.Signature.State == SignatureVerified {
				t.Fatalf("reported as verified: %v", err)
			}
			t.Logf("refused: %v", err)
		})
	}
	t.Run("comment injected keeps the signed value", func(t *testing.T) {
		// Comments are outside the canonical form, so the signature stays valid;
		// what must not happen is reading only the text before the comment.
		data := strings.Replace(signed, subject, "<edXML:Subject>Về việc phê duyệt<!-- injected --> kế hoạch chuyển đổi số năm 2026</edXML:Subject>", 1)
		pkg, err := Read(strings.NewReader(data), Options{Roots: pki.roots(), RequireSignature: true})
		if err != nil {
			t.Fatal(err)
		}
		if pkg.Header.Subject != "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026" {
			t.Fatalf("subject read as %q", pkg.Header.Subject)
		}
	})
	t.Run("untrusted signer", func(t *testing.T) {
		_, err := Read(strings.NewReader(signed), Options{Roots: ecdsaPKI(t).roots()})
		wantLocated(t, err, RuleSignature, "Signature")
	})
	t.Run("no trust anchors", func(t *testing.T) {
		pkg, err := Read(strings.NewReader(signed), Options{})
		if err != nil || pkg.Signature.State != SignatureUntrusted {
			t.Fatalf("state %v err %v", pkg.Signature.State, err)
		}
		if _, err := Read(strings.NewReader(signed), Options{RequireSignature: true}); err == nil {
			t.Fatal("RequireSignature accepted a signature checked against no trust anchor")
		}
	})
}

func TestXmlsec1AgreesOnTampering(t *testing.T) {
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	pki := rsaPKI(t)
	signed := string(signBytes(t, buildTestPackage(t, 5000), pki.identity))
	path := filepath.Join(t.TempDir(), "tampered.edxml")
	os.WriteFile(path, []byte(strings.Replace(signed, `">JVBER`, `">JVBES`, 1)), 0o644)
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", pki.writeRootPEM(t), path).CombinedOutput(); err == nil {
		t.Fatalf("xmlsec1 accepted a tampered attachment:\n%s", out)
	}
}

func TestPlaceholderSignatureIsNeverVerified(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(sharedSamples, "edoc_update.edxml"))
	if err != nil {
		testenv.Missing(t, "shared edXML samples: "+err.Error())
	}
	pki := rsaPKI(t)
	pkg, err := Read(bytes.NewReader(data), Options{Roots: pki.roots()})
	if err != nil || pkg.Signature.State != SignaturePlaceholder {
		t.Fatalf("state %v err %v", pkg.Signature.State, err)
	}
	if _, err := Read(bytes.NewReader(data), Options{Roots: pki.roots(), RequireSignature: true}); err == nil {
		t.Fatal("a placeholder signature satisfied RequireSignature")
	}
	if err := Sign(&bytes.Buffer{}, bytes.NewReader(data), pki.identity, Limits{}); err == nil {
		t.Fatal("signed a package that already has a Signature element")
	}
}
