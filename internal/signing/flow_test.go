package signing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/signing/pki"
	"edms/internal/testenv"
)

func signPerson(t testing.TB, p testPKI, in []byte) []byte {
	t.Helper()
	s := &Signer{Identity: identityOf(t, p.person), Location: "Thái Nguyên"}
	var out bytes.Buffer
	err := s.SignPerson(bytesDoc(in), &out, PersonSignature{
		PersonBlock: PersonBlock{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn Nghĩa"},
		Page:        1, Rect: leaderBlock,
	})
	if err != nil {
		t.Fatalf("SignPerson: %v", err)
	}
	return out.Bytes()
}

func applySeal(t testing.TB, p testPKI, in []byte) []byte {
	t.Helper()
	s := &Signer{Identity: identityOf(t, p.agency)}
	var out bytes.Buffer
	if err := s.ApplySeal(bytesDoc(in), &out, Seal{AgencyName: "Ủy ban nhân dân huyện Phú Lương", Page: 1}); err != nil {
		t.Fatalf("ApplySeal: %v", err)
	}
	return out.Bytes()
}

func addIssueStamp(t testing.TB, in []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	st := NumberAndDate("12/QĐ-UBND", issueNumberRect, "Phú Lương", time.Date(2026, 11, 26, 9, 0, 0, 0, VietnamZone), issueDateRect)
	if err := AddIssueStamp(bytesDoc(in), &out, st); err != nil {
		t.Fatalf("AddIssueStamp: %v", err)
	}
	return out.Bytes()
}

func TestTwoSignatureFlow(t *testing.T) {
	p := demoPKI(t)
	nss := p.nssDB(t)
	leader := signPerson(t, p, makePDF(t, 1, 0))
	leaderPath := writeTemp(t, "leader.pdf", leader)
	qpdfCheck(t, leaderPath)
	requirePdfsigValid(t, nss, leaderPath, 1)

	stamped := addIssueStamp(t, leader)
	stampedPath := writeTemp(t, "stamped.pdf", stamped)
	qpdfCheck(t, stampedPath)
	out, err := pdfsigReport(t, nss, stampedPath)
	if err != nil || !strings.Contains(out, "Signature is Valid.") {
		t.Fatalf("pdfsig after the issue stamp: %v\n%s", err, out)
	}

	sealed := applySeal(t, p, stamped)
	sealedPath := writeTemp(t, "sealed.pdf", sealed)
	qpdfCheck(t, sealedPath)
	t.Log(requirePdfsigValid(t, nss, sealedPath, 2))
}

// TestRenderTwoSignatures writes the two-signature PDF and its pdftoppm rendering
// to EDMS_RENDER_DIR, for a person to look at the placement, together with the
// demo credentials (password "demo"), the trust store and unsigned inputs of 1 and
// 10 MB for trying the CLI and for the whole-process benchmark in BENCHMARKS.md.
func TestRenderTwoSignatures(t *testing.T) {
	dir := os.Getenv("EDMS_RENDER_DIR")
	if dir == "" {
		t.Skip("set EDMS_RENDER_DIR to write the rendering")
	}
	p := demoPKI(t)
	sealed := applySeal(t, p, addIssueStamp(t, signPerson(t, p, makePDF(t, 1, 0))))
	path := filepath.Join(dir, "two-signatures.pdf")
	if err := os.WriteFile(path, sealed, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, testenv.LookTool(t, "pdftoppm"), "-png", "-r", "100", path, filepath.Join(dir, "two-signatures"))
	writeDemoFiles(t, p, dir)
}

func writeDemoFiles(t *testing.T, p testPKI, dir string) {
	for name, cred := range map[string]*pki.Credential{"person.p12": p.person, "agency.p12": p.agency} {
		if err := cred.WritePKCS12(filepath.Join(dir, name), "demo"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "trust"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteCertPEM(filepath.Join(dir, "trust", "root.pem"), p.root.Cert); err != nil {
		t.Fatal(err)
	}
	for name, noise := range map[string]int{"input.pdf": 0, "input-1mb.pdf": 1 << 20, "input-10mb.pdf": 10 << 20} {
		if err := os.WriteFile(filepath.Join(dir, name), makePDF(t, 1, noise), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func verifyBytes(t testing.TB, p testPKI, b []byte) *Report {
	t.Helper()
	rep, err := Verify(bytesDoc(b), NewTrustStore(p.root.Cert))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return rep
}

func TestVerifyTwoSignatureFlow(t *testing.T) {
	p := demoPKI(t)
	leader := signPerson(t, p, makePDF(t, 1, 0))
	stamped := addIssueStamp(t, leader)
	sealed := applySeal(t, p, stamped)
	for name, doc := range map[string][]byte{"leader": leader, "stamped": stamped, "sealed": sealed} {
		rep := verifyBytes(t, p, doc)
		if !rep.Valid() {
			t.Errorf("%s: not valid: %+v", name, rep)
		}
	}
	rep := verifyBytes(t, p, sealed)
	if len(rep.Signatures) != 2 || rep.Signatures[0].Signer != "Nguyễn Văn Nghĩa" || rep.Signatures[1].Signer != "Ủy ban nhân dân huyện Phú Lương" {
		t.Fatalf("signatures: %+v", rep.Signatures)
	}
	first, second := rep.Signatures[0], rep.Signatures[1]
	if first.CoversWholeDocument || first.Revision != 2 || !second.CoversWholeDocument || second.Revision != 4 {
		t.Errorf("revisions: first %d whole=%v, second %d whole=%v", first.Revision, first.CoversWholeDocument, second.Revision, second.CoversWholeDocument)
	}
	if len(rep.IssueStamps) != 2 || rep.IssueStamps[0] != "Số: 12/QĐ-UBND" {
		t.Errorf("issue stamps: %q", rep.IssueStamps)
	}
	t.Logf("%+v", first.LaterChanges)
}

// TestRenderCopyStamp renders the no-image stamp of an electronic copy to
// EDMS_RENDER_DIR.
func TestRenderCopyStamp(t *testing.T) {
	dir := os.Getenv("EDMS_RENDER_DIR")
	if dir == "" {
		t.Skip("set EDMS_RENDER_DIR to write the rendering")
	}
	p := demoPKI(t)
	var out bytes.Buffer
	if err := (&Signer{Identity: identityOf(t, p.agency)}).ApplyStamp(bytesDoc(makePDF(t, 1, 0)), &out, CopyStamp("SAO Y", "Văn phòng HĐND và UBND huyện Phú Lương")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "copy.pdf")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, testenv.LookTool(t, "pdftoppm"), "-png", "-r", "100", path, filepath.Join(dir, "copy"))
}
