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
// production, the demo root on a demo network; files that are not certificates
// are listed in Skipped), revocation, validity at signing time, key usage, the
// revision covered and whether it is the whole document, the later changes and
// the problems. It returns an error only when the file cannot be read (ErrNotPDF:
// not a PDF, truncated beyond repair; ErrEncrypted).
//
// The verifier reads the file only through the subpackage pdfread, which resolves
// each revision's objects as viewers do (hybrid /XRefStm, free entries, object
// streams, generations); a damaged cross-reference table is rebuilt by scanning,
// as viewers do, and listed in Report.Warnings. The /DSS, document timestamps and
// the PAdES attributes are read through the same view. Signing keeps digitorus/pdf,
// which pdfsign needs.
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
//   - The subfilter is hard-coded to adbe.pkcs7.detached. edms builds pdfsign from
//     third_party/pdfsign, a copy with two added fields (SignDataSignature.SubFilter;
//     SignData.ExternalCMS, see below), and signs ETSI.CAdES.detached: with pdfsign's signing-certificate-v2 attribute
//     that is PAdES B-B, B-T with a TSAURL. Its CMS library always adds a
//     signing-time attribute, which PAdES baseline would leave to /M.
//   - Document timestamps (ETSI.RFC3161) are written well formed; pdfsig cannot
//     validate them, Verify does (imprint over the byte range, the token's signer
//     and its chain). Signature timestamps (TSAURL): Verify checks the token
//     (signature, imprint of the signature value, chain of the certificate that
//     signed it) and then takes its time as the signing time; without one the time
//     is the signer's claim.
//
// # Two-phase personal signatures
//
// When the person's key never reaches the server (a USB token behind `edms agent`,
// a remote-signing service), signing is split in two:
//
//	prepared, err := signer.PreparePerson(doc, PersonSignature{...}, cert, chain) // no Identity needed
//	value := device.Sign(prepared.Digest)                                          // SHA-256, PKCS #1 v1.5 or ECDSA
//	err = signer.Complete(prepared, value, w)                                      // any instance: RestorePrepared
//
// PreparePerson runs pdfsign with its ExternalCMS hook: the file is laid out as by
// SignPerson (same checks, same appearance) with /Contents left zero-filled, and
// the CMS signed attributes (contentType, signingTime, messageDigest of the byte
// range, ESS signing-certificate-v2) are built here (cmsbuild.go). Complete checks
// that the byte range still hashes to messageDigest and that the value verifies
// with the certificate's key (ErrSignatureMismatch), builds the SignedData
// (certificates, SignerInfo, the timestamp token over the value when TSAURL is
// set) and writes it into the gap: one pass over the file, then /DSS with a
// RevocationChecker. CheckPersonCertificate tells whether a certificate belongs to
// a person (name, identifier), may sign, is trusted and not revoked.
//
// # PAdES B-LT and revocation
//
// A Signer with a RevocationChecker appends, after its signature, a /DSS update
// (dss.go) with the chain and an OCSP response or CRL for each certificate below
// the root, and refuses to sign with a revoked certificate. Verify takes the
// revocation policy from the TrustStore (TrustStore.Revocation: off, embedded,
// auto) and reports each certificate's CertificateStatus: embedded data (/DSS,
// adbe-revocationInfoArchival) first, then in auto mode the OCSP responders and
// CRL distribution points, fetched with a timeout, size limits and a cache until
// nextUpdate. Revoked before the signing time (or at all, when that time is not
// from a timestamp) makes the signature invalid, and so does an unknown status.
//
// # CMS shapes
//
// The CMS parser (cms.go) accepts BER (as NSS writes it), signers named by
// issuer and serial or by subject key identifier, signatures with or without
// signed attributes, RSA (PKCS #1 v1.5, PSS), ECDSA, Ed25519 and Ed448
// (cloudflare/circl: Go's x509 leaves Ed448 keys unparsed).
//
// The demo and test PKI (root CA, person and agency certificates, PKCS#12 files,
// an RFC 3161 TSA) is in the subpackage pki.
package signing
