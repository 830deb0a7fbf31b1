package signing

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/digitorus/pdf"
)

// Report is the result of verifying every signature of a document.
type Report struct {
	Size        int64             `json:"size"`
	Revisions   int               `json:"revisions"`
	Signatures  []SignatureReport `json:"signatures"`
	IssueStamps []string          `json:"issue_stamps,omitempty"`
	Problems    []string          `json:"problems,omitempty"`
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
// damaged); everything wrong with a signature is in the report.
func Verify(doc Document, trust *TrustStore) (rep *Report, err error) {
	rdr, err := doc.open()
	if err != nil {
		return nil, err
	}
	defer recoverAs(&err, ErrNotPDF)
	revisions, err := revisionEnds(doc)
	if err != nil {
		return nil, err
	}
	rep = &Report{Size: doc.size, Revisions: len(revisions)}
	fields := signatureFields(rdr.Trailer().Key("Root"))
	prefixes := newPrefixHashes(doc)
	for _, f := range fields {
		if f.value.IsNull() {
			continue // an empty signature field, not yet signed
		}
		v := &verification{doc: doc, final: rdr, trust: trust, revisions: revisions, prefixes: prefixes, report: SignatureReport{Field: f.name}}
		v.run(f.value)
		rep.Signatures = append(rep.Signatures, v.report)
		rep.IssueStamps = appendNew(rep.IssueStamps, v.stamps...)
	}
	if len(rep.Signatures) == 0 {
		rep.Problems = append(rep.Problems, "the document has no signature (no signed field in the AcroForm)")
	}
	return rep, nil
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
	final     *pdf.Reader
	trust     *TrustStore
	revisions []revision
	prefixes  *prefixHashes
	report    SignatureReport
	stamps    []string
	// timeTrusted: the signing time comes from a verified timestamp, so a
	// revocation after it does not touch the signature.
	timeTrusted bool
}

func (v *verification) problem(format string, args ...any) {
	v.report.Problems = append(v.report.Problems, fmt.Sprintf(format, args...))
}

func (v *verification) run(sigDict pdf.Value) {
	r := &v.report
	r.SubFilter = sigDict.Key("SubFilter").Name()
	if r.SubFilter != "adbe.pkcs7.detached" && r.SubFilter != "ETSI.CAdES.detached" && r.SubFilter != "ETSI.RFC3161" {
		v.problem("subfilter %q is not supported (only adbe.pkcs7.detached, ETSI.CAdES.detached and ETSI.RFC3161)", r.SubFilter)
		return
	}
	contents := []byte(sigDict.Key("Contents").RawString())
	br, ok := v.checkByteRange(sigDict.Key("ByteRange"), contents)
	if !ok {
		r.ModifiedAfterSigning = true
		return
	}
	if r.SubFilter == "ETSI.RFC3161" {
		v.runDocumentTimestamp(contents, br)
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
	v.checkLaterChanges(br[2] + br[3])
}

// maxSignatureBytes bounds the unsigned gap of a byte range (the hex /Contents):
// real CMS signatures with chains and revocation data stay far below it.
const maxSignatureBytes = 4 << 20

// checkByteRange checks that the byte range starts at 0, leaves out exactly this
// signature's /Contents hex string and ends at the end of a revision.
func (v *verification) checkByteRange(arr pdf.Value, contents []byte) ([4]int64, bool) {
	var br [4]int64
	if arr.Len() != 4 {
		v.problem("the /ByteRange is not an array of four numbers")
		return br, false
	}
	for i := range br {
		br[i] = arr.Index(i).Int64()
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

func (v *verification) describeSigner(sig *cmsSignature, sigDict pdf.Value) {
	r := &v.report
	r.Signer = sig.signer.Subject.CommonName
	r.SignerDN = sig.signer.Subject.String()
	r.Issuer = sig.signer.Issuer.CommonName
	switch {
	case !sig.signingTime.IsZero():
		r.SigningTime, r.TimeSource = sig.signingTime, "signingTime attribute (signer's clock)"
	default:
		if t, err := parsePDFDate(sigDict.Key("M").Text()); err == nil {
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
	chains, err := cert.Verify(x509.VerifyOptions{Roots: v.trust.roots, Intermediates: inter, CurrentTime: r.SigningTime, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
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
