package conformance

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"edms/internal/liaison"
)

// factory builds the packages the kit sends: fresh DocumentIds per run
// ({From},{date},{n}/TEST-{run}) and a small distinct PDF in each document.
type factory struct {
	run  string // the run's id, base 36 of its start time
	next int
	now  func() time.Time
}

func newFactory(start time.Time) *factory {
	return &factory{run: strings.ToUpper(strconv.FormatInt(start.Unix(), 36)), now: time.Now}
}

// document is a new document package from one agency to others; its attachment
// is a one-page PDF made distinct by note.
type document struct {
	pkg  liaison.Package
	note string
}

// newDocument describes the next document of the run.
func (f *factory) newDocument(from string, to []string, subject string) *document {
	f.next++
	h := &liaison.MessageHeader{
		From:             organization(from),
		Code:             liaison.Code{Number: strconv.Itoa(f.next), Notation: "TEST-" + f.run},
		Place:            "Hà Nội",
		PromulgationDate: liaison.DateOf(f.now()),
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Công văn"},
		Subject:          subject,
		Signer:           liaison.Signer{Position: "Giám đốc", FullName: "Người Thử Nghiệm"},
	}
	for _, organ := range to {
		h.To = append(h.To, organization(organ))
	}
	h.DocumentID = liaison.DocumentID(from, h.PromulgationDate, h.Code)
	return &document{pkg: liaison.Package{Kind: liaison.KindDocument, Header: h}, note: h.DocumentID}
}

func organization(organ string) liaison.Organization {
	return liaison.Organization{OrganID: organ, OrganName: "Cơ quan " + organ}
}

// documentID is the document's edXML DocumentId.
func (d *document) documentID() string { return d.pkg.Header.DocumentID }

// unsigned writes the package, stamped at now.
func (d *document) unsigned(now time.Time) ([]byte, error) {
	var out bytes.Buffer
	if err := d.write(&out, now, strings.NewReader(onePagePDF(d.note))); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// write writes the package with pdf as its attachment, stamped at now.
func (d *document) write(w io.Writer, now time.Time, pdf io.Reader) error {
	pkg := d.pkg
	pkg.Trace = []liaison.TraceHeader{{OrganID: pkg.Header.From.OrganID, Timestamp: now.Truncate(time.Second)}}
	err := liaison.Write(w, &pkg, []liaison.AttachmentSource{{
		AttachmentMeta: liaison.AttachmentMeta{ContentID: "1", Name: "van-ban.pdf", Description: "Văn bản", ContentType: "application/pdf"},
		Body:           pdf,
	}})
	if err != nil {
		return fmt.Errorf("conformance: unable to write %s: %w", d.documentID(), err)
	}
	return nil
}

// signedFile writes the package, with a PDF of pdfSize bytes, signed by id into a
// file in dir, never holding it in memory; it returns the file's path, SHA-256
// (hex) and length.
func (d *document) signedFile(dir string, id liaison.Identity, now time.Time, pdfSize int64) (string, string, int64, error) {
	unsigned, err := os.Create(filepath.Join(dir, "unsigned.edxml"))
	if err != nil {
		return "", "", 0, fmt.Errorf("conformance: %w", err)
	}
	defer unsigned.Close()
	if err := d.write(unsigned, now, largePDF(d.note, pdfSize)); err != nil {
		return "", "", 0, err
	}
	if _, err := unsigned.Seek(0, io.SeekStart); err != nil {
		return "", "", 0, err
	}
	path := filepath.Join(dir, "signed.edxml")
	signed, err := os.Create(path)
	if err != nil {
		return "", "", 0, fmt.Errorf("conformance: %w", err)
	}
	defer signed.Close()
	sum := sha256.New()
	counted := &countingWriter{w: io.MultiWriter(signed, sum)}
	if err := liaison.Sign(counted, unsigned, id, liaison.Limits{}); err != nil {
		return "", "", 0, fmt.Errorf("conformance: unable to sign: %w", err)
	}
	return path, hex.EncodeToString(sum.Sum(nil)), counted.n, signed.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// largePDF is a one-page PDF of size bytes (at least the minimal one's), padded
// with a comment of zero bytes, streamed.
func largePDF(note string, size int64) io.Reader {
	head := strings.TrimSuffix(onePagePDF(note), "%%EOF\n") + "%"
	tail := "\n%%EOF\n"
	pad := max(0, size-int64(len(head)+len(tail)))
	return io.MultiReader(strings.NewReader(head), io.LimitReader(zeros{}, pad), strings.NewReader(tail))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// signed writes the package signed by id.
func (d *document) signed(id liaison.Identity, now time.Time) ([]byte, error) {
	unsigned, err := d.unsigned(now)
	if err != nil {
		return nil, err
	}
	return sign(unsigned, id)
}

// onePagePDF is a minimal one-page PDF whose bytes differ by note.
func onePagePDF(note string) string {
	return "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
		"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%" + note + "\n%%EOF\n"
}

// status writes a status package from an agency about a document.
func status(from string, about liaison.ResponseFor, code, description string, at time.Time) ([]byte, error) {
	pkg := liaison.Package{Kind: liaison.KindStatus, Status: &liaison.Status{
		From:        organization(from),
		ResponseFor: about,
		StatusCode:  code,
		Description: description,
		Timestamp:   at.Truncate(time.Second),
	}}
	var out bytes.Buffer
	if err := liaison.Write(&out, &pkg, nil); err != nil {
		return nil, fmt.Errorf("conformance: unable to write status %s: %w", code, err)
	}
	return out.Bytes(), nil
}

// responseFor names a document in a status package.
func responseFor(h *liaison.MessageHeader) liaison.ResponseFor {
	return liaison.ResponseFor{OrganID: h.From.OrganID, Code: h.Code.Number + "/" + h.Code.Notation, PromulgationDate: h.PromulgationDate, DocumentID: h.DocumentID}
}

func sign(unsigned []byte, id liaison.Identity) ([]byte, error) {
	var out bytes.Buffer
	if err := liaison.Sign(&out, bytes.NewReader(unsigned), id, liaison.Limits{}); err != nil {
		return nil, fmt.Errorf("conformance: unable to sign: %w", err)
	}
	return out.Bytes(), nil
}

// signInvalid signs a package that breaks field rules on purpose.
func signInvalid(unsigned []byte, id liaison.Identity) ([]byte, error) {
	var out bytes.Buffer
	if err := liaison.SignInvalid(&out, bytes.NewReader(unsigned), id, liaison.Limits{}); err != nil {
		return nil, fmt.Errorf("conformance: unable to sign: %w", err)
	}
	return out.Bytes(), nil
}

func placeholder(unsigned []byte) ([]byte, error) {
	var out bytes.Buffer
	if err := liaison.WritePlaceholderSignature(&out, bytes.NewReader(unsigned), liaison.Limits{}); err != nil {
		return nil, fmt.Errorf("conformance: unable to write the placeholder: %w", err)
	}
	return out.Bytes(), nil
}

// element matches one element of the edXML namespace written with the edXML
// prefix, as liaison.Write writes it, with its content.
func element(local string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)<edXML:` + local + `(?:\s[^>]*)?>.*?</edXML:` + local + `>`)
}

// mandatoryFields are the fields a strict receiver requires (edxml.md), each with
// how to drop it from a written package.
var mandatoryFields = []struct {
	name string
	drop func([]byte) []byte
}{
	{"From/OrganId", func(b []byte) []byte { return dropWithin(b, "From", "OrganId") }},
	{"To", func(b []byte) []byte { return element("To").ReplaceAll(b, nil) }},
	{"CodeNumber", func(b []byte) []byte { return element("CodeNumber").ReplaceAll(b, nil) }},
	{"CodeNotation", func(b []byte) []byte { return element("CodeNotation").ReplaceAll(b, nil) }},
	{"PromulgationDate", func(b []byte) []byte { return dropWithin(b, "PromulgationInfo", "PromulgationDate") }},
	{"Subject", func(b []byte) []byte { return element("Subject").ReplaceAll(b, nil) }},
}

// dropWithin removes the child element local from the first parent element.
func dropWithin(b []byte, parent, local string) []byte {
	return element(parent).ReplaceAllFunc(b, func(p []byte) []byte {
		return element(local).ReplaceAll(p, nil)
	})
}

// duplicateTo repeats the first To element.
func duplicateTo(b []byte) []byte {
	first := element("To").Find(b)
	return bytes.Replace(b, first, append(append([]byte{}, first...), first...), 1)
}

// lenient rewrites a written package the way other producers do: another prefix,
// DocumentId moved last, a dd/MM/yyyy date and an element of another namespace.
func lenient(b []byte) []byte {
	s := string(b)
	s = strings.ReplaceAll(s, "xmlns:edXML=", "xmlns:qcvn=")
	s = strings.ReplaceAll(s, "<edXML:", "<qcvn:")
	s = strings.ReplaceAll(s, "</edXML:", "</qcvn:")
	id := regexp.MustCompile(`<qcvn:DocumentId>[^<]*</qcvn:DocumentId>`).FindString(s)
	s = strings.Replace(s, id, "", 1)
	s = strings.Replace(s, "</qcvn:MessageHeader>", id+`<ext:Note xmlns:ext="urn:example:conformance">thử</ext:Note></qcvn:MessageHeader>`, 1)
	date := regexp.MustCompile(`(<qcvn:PromulgationDate>)(\d{4})/(\d{2})/(\d{2})(</qcvn:PromulgationDate>)`)
	s = date.ReplaceAllString(s, "${1}${4}/${3}/${2}${5}")
	return []byte(s)
}

// withDoctype adds a DOCTYPE with an entity declaration.
func withDoctype(b []byte) []byte {
	decl := []byte(`<!DOCTYPE edXML [<!ENTITY conformance "thử">]>`)
	if end := bytes.Index(b, []byte("?>")); bytes.HasPrefix(b, []byte("<?xml")) && end > 0 {
		return bytes.Join([][]byte{b[:end+2], decl, b[end+2:]}, nil)
	}
	return append(decl, b...)
}

// Tampering with signed packages (7.2, 7.5).

var signaturePattern = regexp.MustCompile(`(?s)<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">.*?</Signature>`)

// changeSubject changes the subject of a signed package.
func changeSubject(b []byte) []byte {
	return element("Subject").ReplaceAllFunc(b, func(s []byte) []byte {
		return bytes.Replace(s, []byte("<edXML:Subject>"), []byte("<edXML:Subject>ĐÃ SỬA "), 1)
	})
}

// changeAttachmentByte changes one byte of the first attachment, keeping the base64
// valid: one character in the middle of the encoded text becomes another.
func changeAttachmentByte(b []byte) []byte {
	loc := element("ContentTransferEncoded").FindIndex(b)
	if loc == nil {
		return b
	}
	out := bytes.Clone(b)
	i := (loc[0] + loc[1]) / 2
	for out[i] == '\n' || out[i] == '\r' || out[i] == '=' {
		i--
	}
	if out[i] == 'A' {
		out[i] = 'B'
	} else {
		out[i] = 'A'
	}
	return out
}

// secondSignature repeats the Signature element.
func secondSignature(b []byte) []byte {
	sig := signaturePattern.Find(b)
	return bytes.Replace(b, sig, append(append([]byte{}, sig...), sig...), 1)
}

// referenceByID points the signature's Reference at an Id on MessageHeader instead
// of the whole document.
func referenceByID(b []byte) []byte {
	out := bytes.Replace(b, []byte(`<Reference URI="">`), []byte(`<Reference URI="#hdr">`), 1)
	return bytes.Replace(out, []byte("<edXML:MessageHeader>"), []byte(`<edXML:MessageHeader Id="hdr">`), 1)
}

// extraMessageHeader adds an unsigned second MessageHeader with another subject
// before the signed one.
func extraMessageHeader(b []byte) []byte {
	header := element("MessageHeader").Find(b)
	forged := changeSubject(header)
	return bytes.Replace(b, header, append(append([]byte{}, forged...), header...), 1)
}

// movedHeader puts a forged MessageHeader in place of the signed one and moves the
// signed one into the Signature, where the enveloped transform hides it.
func movedHeader(b []byte) []byte {
	header := element("MessageHeader").Find(b)
	out := bytes.Replace(b, header, changeSubject(header), 1)
	object := append(append([]byte("<Object>"), header...), "</Object></Signature>"...)
	return bytes.Replace(out, []byte("</KeyInfo></Signature>"), append([]byte("</KeyInfo>"), object...), 1)
}

// withoutAttachment drops the attachment that the manifest names.
func withoutAttachment(b []byte) []byte {
	return regexp.MustCompile(`(?s)<Attachment>.*?</Attachment>`).ReplaceAll(b, nil)
}

// badBase64 puts a character outside base64 into the first attachment.
func badBase64(b []byte) []byte {
	loc := element("ContentTransferEncoded").FindIndex(b)
	if loc == nil {
		return b
	}
	out := bytes.Clone(b)
	out[(loc[0]+loc[1])/2] = '!'
	return out
}
