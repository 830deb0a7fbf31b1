package liaison

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/beevik/etree"
)

// XML-DSig algorithm identifiers accepted and written.
const (
	algExcC14N      = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped    = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	algSHA256       = "http://www.w3.org/2001/04/xmlenc#sha256"
	algRSASHA256    = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algSHA1         = "http://www.w3.org/2000/09/xmldsig#sha1"
	algRSASHA1      = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algECDSASHA256  = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
	signedInfoLocal = "SignedInfo"
)

// SignatureState is what can be said about a package's signature.
type SignatureState int

// Signature states. Only SignatureVerified means the package is authentic.
const (
	SignatureNone        SignatureState = iota // no Signature element
	SignaturePlaceholder                       // a Signature outside the XML-DSig namespace: unsigned
	SignatureUntrusted                         // intact, but the signer was not checked against trust anchors
	SignatureVerified                          // intact, and the signer chains to a trust anchor
	SignatureInvalid                           // broken, or the signer is not trusted
)

func (s SignatureState) String() string {
	return [...]string{"unsigned", "unsigned (placeholder Signature)", "intact, signer not checked (no trust anchors)", "verified", "INVALID"}[s]
}

// SignatureInfo is the outcome of signature verification.
type SignatureInfo struct {
	State     SignatureState
	Algorithm string
	Chain     []*x509.Certificate // signer first, as verified (or as given when untrusted)
	Problem   error               // why the signature is invalid or untrusted
	Weak      bool                // SHA-1 digest or RSA-SHA1: verified, but weak
}

func (s SignatureInfo) requireValid(require bool) error {
	if s.State == SignatureInvalid {
		return &Error{Path: headerPath + "/Signature", Rule: RuleSignature, Err: s.Problem}
	}
	if require && s.State != SignatureVerified {
		return &Error{Path: headerPath + "/Signature", Rule: RuleSignature, Err: fmt.Errorf("a verified signature is required; package is %s", s.State)}
	}
	return nil
}

// signatureCapture is what the stream kept of the XML-DSig signature.
type signatureCapture struct {
	element         *etree.Element
	signedInfo      bytes.Buffer // exclusive c14n of SignedInfo, from the same tokens as the DOM
	signedInfoCanon *canonicalizer
	documentDigest  []byte // SHA-256 of the exclusive c14n of the document minus the signature
	documentSHA1    []byte // its SHA-1, when the signature's Reference asks for it
}

// digestedWithSHA1 tells whether the captured signature's Reference uses SHA-1.
func (c *signatureCapture) digestedWithSHA1() bool {
	for _, si := range dsChildren(c.element, signedInfoLocal) {
		for _, ref := range dsChildren(si, "Reference") {
			for _, m := range dsChildren(ref, "DigestMethod") {
				if m.SelectAttrValue("Algorithm", "") == algSHA1 {
					return true
				}
			}
		}
	}
	return false
}

func (sr *streamReader) verifySignature(opts Options) SignatureInfo {
	if sr.sig.element == nil {
		if hasPlaceholderSignature(sr.doc.Root()) {
			return SignatureInfo{State: SignaturePlaceholder}
		}
		return SignatureInfo{State: SignatureNone}
	}
	info, err := checkSignature(&sr.sig)
	if err != nil {
		info.State, info.Problem = SignatureInvalid, err
		return info
	}
	if opts.Roots == nil {
		info.State, info.Problem = SignatureUntrusted, errors.New("no trust anchors configured")
		return info
	}
	chains, err := info.Chain[0].Verify(x509.VerifyOptions{
		Roots:         opts.Roots,
		Intermediates: poolOf(info.Chain[1:]),
		CurrentTime:   opts.Now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		info.State, info.Problem = SignatureInvalid, fmt.Errorf("signer certificate: %w", err)
		return info
	}
	info.State, info.Chain = SignatureVerified, chains[0]
	return info
}

func hasPlaceholderSignature(root *etree.Element) bool {
	header := child(child(root, "edXMLEnvelope"), "edXMLHeader")
	return header != nil && len(placeholderSignatures(header)) > 0
}

func poolOf(certs []*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// dsChildren returns the children of el in the XML-DSig namespace named local.
func dsChildren(el *etree.Element, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == dsigNamespace {
			out = append(out, c)
		}
	}
	return out
}

// dsOne returns the only child named local, or an error naming the problem.
func dsOne(el *etree.Element, local string) (*etree.Element, error) {
	kids := dsChildren(el, local)
	if len(kids) != 1 {
		return nil, fmt.Errorf("%s: want exactly one %s, found %d", el.Tag, local, len(kids))
	}
	return kids[0], nil
}

func algorithm(el *etree.Element, local string) (string, error) {
	m, err := dsOne(el, local)
	if err != nil {
		return "", err
	}
	return m.SelectAttrValue("Algorithm", ""), nil
}

// checkSignature verifies the digest and the signature value against the first
// certificate of KeyInfo. The only accepted shape is the one this package writes:
// one Reference to the whole document (URI=""), transforms enveloped-signature then
// exclusive c14n, SHA-256, RSA or ECDSA with SHA-256; older software's SHA-1
// digest and RSA-SHA1 are verified too and reported as weak.
func checkSignature(sig *signatureCapture) (SignatureInfo, error) {
	info := SignatureInfo{}
	signedInfo, err := dsOne(sig.element, signedInfoLocal)
	if err != nil {
		return info, err
	}
	weakDigest, err := checkReference(signedInfo, sig)
	if err != nil {
		return info, err
	}
	if c14n, err := algorithm(signedInfo, "CanonicalizationMethod"); err != nil || c14n != algExcC14N {
		return info, fmt.Errorf("SignedInfo canonicalization must be %s (got %q, %v)", algExcC14N, c14n, err)
	}
	if info.Algorithm, err = algorithm(signedInfo, "SignatureMethod"); err != nil {
		return info, err
	}
	if info.Chain, err = keyInfoCertificates(sig.element); err != nil {
		return info, err
	}
	value, err := dsOne(sig.element, "SignatureValue")
	if err != nil {
		return info, err
	}
	raw, err := decodeBase64Text(value.Text())
	if err != nil {
		return info, fmt.Errorf("SignatureValue: %w", err)
	}
	info.Weak = weakDigest || info.Algorithm == algRSASHA1
	return info, verifyValue(info.Algorithm, info.Chain[0].PublicKey, sig.signedInfo.Bytes(), raw)
}

// checkReference checks the single Reference and the document digest; weak tells
// that it is a SHA-1 digest.
func checkReference(signedInfo *etree.Element, sig *signatureCapture) (weak bool, err error) {
	ref, err := dsOne(signedInfo, "Reference")
	if err != nil {
		return false, err
	}
	if uri := ref.SelectAttr("URI"); uri == nil || uri.Value != "" {
		return false, errors.New(`Reference must cover the whole document (URI="")`)
	}
	transforms, err := dsOne(ref, "Transforms")
	if err != nil {
		return false, err
	}
	var algs []string
	for _, t := range dsChildren(transforms, "Transform") {
		algs = append(algs, t.SelectAttrValue("Algorithm", ""))
	}
	if strings.Join(algs, " ") != algEnveloped+" "+algExcC14N {
		return false, fmt.Errorf("Reference transforms must be enveloped-signature then exclusive c14n, got %v", algs)
	}
	digestMethod, err := algorithm(ref, "DigestMethod")
	if err != nil {
		return false, err
	}
	documentDigest := map[string][]byte{algSHA256: sig.documentDigest, algSHA1: sig.documentSHA1}[digestMethod]
	if documentDigest == nil {
		return false, fmt.Errorf("DigestMethod must be SHA-256 or SHA-1 (got %q)", digestMethod)
	}
	value, err := dsOne(ref, "DigestValue")
	if err != nil {
		return false, err
	}
	want, err := decodeBase64Text(value.Text())
	if err != nil {
		return false, fmt.Errorf("DigestValue: %w", err)
	}
	if !bytes.Equal(want, documentDigest) {
		return false, errors.New("digest mismatch: the package was modified after signing")
	}
	return digestMethod == algSHA1, nil
}

func keyInfoCertificates(sigEl *etree.Element) ([]*x509.Certificate, error) {
	keyInfo, err := dsOne(sigEl, "KeyInfo")
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for _, data := range dsChildren(keyInfo, "X509Data") {
		for _, c := range dsChildren(data, "X509Certificate") {
			der, err := decodeBase64Text(c.Text())
			if err != nil {
				return nil, fmt.Errorf("X509Certificate: %w", err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("X509Certificate: %w", err)
			}
			certs = append(certs, cert)
		}
	}
	if len(certs) == 0 {
		return nil, errors.New("KeyInfo carries no X509Certificate")
	}
	return certs, nil
}

func decodeBase64Text(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
}

// verifyValue checks the signature value over the canonical SignedInfo.
func verifyValue(alg string, pub crypto.PublicKey, signedInfo, value []byte) error {
	switch key := pub.(type) {
	case *rsa.PublicKey:
		hashes := map[string]crypto.Hash{algRSASHA256: crypto.SHA256, algRSASHA1: crypto.SHA1}
		h, ok := hashes[alg]
		if !ok {
			return fmt.Errorf("SignatureMethod %q does not fit an RSA key (want %s or %s)", alg, algRSASHA256, algRSASHA1)
		}
		hasher := h.New()
		hasher.Write(signedInfo)
		if err := rsa.VerifyPKCS1v15(key, h, hasher.Sum(nil), value); err != nil {
			return errors.New("SignatureValue does not match SignedInfo")
		}
		return nil
	case *ecdsa.PublicKey:
		if alg != algECDSASHA256 {
			return fmt.Errorf("SignatureMethod %q does not fit an ECDSA key (want %s)", alg, algECDSASHA256)
		}
		size := (key.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*size {
			return errors.New("ECDSA SignatureValue has the wrong length")
		}
		r, s := new(big.Int).SetBytes(value[:size]), new(big.Int).SetBytes(value[size:])
		digest := sha256.Sum256(signedInfo)
		if !ecdsa.Verify(key, digest[:], r, s) {
			return errors.New("SignatureValue does not match SignedInfo")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key type %T", pub)
}
