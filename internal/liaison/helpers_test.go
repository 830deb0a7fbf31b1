package liaison

import (
	"archive/zip"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// testPKI is a throwaway CA: root, intermediate, and a signer under it.
type testPKI struct {
	root, intermediate *x509.Certificate
	identity           Identity
}

var serial int64

func issue(t testing.TB, template *x509.Certificate, parent *x509.Certificate, parentKey crypto.Signer, key crypto.Signer) *x509.Certificate {
	t.Helper()
	serial++
	template.SerialNumber = big.NewInt(serial)
	template.NotBefore = time.Now().Add(-time.Hour)
	template.NotAfter = time.Now().Add(24 * time.Hour)
	if parent == nil {
		parent, parentKey = template, key
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: name, Organization: []string{"edms test"}}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
}

// newPKI makes a root and an intermediate (ECDSA) and a signer with the given key.
func newPKI(t testing.TB, signerKey crypto.Signer) testPKI {
	t.Helper()
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	interKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	root := issue(t, caTemplate("edms test root"), nil, nil, rootKey)
	inter := issue(t, caTemplate("edms test issuing CA"), root, rootKey, interKey)
	leaf := issue(t, &x509.Certificate{Subject: pkix.Name{CommonName: "Văn thư UBND tỉnh", Organization: []string{"edms test"}},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}, inter, interKey, signerKey)
	return testPKI{root: root, intermediate: inter, identity: Identity{Signer: signerKey, Chain: []*x509.Certificate{leaf, inter}}}
}

var rsaKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func rsaPKI(t testing.TB) testPKI { return newPKI(t, rsaKey) }

func ecdsaPKI(t testing.TB) testPKI {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return newPKI(t, k)
}

func (p testPKI) roots() *x509.CertPool { return poolOf([]*x509.Certificate{p.root}) }

// writeRootPEM writes the root certificate for xmlsec1 --trusted-pem.
func (p testPKI) writeRootPEM(t testing.TB) string {
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.root.Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// testDocument is a valid outgoing document of this project.
func testDocument() *Package {
	issued := Date{2026, time.March, 2}
	code := Code{"15", "QĐ-UBND"}
	return &Package{
		Kind: KindDocument,
		Header: &MessageHeader{
			From:             Organization{OrganID: "000.00.00.H41", OrganName: "UBND tỉnh Nghệ An", OrganizationInCharge: "UBND tỉnh Nghệ An", OrganAdd: "Số 03, đường Trường Thi, TP Vinh", Email: "nghean@gov.vn"},
			To:               []Organization{{OrganID: "000.00.11.H41", OrganName: "Sở Tài chính & Kế hoạch <Nghệ An>"}, {OrganID: "000.00.00.G22", OrganName: "Văn phòng Chính phủ"}},
			DocumentID:       DocumentID("000.00.00.H41", issued, code),
			Code:             code,
			Place:            "Nghệ An",
			PromulgationDate: issued,
			DocumentType:     DocumentType{Type: 1, TypeName: "Quyết định"},
			Subject:          "Về việc phê duyệt kế hoạch chuyển đổi số năm 2026",
			Content:          "Phê duyệt kế hoạch",
			Signer:           Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn A"},
			DueDate:          Date{2026, time.March, 20},
			OtherInfo:        OtherInfo{Priority: 1, PageAmount: 3, PromulgationAmount: 1, Appendixes: []string{"Phụ lục I"}},
			SteeringType:     1,
			ToPlaces:         []string{"Như trên", "Lưu: VT"},
		},
		Trace:    []TraceHeader{{OrganID: "000.00.00.H41", Timestamp: time.Date(2026, 3, 2, 9, 30, 0, 0, vietnam)}},
		Business: &Business{DocType: BusinessNew, Reason: "Văn bản điện tử mới", Staff: StaffInfo{Department: "Văn thư", Staff: "Trần Thị B"}},
	}
}

// testPDF returns a small PDF-looking body of n bytes.
func testPDF(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	copy(b, "%PDF-1.7\n")
	return b
}

func testZip(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("phu-luc.odg")
	w.Write([]byte("drawing"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testFiles returns the attachments of testDocument.
func testFiles(t testing.TB, pdf []byte) []AttachmentSource {
	return []AttachmentSource{
		{AttachmentMeta{ContentID: "1", Name: "15-QD-UBND.pdf", Description: "Quyết định", ContentType: "application/pdf"}, bytes.NewReader(pdf)},
		{AttachmentMeta{ContentID: "2", Name: "phu-luc.odg", Description: "Phụ lục", ContentType: "application/zip"}, bytes.NewReader(testZip(t))},
	}
}

func buildTestPackage(t testing.TB, pdfSize int) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Write(&out, testDocument(), testFiles(t, testPDF(pdfSize))); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func signBytes(t testing.TB, unsigned []byte, id Identity) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := Sign(&out, bytes.NewReader(unsigned), id, Limits{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func itoa(n int) string { return strconv.Itoa(n) }
