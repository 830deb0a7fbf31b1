package signing

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"golang.org/x/text/unicode/norm"
)

// Signer applies the signatures of Nghị định 30 with one identity.
type Signer struct {
	Identity *Identity
	// TSAURL, when set, is an RFC 3161 timestamp authority: the signing time becomes
	// trusted, and pdfsign reserves 9000 more bytes, which RSA keys above 2048 bits
	// and countersigning over a large zero padding need (see the package doc).
	TSAURL   string
	Location string           // e.g. "Thái Nguyên", written to the signature dictionary
	Clock    func() time.Time // nil: time.Now
	// Revocation, when set, makes the signature PAdES B-LT: after signing, the
	// chain and its OCSP responses (or CRLs) are added in a /DSS incremental
	// update. Signing fails rather than write a B-LT file without them.
	Revocation *RevocationChecker
}

// PersonSignature places a competent person's signature.
type PersonSignature struct {
	PersonBlock
	Page   int  // 1-based; 0 means the last page
	Rect   Rect // the signature block on the page, in points
	Reason string
}

// Seal places the agency's seal, applied by the clerk after the person signed.
type Seal struct {
	AgencyName string
	Image      []byte  // PNG of the seal; nil: SealImage(AgencyName)
	DiameterMM float64 // real size of the seal; 0: DefaultSealDiameterMM
	Page       int     // 0: the page of the signer's block (the last page)
	// SignerBlock is the person's signature block the seal overlaps; zero: the last
	// visible signature on the page.
	SignerBlock Rect
}

// DefaultSealDiameterMM is the outer diameter of an agency seal.
const DefaultSealDiameterMM = 36

// AgencyStamp is the no-image agency signature of attachments in separate files and
// of electronic copies: text lines at the top right of page 1, 10 pt, followed by
// the signing time in ISO 8601 with +07:00.
type AgencyStamp struct {
	Lines []string
}

// AttachmentStamp is the stamp of an attachment: agency, number and symbol.
func AttachmentStamp(agency, numberAndSymbol string) AgencyStamp {
	return AgencyStamp{Lines: []string{agency, "Số: " + numberAndSymbol}}
}

// CopyStamp is the stamp of an electronic copy: copy form (Sao y, Sao lục, Trích
// sao) and the copying agency.
func CopyStamp(copyForm, agency string) AgencyStamp {
	return AgencyStamp{Lines: []string{copyForm, agency}}
}

func (s *Signer) now() time.Time {
	if s.Clock != nil {
		return s.Clock()
	}
	return time.Now()
}

// SignPerson adds the competent person's visible signature to doc and writes the
// signed PDF to w. Nothing is written to w on error.
func (s *Signer) SignPerson(doc Document, w io.Writer, p PersonSignature) error {
	rdr, place, err := s.personPlacement(doc, p)
	if err != nil {
		return err
	}
	return s.sign(doc, rdr, w, place)
}

// personPlacement opens doc and lays out the person's block at the signing time.
func (s *Signer) personPlacement(doc Document, p PersonSignature) (*pdf.Reader, placement, error) {
	at := s.now()
	rdr, err := doc.open()
	if err != nil {
		return nil, placement{}, err
	}
	if p.Rect.empty() {
		return nil, placement{}, fmt.Errorf("signing: the signature block rectangle is empty")
	}
	img, err := p.image(p.Rect.Width(), p.Rect.Height(), at)
	if err != nil {
		return nil, placement{}, err
	}
	reason := p.Reason
	if reason == "" {
		reason = "Ký ban hành văn bản"
	}
	return rdr, placement{page: pageOrLast(rdr, p.Page), rect: p.Rect, image: img, name: p.FullName, reason: reason, at: at}, nil
}

// ApplySeal adds the agency's signature with the red seal image at real size,
// overlapping about one third of the person's signature image, on its left.
func (s *Signer) ApplySeal(doc Document, w io.Writer, seal Seal) error {
	rdr, err := doc.open()
	if err != nil {
		return err
	}
	page := pageOrLast(rdr, seal.Page)
	block := seal.SignerBlock
	if block.empty() {
		if block, err = lastVisibleSignature(rdr, page); err != nil {
			return err
		}
	}
	img := seal.Image
	if img == nil {
		if img, err = SealImage(seal.AgencyName); err != nil {
			return err
		}
	}
	rect := sealRect(signatureImageRect(block), seal.DiameterMM)
	return s.sign(doc, rdr, w, placement{page: page, rect: rect, image: img, name: seal.AgencyName, reason: "Đóng dấu cơ quan", at: s.now()})
}

// sealRect is a square of the seal's diameter, vertically centred on the signature
// image, whose right edge covers the left third of that image.
func sealRect(sigImage Rect, diameterMM float64) Rect {
	if diameterMM <= 0 {
		diameterMM = DefaultSealDiameterMM
	}
	d := MM(diameterMM)
	right := sigImage.LLX + sigImage.Width()/3
	cy := (sigImage.LLY + sigImage.URY) / 2
	return Rect{right - d, cy - d/2, right, cy + d/2}
}

// ApplyStamp adds the agency's no-image signature at the top right of page 1.
func (s *Signer) ApplyStamp(doc Document, w io.Writer, st AgencyStamp) error {
	at := s.now()
	rdr, err := doc.open()
	if err != nil {
		return err
	}
	page, err := pageByNumber(rdr.Trailer().Key("Root"), 1)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	lines := append(append([]string(nil), st.Lines...), at.In(VietnamZone).Format(time.RFC3339))
	box := mediaBox(page)
	// Inside the 20 mm top margin Nghị định 30 leaves above the document's header.
	const width, right, top = 230.0, 20.0, 8.0
	height := float64(len(lines))*12 + 2
	rect := Rect{box.URX - right - width, box.URY - top - height, box.URX - right, box.URY - top}
	img, err := textBlockImage(lines, width, height)
	if err != nil {
		return err
	}
	return s.sign(doc, rdr, w, placement{page: 1, rect: rect, image: img, name: s.Identity.Certificate.Subject.CommonName, reason: strings.Join(st.Lines, " - "), at: at})
}

// placement is one visible signature to add.
type placement struct {
	page   int
	rect   Rect
	image  []byte
	name   string
	reason string
	at     time.Time
}

func pageOrLast(rdr *pdf.Reader, page int) int {
	if page > 0 {
		return page
	}
	return int(rdr.Trailer().Key("Root").Key("Pages").Key("Count").Int64())
}

func lastVisibleSignature(rdr *pdf.Reader, page int) (Rect, error) {
	root := rdr.Trailer().Key("Root")
	pg, err := pageByNumber(root, page)
	if err != nil {
		return Rect{}, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	var found Rect
	for _, f := range signatureFields(root) {
		if r := widgetRect(f.widget); !r.empty() && widgetPage(f.widget) == objID(pg) {
			found = r
		}
	}
	if found.empty() {
		return Rect{}, errNoSignatureBlock
	}
	return found, nil
}

// sign runs pdfsign on doc with s.Identity and writes the result to w.
func (s *Signer) sign(doc Document, rdr *pdf.Reader, w io.Writer, p placement) error {
	// The whole file is built in memory and written to w in one call, as the very
	// last step, so a failure never leaves partial output in w.
	out, err := s.runPdfsign(doc, rdr, s.Identity, p, nil)
	if err != nil {
		return err
	}
	return s.finish(out, s.Identity.Certificate, s.Identity.Chain, w)
}

// finish writes a signed file to w, followed by the /DSS of B-LT when s.Revocation is set.
func (s *Signer) finish(signed []byte, cert *x509.Certificate, chain []*x509.Certificate, w io.Writer) error {
	if s.Revocation != nil {
		return s.addLTV(signed, append([]*x509.Certificate{cert}, chain...), w)
	}
	_, err := w.Write(signed)
	return err
}

// runPdfsign runs pdfsign on doc for id's certificate after the checks that keep
// its pitfalls away, and returns the output. external, when set, replaces the CMS
// pdfsign would build with id.Signer (see sign.SignData.ExternalCMS).
func (s *Signer) runPdfsign(doc Document, rdr *pdf.Reader, id *Identity, p placement, external func([]byte) ([]byte, error)) (out []byte, err error) {
	if err := id.CheckUsable(p.at); err != nil {
		return nil, err
	}
	signed := len(signatureFields(rdr.Trailer().Key("Root"))) > 0
	if !signed && rdr.PDFVersion < "1.5" {
		doc = NewDocument(upgradedHeader{doc.r}, doc.size)
		if rdr, err = doc.open(); err != nil {
			return nil, err
		}
	}
	if err := s.preflight(doc, id); err != nil {
		return nil, err
	}
	defer recoverAs(&err, ErrNotPDF)
	var buf bytes.Buffer
	data := s.signData(id, p)
	data.ExternalCMS = external
	if err := sign.Sign(doc.section(), &buf, rdr, doc.size, data); err != nil {
		return nil, fmt.Errorf("signing: pdfsign: %w", err)
	}
	return buf.Bytes(), nil
}

func (s *Signer) signData(id *Identity, p placement) sign.SignData {
	return sign.SignData{
		Signature: sign.SignDataSignature{
			CertType:  sign.ApprovalSignature,
			SubFilter: "ETSI.CAdES.detached", // PAdES; pdfsign adds signing-certificate-v2
			Info: sign.SignDataSignatureInfo{
				Name:     pdfsignSafe(p.name),
				Reason:   pdfsignSafe(p.reason),
				Location: pdfsignSafe(s.Location),
				Date:     p.at,
			},
		},
		Signer:            id.Signer,
		DigestAlgorithm:   crypto.SHA256,
		Certificate:       id.Certificate,
		CertificateChains: [][]*x509.Certificate{append([]*x509.Certificate{id.Certificate}, id.Chain...)},
		TSA:               sign.TSA{URL: s.TSAURL},
		Appearance: sign.Appearance{
			Visible: true, Page: uint32(p.page), Image: p.image,
			LowerLeftX: p.rect.LLX, LowerLeftY: p.rect.LLY, UpperRightX: p.rect.URX, UpperRightY: p.rect.URY,
		},
	}
}

// pdfsignSafe makes a text string safe for pdfsign, which writes a non-ASCII string
// as raw UTF-16BE bytes inside a literal (...) string without escaping: any UTF-16
// byte equal to '(' ')' '\' or CR (e.g. "ĩ" is 01 29) then corrupts the signature
// dictionary. Such characters lose their diacritic ("ĩ" → "i"); the full name stays
// intact in the certificate and in the appearance image.
func pdfsignSafe(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '(':
			r = '['
		case r == ')':
			r = ']'
		case r == '\\':
			r = '/'
		case r == '\r':
			r = ' '
		case !utf16Safe(r):
			r = baseLetter(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func utf16Safe(r rune) bool {
	for _, unit := range utf16.Encode([]rune{r}) {
		for _, b := range []byte{byte(unit >> 8), byte(unit)} {
			if b == '(' || b == ')' || b == '\\' || b == '\r' {
				return false
			}
		}
	}
	return true
}

func baseLetter(r rune) rune {
	for _, base := range norm.NFD.String(string(r)) {
		if utf16Safe(base) {
			return base
		}
		break
	}
	return '?'
}

// preflight refuses the inputs on which pdfsign would write a corrupt file.
func (s *Signer) preflight(doc Document, id *Identity) error {
	reserve := placeholderHexLen(id, s.TSAURL != "")
	if k, ok := id.Certificate.PublicKey.(*rsa.PublicKey); ok && k.Size() > 256 && s.TSAURL == "" {
		return fmt.Errorf("%w: a %d-bit RSA key makes a signature larger than the space pdfsign reserves, and its retry writes a broken cross-reference table; configure a timestamp authority (TSAURL), which reserves 9000 more bytes", ErrUnsafeInput, k.Size()*8)
	}
	run, err := longestZeroRun(doc)
	if err != nil {
		return err
	}
	if run >= reserve {
		return fmt.Errorf("%w: the file holds a run of %d zero digits (typically an earlier signature's padding), at least the %d pdfsign reserves for the new signature, so pdfsign would write the new signature there; configure a timestamp authority (TSAURL) to reserve more", ErrUnsafeInput, run, reserve)
	}
	return nil
}

// placeholderHexLen reproduces how many hex digits pdfsign reserves for /Contents
// (sign.SignPDF of the pinned version); the zero run that pdfsign searches for is
// exactly this long.
func placeholderHexLen(id *Identity, tsa bool) int {
	n := 1024 + 2*crypto.SHA256.Size()*2
	switch id.Certificate.SignatureAlgorithm.String() {
	case "DSA-SHA1":
		n += 256
	case "DSA-SHA256":
		n += 512
	case "ECDSA-SHA384":
		n += 768
	case "ECDSA-SHA512":
		n += 1024
	}
	for _, c := range append([]*x509.Certificate{id.Certificate}, id.Chain...) {
		n += 2 * (len(c.Raw) + degenerateOverhead)
	}
	n += 2 * len(id.Certificate.RawIssuer)
	if tsa {
		n += 2 * 9000
	}
	return n
}

// degenerateOverhead is the smallest number of bytes pkcs7.DegenerateCertificate
// adds around a certificate; using the minimum keeps the estimate on the safe side.
const degenerateOverhead = 30

// longestZeroRun is the longest run of '0' characters in the document.
func longestZeroRun(doc Document) (int, error) {
	buf := make([]byte, 1<<16)
	longest, run := 0, 0
	for off := int64(0); off < doc.size; {
		n, err := doc.r.ReadAt(buf, off)
		for chunk := buf[:n]; len(chunk) > 0; {
			zeros := len(chunk) - len(bytes.TrimLeft(chunk, "0"))
			run += zeros
			longest = max(longest, run)
			if zeros == len(chunk) {
				break // the run may go on in the next block
			}
			run = 0
			next := bytes.IndexByte(chunk[zeros:], '0')
			if next < 0 {
				break
			}
			chunk = chunk[zeros+next:]
		}
		off += int64(n)
		if err != nil && err != io.EOF {
			return 0, fmt.Errorf("signing: read input: %w", err)
		}
		if n == 0 {
			break
		}
	}
	return longest, nil
}

// upgradedHeader presents an unsigned PDF with a %PDF-1.7 header. pdfsign adds a
// /Version /1.5 entry to the catalog of a PDF whose header is older, and copies it
// again on the next signature, which leaves a duplicated key that qpdf reports.
// Rewriting the 8-byte header keeps every offset, and is only done before the
// first signature.
type upgradedHeader struct{ io.ReaderAt }

func (u upgradedHeader) ReadAt(p []byte, off int64) (int, error) {
	n, err := u.ReaderAt.ReadAt(p, off)
	const header = "%PDF-1.7"
	for i := off; i < int64(len(header)) && i-off < int64(n); i++ {
		p[i-off] = header[i]
	}
	return n, err
}
