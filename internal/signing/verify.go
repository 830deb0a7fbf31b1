package signing

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"edms/internal/signing/pdfread"
)

// Report is the result of verifying every signature of a document.
type Report struct {
	Size        int64             `json:"size"`
	Revisions   int               `json:"revisions"`
	Signatures  []SignatureReport `json:"signatures"`
	IssueStamps []string          `json:"issue_stamps,omitempty"`
	Problems    []string          `json:"problems,omitempty"`
	// Warnings say what had to be repaired to read the file, as viewers do.
	Warnings []string `json:"warnings,omitempty"`
}

// SignatureReport describes one signature found through the AcroForm.
type SignatureReport struct {
	Field                string    `json:"field"`
	SubFilter            string    `json:"subfilter"`
	Signer               string    `json:"signer"`
	SignerDN             string    `json:"signer_dn"`
	Issuer               string    `json:"issuer"`
	SigningTime          time.Time `json:"signing_time"`
	TimeSource           string    `json:"time_source"`
	DigestOK             bool      `json:"digest_ok"`
	SignatureOK          bool      `json:"signature_ok"`
	Trusted              bool      `json:"trusted"`
	ValidAtSignTime      bool      `json:"valid_at_signing_time"`
	KeyUsageOK           bool      `json:"key_usage_ok"`
	Revision             int       `json:"revision"`
	CoversWholeDocument  bool      `json:"covers_whole_document"`
	ModifiedAfterSigning bool      `json:"modified_after_signing"`
	LaterChanges         []string  `json:"later_changes,omitempty"`
	Problems             []string  `json:"problems,omitempty"`
	// Certification is the DocMDP permission (1, 2 or 3) of a certification
	// signature, 0 for an approval signature.
	Certification int64 `json:"certification,omitempty"`
	// Changes lists every difference between the signed revision and the final
	// document, each with its object number and the policy rule that judged it.
	Changes []Change `json:"changes,omitempty"`
	// Revocation is the status of each certificate below the trust anchor in the
	// chains of the signer and of the timestamp authority, if any.
	Revocation []CertificateStatus `json:"revocation,omitempty"`
	// PAdES tells whether the signature has the PAdES baseline shape
	// (ETSI.CAdES.detached with signing-certificate-v2).
	PAdES bool `json:"pades"`
}

// Valid reports whether the signature verifies, is trusted, was made with a
// certificate valid for signing at that time and the document was not modified
// after it except by permitted changes.
func (s SignatureReport) Valid() bool {
	return s.DigestOK && s.SignatureOK && s.Trusted && s.ValidAtSignTime && s.KeyUsageOK && !s.ModifiedAfterSigning && len(s.Problems) == 0
}

// Valid reports whether the document has signatures and all of them are valid.
func (r *Report) Valid() bool {
	if len(r.Signatures) == 0 || len(r.Problems) > 0 {
		return false
	}
	for _, s := range r.Signatures {
		if !s.Valid() {
			return false
		}
	}
	return true
}

// Verify checks every signature of doc against the trust anchors. It returns an
// error only when the document cannot be read at all (not a PDF, encrypted,
// damaged beyond repair); everything wrong with a signature is in the report.
// Every revision is read as viewers read it (package pdfread).
func Verify(doc Document, trust *TrustStore) (rep *Report, err error) {
	final, err := openFinal(doc)
	if err != nil {
		return nil, err
	}
	revisions, err := revisionEnds(doc)
	if err != nil {
		return nil, err
	}
	rep = &Report{Size: doc.size, Revisions: len(revisions), Warnings: final.rd.Warnings()}
	prefixes := newPrefixHashes(doc)
	usedValues := map[uint32]string{}
	dss := readDSS(final)
	for _, f := range final.signatureFields() {
		sigDict := final.dict(f.value)
		if sigDict == nil {
			continue // an empty signature field, not signed
		}
		v := &verification{doc: doc, final: final, trust: trust, revisions: revisions, prefixes: prefixes, dss: dss, field: f, report: SignatureReport{Field: f.name}}
		if other, used := usedValues[refNum(f.value)]; used && refNum(f.value) != 0 {
			v.problem("the signature value belongs to field %q: a field that shares another field's signature is not signed", other)
		} else {
			usedValues[refNum(f.value)] = f.name
			v.run(sigDict)
		}
		rep.Signatures = append(rep.Signatures, v.report)
		rep.IssueStamps = appendNew(rep.IssueStamps, v.stamps...)
		rep.Warnings = appendNew(rep.Warnings, v.warnings...)
	}
	if len(rep.Signatures) == 0 {
		rep.Problems = append(rep.Problems, "the document has no signature (no signed field in the AcroForm)")
	}
	return rep, nil
}

// openFinal reads the whole document as viewers do and refuses what cannot be
// verified: not a PDF, encrypted, no page.
func openFinal(doc Document) (view, error) {
	head := make([]byte, 5)
	if _, err := doc.r.ReadAt(head, 0); err != nil || !bytes.Equal(head, []byte("%PDF-")) {
		return view{}, fmt.Errorf("%w: no %%PDF- header", ErrNotPDF)
	}
	final, err := openView(doc, doc.size)
	if err != nil {
		if doc.tailMentions("/Encrypt") {
			return view{}, ErrEncrypted
		}
		return view{}, err
	}
	if final.rd.Trailer()["Encrypt"] != nil {
		return view{}, ErrEncrypted
	}
	if _, ok := final.firstPage(); !ok || final.integer(final.dict(final.root()["Pages"])["Count"]) < 1 {
		return view{}, fmt.Errorf("%w: no page tree", ErrNotPDF)
	}
	return final, nil
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		found := false
		for _, l := range list {
			found = found || l == it
		}
		if !found {
			list = append(list, it)
		}
	}
	return list
}

// verification checks one signature dictionary.
type verification struct {
	doc       Document
	final     view
	field     signedField
	trust     *TrustStore
	revisions []revision
	prefixes  *prefixHashes
	report    SignatureReport
	stamps    []string
	warnings  []string           // repairs needed to read the signed revision
	dss       embeddedRevocation // the final revision's /DSS, read once
	// timeTrusted: the signing time comes from a verified timestamp, so a
	// revocation after it does not touch the signature.
	timeTrusted bool
}

func (v *verification) problem(format string, args ...any) {
	v.report.Problems = append(v.report.Problems, fmt.Sprintf(format, args...))
}

func (v *verification) run(sigDict pdfread.Dict) {
	r := &v.report
	r.SubFilter = v.final.name(sigDict["SubFilter"])
	if r.SubFilter != "adbe.pkcs7.detached" && r.SubFilter != "ETSI.CAdES.detached" && r.SubFilter != "ETSI.RFC3161" {
		v.problem("subfilter %q is not supported (only adbe.pkcs7.detached, ETSI.CAdES.detached and ETSI.RFC3161)", r.SubFilter)
		return
	}
	contents := v.final.bytes(sigDict["Contents"])
	br, ok := v.checkByteRange(v.final.array(sigDict["ByteRange"]), contents)
	if !ok {
		r.ModifiedAfterSigning = true
		return
	}
	signed, err := openView(v.doc, br[2]+br[3])
	if err != nil {
		v.problem("the signed revision cannot be read on its own: %v", err)
		return
	}
	for _, w := range signed.rd.Warnings() {
		v.warnings = append(v.warnings, fmt.Sprintf("revision %d, signed by field %q: %s", r.Revision, r.Field, w))
	}
	v.checkFieldWasSigned(signed)
	if r.SubFilter == "ETSI.RFC3161" {
		v.runDocumentTimestamp(contents, br, signed)
		return
	}
	sig, err := parseCMS(contents)
	if err != nil {
		v.problem("%v", err)
		return
	}
	v.describeSigner(sig, sigDict)
	v.checkCMS(sig, br)
	v.checkCertificate(sig)
	r.Certification = v.final.docMDP(sigDict)
	v.checkLaterChanges(signed, br[2]+br[3], r.Certification)
}

// checkFieldWasSigned requires the field to hold the same signature value in
// the revision the signature covers: a value attached to another field later
// does not make that field signed.
func (v *verification) checkFieldWasSigned(signed view) {
	for _, f := range signed.signatureFields() {
		if f.object == v.field.object && refNum(f.value) == refNum(v.field.value) {
			return
		}
	}
	v.report.ModifiedAfterSigning = true
	c := Change{Object: v.field.object, Rule: ruleFieldNotInSigned.id, Detail: fmt.Sprintf("field %q does not hold this signature in the revision it signs", v.field.name)}
	v.report.Changes = append(v.report.Changes, c)
	v.problem("modified after signing: %s", c)
}

// docMDP is the /P of a certification signature's DocMDP transform, 0 if none.
func (v view) docMDP(sigDict pdfread.Dict) int64 {
	for _, ref := range v.array(sigDict["Reference"]) {
		d := v.dict(ref)
		if v.name(d["TransformMethod"]) != "DocMDP" {
			continue
		}
		if p := v.integer(v.dict(d["TransformParams"])["P"]); p >= 1 && p <= 3 {
			return p
		}
		return 2 // the default of ISO 32000-1 Table 254
	}
	return 0
}

// maxSignatureBytes bounds the unsigned gap of a byte range (the hex /Contents):
// real CMS signatures with chains and revocation data stay far below it.
const maxSignatureBytes = 4 << 20

// checkByteRange checks that the byte range starts at 0, leaves out exactly this
// signature's /Contents hex string and ends at the end of a revision.
func (v *verification) checkByteRange(arr pdfread.Array, contents []byte) ([4]int64, bool) {
	var br [4]int64
	if len(arr) != 4 {
		v.problem("the /ByteRange is not an array of four numbers")
		return br, false
	}
	for i := range br {
		br[i] = v.final.integer(arr[i])
	}
	end := br[2] + br[3]
	if br[0] != 0 || br[1] <= 0 || br[2] <= br[1] || br[3] < 0 || end > v.doc.size {
		v.problem("the /ByteRange %v does not describe this file", br)
		return br, false
	}
	if br[2]-br[1] > maxSignatureBytes {
		v.problem("the /ByteRange leaves %d bytes unsigned, more than any signature needs", br[2]-br[1])
		return br, false
	}
	gap := make([]byte, br[2]-br[1])
	if _, err := v.doc.r.ReadAt(gap, br[1]); err != nil {
		v.problem("cannot read the signature value: %v", err)
		return br, false
	}
	if len(gap) < 2 || gap[0] != '<' || gap[len(gap)-1] != '>' || !hexEquals(gap[1:len(gap)-1], contents) {
		v.problem("the gap in the /ByteRange is not exactly the signature's /Contents: unsigned bytes could hide there")
		return br, false
	}
	rev := revisionIndex(v.revisions, end)
	if rev == 0 {
		v.problem("the signed range ends at byte %d, which is not the end of a revision", end)
		return br, false
	}
	v.report.Revision = rev
	v.report.CoversWholeDocument = end == v.doc.size
	return br, true
}

func hexEquals(hexDigits, want []byte) bool {
	got := make([]byte, hex.DecodedLen(len(hexDigits)))
	n, err := hex.Decode(got, hexDigits)
	return err == nil && bytes.Equal(got[:n], want)
}

func (v *verification) describeSigner(sig *cmsSignature, sigDict pdfread.Dict) {
	r := &v.report
	r.Signer = sig.signer.Subject.CommonName
	r.SignerDN = sig.signer.Subject.String()
	r.Issuer = sig.signer.Issuer.CommonName
	switch {
	case !sig.signingTime.IsZero():
		r.SigningTime, r.TimeSource = sig.signingTime, "signingTime attribute (signer's clock)"
	default:
		if t, err := parsePDFDate(v.final.text(sigDict["M"])); err == nil {
			r.SigningTime, r.TimeSource = t, "/M entry (signer's clock)"
		}
	}
	if sig.timestamp != nil {
		v.useTimestamp(sig)
	}
	if r.SigningTime.IsZero() {
		r.SigningTime, r.TimeSource = time.Now(), "none given; checked at verification time"
	}
}

func (v *verification) checkCertificate(sig *cmsSignature) {
	r := &v.report
	cert := sig.signer
	if err := checkSigningCertificate(cert, r.SigningTime); err == nil {
		r.ValidAtSignTime, r.KeyUsageOK = true, true
	} else {
		r.KeyUsageOK = cert.KeyUsage == 0 || cert.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment) != 0
		r.ValidAtSignTime = !r.SigningTime.Before(cert.NotBefore) && !r.SigningTime.After(cert.NotAfter)
		v.problem("%v", err)
	}
	if v.trust == nil {
		v.problem("no trust store configured: the certificate chain was not checked")
		return
	}
	inter := x509.NewCertPool()
	embedded := v.embeddedRevocation(sig)
	for _, c := range append(sig.certs, embedded.certs...) {
		inter.AddCert(c)
	}
	chains, err := cert.Verify(x509.VerifyOptions{Roots: v.trust.rootPool(), Intermediates: inter, CurrentTime: r.SigningTime, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		v.problem("certificate not trusted: %v", err)
		return
	}
	r.Trusted = true
	v.checkRevocation(chains[0], embedded)
}

// parsePDFDate reads a PDF date such as D:20261126093000+07'00'.
func parsePDFDate(s string) (time.Time, error) {
	s = strings.TrimPrefix(s, "D:")
	if len(s) >= 14 {
		tz := time.UTC
		if len(s) >= 20 && (s[14] == '+' || s[14] == '-') {
			var h, m int
			fmt.Sscanf(s[15:17]+" "+s[18:20], "%d %d", &h, &m)
			off := h*3600 + m*60
			if s[14] == '-' {
				off = -off
			}
			tz = time.FixedZone("", off)
		}
		return time.ParseInLocation("20060102150405", s[:14], tz)
	}
	return time.Time{}, fmt.Errorf("bad PDF date %q", s)
}
