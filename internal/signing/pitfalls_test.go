package signing

// Tests for the pdfsign pitfalls listed in the package documentation. Each one
// fails if the pitfall bites: a corrupt file (qpdf), a signature pdfsig rejects,
// or a signature our verifier does not accept.

import (
	"bytes"
	"crypto"
	"errors"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/signing/pki"
	"edms/internal/testenv"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
)

// demoTSA starts the demo timestamp authority over HTTP for one test.
func demoTSA(t testing.TB, p testPKI) string {
	t.Helper()
	tsa, err := p.root.NewTimestampAuthority("edms demo TSA")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tsa)
	t.Cleanup(srv.Close)
	return srv.URL
}

// checkAll runs qpdf, pdfsig and Verify on a signed file expecting want valid signatures.
func checkAll(t *testing.T, p testPKI, signed []byte, want int) *Report {
	t.Helper()
	path := writeTemp(t, "signed.pdf", signed)
	qpdfCheck(t, path)
	requirePdfsigValid(t, p.nssDB(t), path, want)
	rep := verifyBytes(t, p, signed)
	if !rep.Valid() || len(rep.Signatures) != want {
		t.Fatalf("Verify: want %d valid signatures: %+v", want, rep)
	}
	return rep
}

func TestPitfallNonASCIITextInSignatureDictionary(t *testing.T) {
	p := demoPKI(t)
	s := &Signer{Identity: identityOf(t, p.person), Location: "Thái Nguyên (tỉnh)"}
	var out bytes.Buffer
	err := s.SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{
		PersonBlock: PersonBlock{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Nghĩa"},
		Page:        1, Rect: leaderBlock, Reason: "Ĩ: phê duyệt \\ ban hành",
	})
	if err != nil {
		t.Fatal(err)
	}
	checkAll(t, p, out.Bytes(), 1)
	rdr, err := pdf.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	if err != nil {
		t.Fatal(err)
	}
	v := signatureFields(rdr.Trailer().Key("Root"))[0].value
	if got := v.Key("Name").Text(); got != "Nguyễn Văn Nghia" {
		t.Errorf("/Name = %q, want the name with only the unsafe ĩ folded", got)
	}
	if got := v.Key("Location").Text(); got != "Thái Nguyên [tỉnh]" {
		t.Errorf("/Location = %q", got)
	}
}

func TestPitfallRSA4096(t *testing.T) {
	p := demoPKI(t)
	big, err := p.root.IssuePerson(pki.Options{KeyBits: 4096, Subject: pki.Subject{CommonName: "Trần Thị Bình", Title: "Phó Chủ tịch"}})
	if err != nil {
		t.Fatal(err)
	}
	in := makePDF(t, 1, 0)
	block := PersonSignature{PersonBlock: PersonBlock{Position: "PHÓ CHỦ TỊCH", FullName: "Trần Thị Bình"}, Page: 1, Rect: leaderBlock}

	var refused bytes.Buffer
	err = (&Signer{Identity: identityOf(t, big)}).SignPerson(bytesDoc(in), &refused, block)
	if !errors.Is(err, ErrUnsafeInput) || refused.Len() != 0 {
		t.Fatalf("RSA-4096 without a TSA: err %v, %d bytes written; want ErrUnsafeInput and nothing", err, refused.Len())
	}
	var out bytes.Buffer
	if err := (&Signer{Identity: identityOf(t, big), TSAURL: demoTSA(t, p)}).SignPerson(bytesDoc(in), &out, block); err != nil {
		t.Fatal(err)
	}
	rep := checkAll(t, p, out.Bytes(), 1)
	if got := rep.Signatures[0].TimeSource; got != "RFC 3161 timestamp by edms demo TSA" {
		t.Errorf("time source %q, want the demo TSA's timestamp", got)
	}
}

func TestPitfallCountersignOverLargePadding(t *testing.T) {
	p := demoPKI(t)
	tsa := demoTSA(t, p)
	var first bytes.Buffer
	s := &Signer{Identity: identityOf(t, p.person), TSAURL: tsa}
	if err := s.SignPerson(bytesDoc(makePDF(t, 1, 0)), &first, PersonSignature{PersonBlock: PersonBlock{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}); err != nil {
		t.Fatal(err)
	}
	if run, _ := longestZeroRun(bytesDoc(first.Bytes())); run < 10000 {
		t.Fatalf("the first signature has only %d zero digits of padding; the test needs a large one", run)
	}
	var refused bytes.Buffer
	err := (&Signer{Identity: identityOf(t, p.agency)}).ApplySeal(bytesDoc(first.Bytes()), &refused, Seal{AgencyName: "UBND huyện Phú Lương", Page: 1})
	if !errors.Is(err, ErrUnsafeInput) || refused.Len() != 0 {
		t.Fatalf("countersign without TSA over large padding: err %v, %d bytes; want ErrUnsafeInput and nothing", err, refused.Len())
	}
	var second bytes.Buffer
	if err := (&Signer{Identity: identityOf(t, p.agency), TSAURL: tsa}).ApplySeal(bytesDoc(first.Bytes()), &second, Seal{AgencyName: "UBND huyện Phú Lương", Page: 1}); err != nil {
		t.Fatal(err)
	}
	checkAll(t, p, second.Bytes(), 2)
}

// TestPitfallCountersignOtherSoftware countersigns a PDF that poppler's pdfsig signed.
func TestPitfallCountersignOtherSoftware(t *testing.T) {
	p := demoPKI(t)
	nss := p.nssDB(t)
	dir := t.TempDir()
	p12 := filepath.Join(dir, "person.p12")
	if err := p.person.WritePKCS12(p12, "mật khẩu"); err != nil {
		t.Fatal(err)
	}
	run(t, testenv.LookTool(t, "pk12util"), "-i", p12, "-d", nss, "-W", "mật khẩu")
	in := writeTemp(t, "in.pdf", makePDF(t, 1, 0))
	popplerSigned := filepath.Join(dir, "poppler.pdf")
	nick := p.person.Cert.Subject.CommonName + " - edms demo"
	nicks := run(t, testenv.LookTool(t, "pdfsig"), "-nssdir", nss, "-list-nicks")
	if !strings.Contains(nicks, nick) {
		t.Fatalf("nickname %q not in NSS db:\n%s", nick, nicks)
	}
	out, err := exec.Command("pdfsig", "-nssdir", nss, "-add-signature", "-nick", nick, "-reason", "Ký bằng poppler", in, popplerSigned).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig -add-signature: %v\n%s", err, out)
	}
	signed := readFile(t, popplerSigned)
	var countersigned bytes.Buffer
	s := &Signer{Identity: identityOf(t, p.agency)}
	if err := s.SignPerson(bytesDoc(signed), &countersigned, PersonSignature{PersonBlock: PersonBlock{Position: "VĂN PHÒNG", FullName: "Ủy ban nhân dân huyện Phú Lương"}, Page: 1, Rect: leaderBlock}); err != nil {
		t.Fatal(err)
	}
	rep := checkAll(t, p, countersigned.Bytes(), 2)
	if rep.Signatures[0].CoversWholeDocument || len(rep.Signatures[0].LaterChanges) == 0 {
		t.Errorf("the poppler signature should be followed by permitted changes: %+v", rep.Signatures[0])
	}
}

// TestPitfallDocumentTimestamp: a pdfsign document timestamp (ETSI.RFC3161) is
// written well formed and Verify evaluates it (token signature, imprint over the
// byte range, authority chain). poppler's pdfsig disagrees on purpose: it does not
// support document timestamps and reports "Signature Type: unknown" and "not yet
// verified", while still validating the signature under it.
func TestPitfallDocumentTimestamp(t *testing.T) {
	p := demoPKI(t)
	stamped := documentTimestamp(t, p, signPerson(t, p, makePDF(t, 1, 0)), demoTSA(t, p))
	path := writeTemp(t, "timestamped.pdf", stamped)
	qpdfCheck(t, path)
	pdfsigOut, _ := pdfsigReport(t, p.nssDB(t), path)
	if !strings.Contains(pdfsigOut, "Signature Type: unknown") || strings.Count(pdfsigOut, "Signature is Valid.") != 1 {
		t.Errorf("pdfsig on a document timestamp changed its behaviour:\n%s", pdfsigOut)
	}
	rep := verifyBytes(t, p, stamped)
	if !rep.Valid() || len(rep.Signatures) != 2 {
		t.Fatalf("a trusted document timestamp over a valid signature: want both valid: %+v", rep)
	}
	if ts := rep.Signatures[1]; ts.SubFilter != "ETSI.RFC3161" || ts.Signer != "edms demo TSA" || ts.TimeSource != "document timestamp (RFC 3161)" {
		t.Errorf("timestamp report: %+v", ts)
	}
}

// documentTimestamp adds a pdfsign document timestamp from the TSA at tsaURL.
func documentTimestamp(t *testing.T, p testPKI, in []byte, tsaURL string) []byte {
	t.Helper()
	rdr, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(in), &out, rdr, int64(len(in)), sign.SignData{
		Signature:       sign.SignDataSignature{CertType: sign.TimeStampSignature},
		DigestAlgorithm: crypto.SHA256,
		TSA:             sign.TSA{URL: tsaURL},
	})
	if err != nil {
		t.Fatalf("pdfsign document timestamp: %v", err)
	}
	return out.Bytes()
}
