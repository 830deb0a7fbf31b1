package signing

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"edms/internal/signing/pdfread/pdftest"
	"edms/internal/testenv"

	"github.com/digitorus/pdf"
)

// flipInContentStream corrupts bytes in the middle of the first compressed stream
// (the page content), inside the signed range.
func flipInContentStream(t *testing.T, signed []byte) []byte {
	t.Helper()
	out := bytes.Clone(signed)
	i := bytes.Index(out, []byte("stream\n"))
	if i < 0 {
		t.Fatal("no stream in the test PDF")
	}
	for j := i + 30; j < i+40; j++ {
		out[j] ^= 0x5a
	}
	return out
}

func TestTamperedBytesFailEverywhere(t *testing.T) {
	p := demoPKI(t)
	tampered := flipInContentStream(t, signPerson(t, p, makePDF(t, 1, 0)))
	path := writeTemp(t, "tampered.pdf", tampered)

	qpdfOut, err := exec.Command(testenv.LookTool(t, "qpdf"), "--check", path).CombinedOutput()
	if err == nil && !bytes.Contains(qpdfOut, []byte("WARNING")) {
		t.Errorf("qpdf --check accepted the tampered file:\n%s", qpdfOut)
	}
	out, _ := pdfsigReport(t, p.nssDB(t), path)
	if strings.Contains(out, "Signature is Valid.") {
		t.Errorf("pdfsig accepted the tampered file:\n%s", out)
	}
	rep := verifyBytes(t, p, tampered)
	if rep.Valid() || rep.Signatures[0].DigestOK {
		t.Errorf("Verify accepted the tampered file: %+v", rep)
	}
}

// appendUpdate adds an incremental update to a signed PDF, built with the same
// writer as the issue stamp, so only the content of the change differs.
func appendUpdate(t *testing.T, signed []byte, change func(u *update, page pdf.Value)) []byte {
	t.Helper()
	doc := bytesDoc(signed)
	rdr, err := doc.open()
	if err != nil {
		t.Fatal(err)
	}
	page, err := pageByNumber(rdr.Trailer().Key("Root"), 1)
	if err != nil {
		t.Fatal(err)
	}
	u := newUpdate(doc, rdr)
	change(u, page)
	var out bytes.Buffer
	if err := u.writeTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestModifiedAfterSigning(t *testing.T) {
	p := demoPKI(t)
	signed := signPerson(t, p, makePDF(t, 1, 0))
	cases := map[string]struct {
		change func(u *update, page pdf.Value)
		want   string
	}{
		"page content added": {func(u *update, page pdf.Value) {
			extra := u.add(streamObject("", []byte("BT /F1 40 Tf 100 100 Td (KHONG CO HIEU LUC) Tj ET")))
			var b bytes.Buffer
			writeDict(&b, page, objID(page), map[string]string{"Contents": fmt.Sprintf("[ %s %d 0 R ]", refOf(page.Key("Contents")), extra)})
			u.replace(objID(page), b.Bytes())
		}, "page entry /Contents changed"},
		"free text annotation added": {func(u *update, page pdf.Value) {
			note := u.add([]byte("<< /Type /Annot /Subtype /FreeText /Rect [100 100 400 140] /Contents (Huy bo) /DA (/Helv 20 Tf 0 g) >>"))
			var b bytes.Buffer
			writeDict(&b, page, objID(page), map[string]string{"Annots": annotsWith(page, []string{fmt.Sprintf("%d 0 R", note)})})
			u.replace(objID(page), b.Bytes())
		}, "FreeText annotation was added"},
		"existing object rewritten": {func(u *update, page pdf.Value) {
			u.replace(objID(page.Key("Contents")), streamObject("", []byte("BT ET")))
		}, "was changed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			modified := appendUpdate(t, signed, c.change)
			path := writeTemp(t, "modified.pdf", modified)
			qpdfCheck(t, path) // structurally a fine PDF: only the verifier sees the problem
			pdftest.CrossCheck(t, modified)
			out, _ := pdfsigReport(t, p.nssDB(t), path)
			t.Logf("pdfsig says:\n%s", out)
			rep := verifyBytes(t, p, modified)
			sig := rep.Signatures[0]
			if rep.Valid() || !sig.ModifiedAfterSigning || !sig.DigestOK || !strings.Contains(strings.Join(sig.Problems, "; "), c.want) {
				t.Errorf("want modified after signing (%q), got %+v", c.want, sig)
			}
		})
	}
}

func refOf(v pdf.Value) string {
	var b bytes.Buffer
	writeRef(&b, v)
	return b.String()
}

func TestBytesAfterSignedRevision(t *testing.T) {
	p := demoPKI(t)
	signed := append(signPerson(t, p, makePDF(t, 1, 0)), []byte("% appended garbage\n")...)
	sig := verifyBytes(t, p, signed).Signatures[0]
	if sig.Valid() || !sig.ModifiedAfterSigning {
		t.Errorf("bytes after the signed revision must count as a modification: %+v", sig)
	}
}

// TestByteRangeGapHidesBytes moves the end of /Contents forward so that the gap of
// the byte range holds bytes that are not the signature: the digest still matches.
func TestByteRangeGapHidesBytes(t *testing.T) {
	p := demoPKI(t)
	signed := signPerson(t, p, makePDF(t, 1, 0))
	gapEnd := bytes.Index(signed, []byte("00000000>")) // the end of the zero padding
	if gapEnd < 0 {
		t.Fatal("no zero padding found")
	}
	forged := bytes.Clone(signed)
	copy(forged[gapEnd:], "00> /Z <>") // /Contents now ends 8 digits earlier
	path := writeTemp(t, "forged.pdf", forged)
	out, _ := pdfsigReport(t, p.nssDB(t), path)
	t.Logf("pdfsig says:\n%s", out)
	sig := verifyBytes(t, p, forged).Signatures[0]
	if sig.Valid() || !strings.Contains(strings.Join(sig.Problems, ";"), "gap") {
		t.Errorf("a byte range gap larger than /Contents must be reported: %+v", sig)
	}
}
