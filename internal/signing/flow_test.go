package signing

import (
	"bytes"
	"image"
	"image/png"
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

// renderDir is where rendering tests leave their files: EDMS_RENDER_DIR when set
// (to look at them, and for the CLI and whole-process benchmark inputs), else a
// temporary folder.
func renderDir(t *testing.T) string {
	if dir := os.Getenv("EDMS_RENDER_DIR"); dir != "" {
		return dir
	}
	return t.TempDir()
}

// render writes pdf to dir/name.pdf and returns page 1 rendered by pdftoppm at 100 dpi.
func render(t *testing.T, dir, name string, pdfBytes []byte) image.Image {
	t.Helper()
	path := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(path, pdfBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, testenv.LookTool(t, "pdftoppm"), "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", path, filepath.Join(dir, name))
	f, err := os.Open(filepath.Join(dir, name+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// share returns the fraction of pixels of the rectangle (PDF points on an A4
// page) rendered at 100 dpi that satisfy is.
func share(img image.Image, r Rect, is func(r, g, b uint32) bool) float64 {
	const scale, pageH = 100.0 / 72, 841.89
	x0, x1 := int(r.LLX*scale), int(r.URX*scale)
	y0, y1 := int((pageH-r.URY)*scale), int((pageH-r.LLY)*scale)
	hits, all := 0, 0
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if is(cr>>8, cg>>8, cb>>8) {
				hits++
			}
			all++
		}
	}
	return float64(hits) / float64(max(all, 1))
}

func isRed(r, g, b uint32) bool  { return r > 150 && g < 110 && b < 110 }
func isBlue(r, g, b uint32) bool { return b > 110 && r < 110 && g < 130 }
func isDark(r, g, b uint32) bool { return r < 90 && g < 90 && b < 90 }

// TestRenderedPlacement renders the issued document with pdftoppm and checks where
// the colours are: the red seal left of the signature, overlapping the left third
// of the blue signature image, and nothing red elsewhere.
func TestRenderedPlacement(t *testing.T) {
	p := demoPKI(t)
	dir := renderDir(t)
	img := render(t, dir, "two-signatures", applySeal(t, p, addIssueStamp(t, signPerson(t, p, makePDF(t, 1, 0)))))
	sigImg := signatureImageRect(leaderBlock)
	seal := sealRect(sigImg, DefaultSealDiameterMM)
	third := sigImg.Width() / 3
	checks := []struct {
		what string
		rect Rect
		is   func(r, g, b uint32) bool
		min  float64
		max  float64
	}{
		{"red seal in its square", seal, isRed, 0.08, 1},
		{"red seal over the left third of the signature image", Rect{sigImg.LLX, sigImg.LLY, sigImg.LLX + third, sigImg.URY}, isRed, 0.02, 1},
		{"no red over the right two thirds of the signature image", Rect{sigImg.LLX + third + 2, sigImg.LLY, sigImg.URX, sigImg.URY}, isRed, 0, 0.001},
		{"blue signature in the right two thirds of its area", Rect{sigImg.LLX + third, sigImg.LLY, sigImg.URX, sigImg.URY}, isBlue, 0.02, 1},
		{"no red left of the seal", Rect{seal.LLX - 100, seal.LLY, seal.LLX - 2, seal.URY}, isRed, 0, 0.001},
		{"number of issue in its reserved area", issueNumberRect, isDark, 0.01, 1},
		{"date of issue in its reserved area", issueDateRect, isDark, 0.01, 1},
	}
	for _, c := range checks {
		if got := share(img, c.rect, c.is); got < c.min || got > c.max {
			t.Errorf("%s: %.3f of the pixels, want %.3f..%.3f (see %s)", c.what, got, c.min, c.max, dir)
		}
	}
	if os.Getenv("EDMS_RENDER_DIR") != "" {
		writeDemoFiles(t, p, dir)
	}
}

// TestRenderedCopyStamp checks that the no-image stamp of an electronic copy is
// black text at the top right of page 1 and that it has no seal colour.
func TestRenderedCopyStamp(t *testing.T) {
	p := demoPKI(t)
	var out bytes.Buffer
	if err := (&Signer{Identity: identityOf(t, p.agency)}).ApplyStamp(bytesDoc(makePDF(t, 1, 0)), &out, CopyStamp("SAO Y", "Văn phòng HĐND và UBND huyện Phú Lương")); err != nil {
		t.Fatal(err)
	}
	img := render(t, renderDir(t), "copy", out.Bytes())
	topRight := Rect{595.28 - 250, 841.89 - 50, 595.28 - 20, 841.89 - 8}
	if got := share(img, topRight, isDark); got < 0.01 {
		t.Errorf("top right of page 1: %.3f dark pixels, want the stamp text", got)
	}
	if got := share(img, Rect{0, 0, 595.28, 841.89}, isRed); got > 0 {
		t.Errorf("a no-image stamp must not draw a seal: %.4f red pixels", got)
	}
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
