// Package signing signs PDF documents as Nghị định 30/2020 (Phụ lục I) asks and
// verifies the signatures a clerk receives. Signing goes through
// github.com/digitorus/pdfsign (the pinned version), wrapped so that its known
// pitfalls cannot produce a broken file; verification is this package's own and
// checks what pdfsign does not.
//
// # Identities
//
// An Identity is a crypto.Signer with its certificate and issuing chain:
//
//	id, err := signing.LoadPKCS12("agency.p12", password)      // password never logged
//	cfg, err := signing.ParseTokenURI("pkcs11:token=T;object=K?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin")
//	id, err := signing.OpenToken(cfg)                           // key stays on the token; defer id.Close()
//	id, err := signing.NewIdentity(anySigner, cert, chain)
//
// Every signing call first checks Identity.CheckUsable at the signing time and
// refuses, wrapping ErrCertificateNotUsable, a certificate that is expired, not yet
// valid, a CA, or without digitalSignature/nonRepudiation. A wrong PKCS#12 password
// is ErrBadPassword; a token or key that is not present is ErrTokenNotFound.
//
// # The three appearances and the issuing flow
//
// A Signer (Identity, optional RFC 3161 TSAURL, Location) adds one signature per call:
//
//   - SignPerson: the competent person's block (Rect on Page, in points): position on
//     top, the blue handwritten-signature image centred, full name, "Ký số:" time in
//     +07:00. PersonBlock.Signature takes the person's uploaded PNG; without it
//     SignatureImage generates an honest placeholder (a blue flourish with the name).
//   - ApplySeal: the agency's red seal at real size (DefaultSealDiameterMM = 36 mm),
//     vertically centred on the person's signature image with its right edge over the
//     left third of that image. The block is found from the last visible signature
//     on the page unless Seal.SignerBlock is given. SealImage generates a
//     placeholder (double ring, agency name around it, star) unless Seal.Image is set.
//   - ApplyStamp: the no-image agency signature of attachments (AttachmentStamp:
//     agency, "Số: number/symbol") and electronic copies (CopyStamp: copy form,
//     agency) at the top right of page 1, 10 pt black, with the time in ISO 8601
//     +07:00. The text is drawn into an image too, so Vietnamese renders everywhere.
//
// Text is rendered into PNG by the package with golang.org/x/image and the system's
// Liberation Serif (metric twin of Times New Roman) or DejaVu Serif (FontDirs).
//
// Input is a Document: NewDocument(io.ReaderAt, size) for bytes from PostgreSQL, or
// OpenFile(path). Output goes to an io.Writer, written once and only on success;
// WriteFile(path, fn) runs fn into a temporary file and renames it, so a failure
// leaves no output file.
//
// The documents package issues a document in three steps:
//
//  1. leader:  signer.SignPerson(doc, w, PersonSignature{...})
//  2. system:  AddIssueStamp(doc, w, NumberAndDate("12/QĐ-UBND", numberRect, "Phú Lương", issued, dateRect))
//  3. clerk:   agencySigner.ApplySeal(doc, w, Seal{AgencyName: ...})
//
// Step 2 writes the number and date into the areas the document reserves for them
// as an incremental update holding only Stamp annotations marked /EdmsStamp
// /IssueNumber and the page's /Annots: the bytes the leader signed are untouched, so
// the leader's signature stays valid; Verify recognises exactly this change as
// permitted and lists the stamp texts in Report.IssueStamps; the agency signature
// of step 3 covers the stamp.
//
// # Verification
//
// Verify(doc, trust) finds signatures through the AcroForm signature fields (never
// by scanning for /Filter) and returns a Report with a SignatureReport per
// signature: signer, signing time and its source, digest, CMS signature, chain to
// the TrustStore (LoadTrustStore(dir) of PEM/DER anchors: the national roots in
// production, the demo root on a demo network), validity at signing time, key
// usage, the revision covered and whether it is the whole document, the later
// changes and the problems. It returns an error only when the file cannot be read
// (ErrNotPDF: not a PDF, truncated beyond repair; ErrEncrypted).
//
// The verifier reads the file only through the subpackage pdfread, which resolves
// each revision's objects as viewers do (hybrid /XRefStm, free entries, object
// streams, generations); a damaged cross-reference table is rebuilt by scanning,
// as viewers do, and listed in Report.Warnings. Signing keeps digitorus/pdf, which
// pdfsign needs.
//
// "Modified after signing" is decided by comparing the signed revision with the
// final document object by object, by meaning (a rewrite with the same content
// is no change), and judging each difference by the change policy declared in
// policy.go: new signature fields (in the AcroForm, without actions; an unsigned
// one without a visible appearance, a signed one with an appearance no larger
// than its rectangle), signing a field that was empty, document timestamps, /DSS and /VRI, XMP /Metadata, /Extensions, /Perms,
// /AcroForm bookkeeping, the document information dictionary and the project's
// issue stamp are allowed; page content and resources, other annotations,
// rewritten appearance streams, freed objects, a replaced catalog's other
// entries, damage in a later revision and anything else are refused. Roles come
// from the signed revision, and bookkeeping roles (/Info, /DSS, /Metadata...)
// never extend to objects the pages also use. A
// certification signature's DocMDP /P narrows the allowed rules (policy.go).
// Every change is in SignatureReport.Changes with its object number and rule. A
// field whose value is not the one it held in the revision that value signs, or
// that shares another field's value, is never reported as signed. Bytes after the
// signed revision that are not a new revision, a /ByteRange gap that is more than
// the signature's /Contents, or a range that does not end at a revision boundary
// make the signature invalid. Report.Valid is true only when every signature is
// valid and trusted.
//
// # pdfsign pitfalls (version v0.0.0-20250819064552-5f74f69dda1d)
//
// Each is covered by a test in pitfalls_test.go or tamper_test.go.
//
//   - Non-ASCII text in /Name, /Reason, /Location is written as raw UTF-16BE in a
//     literal string without escaping: "ĩ" (U+0129) contains the byte ')' and
//     corrupts the dictionary (qpdf: "expected dictionary key"). pdfsignSafe folds
//     only the characters whose UTF-16 bytes are ( ) \ or CR to their base letter;
//     the full name stays in the certificate and the appearance image.
//   - RSA keys above 2048 bits overflow the space pdfsign reserves for /Contents; its
//     retry re-runs with stale cross-reference entries and writes a broken xref
//     table. Such keys are refused (ErrUnsafeInput) unless a TSA is configured,
//     which makes pdfsign reserve 9000 bytes more.
//   - pdfsign finds its placeholder as the first run of zeros of the right length
//     in the whole file, so an earlier signature padded with at least that many
//     zeros receives the new signature. The longest run of '0' is measured before
//     signing and such inputs are refused (ErrUnsafeInput) unless a TSA reserve
//     makes the placeholder longer than that run.
//   - A PDF older than 1.5 gets /Version /1.5 in its catalog, copied again by the
//     next signature as a duplicated key. Before the first signature the header is
//     presented as %PDF-1.7 (same length, offsets unchanged).
//   - pdfsign rewrites the signed page with its /Resources inlined, which the
//     verifier compares semantically rather than byte for byte.
//   - The subfilter is adbe.pkcs7.detached, not PAdES (ETSI.CAdES.detached): no
//     PAdES baseline profile, no DSS/LTV. The verifier accepts both subfilters.
//   - Document timestamps (ETSI.RFC3161) are written well formed, but pdfsig cannot
//     validate them and this verifier does not evaluate timestamp tokens: a document
//     timestamp is reported with a problem and never counts as a valid signature.
//     Signature timestamps (TSAURL) work: Verify checks the token (signature,
//     imprint of the signature value, TSA chain to the trust anchors) and then takes
//     its time as the signing time; without one the time is the signer's claim.
//
// The demo and test PKI (root CA, person and agency certificates, PKCS#12 files,
// an RFC 3161 TSA) is in the subpackage pki.
package signing
