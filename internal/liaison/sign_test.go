package liaison

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
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
