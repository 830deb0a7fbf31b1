package liaison

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
)

// Identity is a signing key from any source (file, PKCS#12, PKCS#11 token) with its
// certificate chain, signer first, intermediates after; the root is optional.
type Identity struct {
	Signer crypto.Signer
	Chain  []*x509.Certificate
}

// Sign reads the unsigned package src twice: first to validate it and compute the
// exclusive-c14n SHA-256 digest of the whole document (attachments streamed through
// the digest, never held), then to copy it to dst with an enveloped XML-DSig
// Signature inserted as the last child of edXMLHeader. Nothing else changes, so the
// digest of pass one is the digest of the signed document minus its signature.
func Sign(dst io.Writer, src io.ReadSeeker, id Identity, limits Limits) error {
	method, err := signatureMethod(id)
	if err != nil {
		return err
	}
	return insertSignature(dst, src, limits, false, func(digest []byte) (string, error) {
		return signatureElement(id, method, digest)
	})
}

// SignInvalid signs like Sign a package that parses but breaks field rules (a
// missing mandatory field, a duplicate recipient, an unknown status code), so that
// a receiver's field checks can be tested behind a valid signature, as the
// conformance kit does. Nothing else may use it: edms never sends such a package.
func SignInvalid(dst io.Writer, src io.ReadSeeker, id Identity, limits Limits) error {
	method, err := signatureMethod(id)
	if err != nil {
		return err
	}
	return insertSignature(dst, src, limits, true, func(digest []byte) (string, error) {
		return signatureElement(id, method, digest)
	})
}

// placeholderSignature is the Signature the reference library writes, with empty
// values: it is what its parser expects, and it signs nothing.
const placeholderSignature = `<Signature><SignedInfo><CanonicalizationMethod Algorithm="` + algExcC14N + `"/>` +
	`<SignatureMethod Algorithm="` + algRSASHA1 + `"/><Reference URI=""><Transforms>` +
	`<Transform Algorithm="` + algEnveloped + `"/><Transform Algorithm="` + algExcC14N + `"/></Transforms>` +
	`<DigestMethod Algorithm="` + algSHA1 + `"/><DigestValue/></Reference></SignedInfo>` +
	`<SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>`

// WritePlaceholderSignature copies the unsigned package src to dst with the
// reference library's placeholder Signature (in the edXML namespace, empty), for a
// peer whose software cannot read a namespaced XML-DSig signature. The package is
// NOT signed: every reader, this one included, sees it as unsigned, and callers
// must say so to the user.
func WritePlaceholderSignature(dst io.Writer, src io.ReadSeeker, limits Limits) error {
	return insertSignature(dst, src, limits, false, func([]byte) (string, error) { return placeholderSignature, nil })
}

// insertSignature validates the unsigned package src, computing its digest, and
// copies it to dst with the element made from the digest inserted as the last
// child of edXMLHeader; with anyFields, broken field rules do not stop it.
func insertSignature(dst io.Writer, src io.ReadSeeker, limits Limits, anyFields bool, element func(digest []byte) (string, error)) error {
	pkg, sr, err := readStream(src, Options{Limits: limits.orDefaults(), Sink: DiscardSink{}, Now: time.Now})
	var invalid *InvalidError
	if err != nil && !(anyFields && sr != nil && errors.As(err, &invalid)) {
		return err
	}
	if pkg.Signature.State != SignatureNone {
		return &Error{Path: headerPath + "/Signature", Rule: RuleSignature, Err: errors.New("the package already carries a Signature")}
	}
	signature, err := element(sr.sig.documentDigest)
	if err != nil {
		return err
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.CopyN(dst, src, sr.headerEnd); err != nil {
		return err
	}
	if _, err := io.WriteString(dst, signature); err != nil {
		return err
	}
	_, err = io.Copy(dst, src)
	return err
}

func signatureMethod(id Identity) (string, error) {
	if id.Signer == nil || len(id.Chain) == 0 {
		return "", errors.New("edxml: signing needs a key and its certificate")
	}
	if !publicKeysEqual(id.Signer.Public(), id.Chain[0].PublicKey) {
		return "", errors.New("edxml: the first certificate of the chain is not the signing key's")
	}
	switch id.Signer.Public().(type) {
	case *rsa.PublicKey:
		return algRSASHA256, nil
	case *ecdsa.PublicKey:
		return algECDSASHA256, nil
	}
	return "", fmt.Errorf("edxml: unsupported key type %T", id.Signer.Public())
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// signatureElement returns the Signature element, compact so that no whitespace is
// added to the document.
func signatureElement(id Identity, method string, digest []byte) (string, error) {
	signedInfo := `<SignedInfo><CanonicalizationMethod Algorithm="` + algExcC14N + `"/>` +
		`<SignatureMethod Algorithm="` + method + `"/><Reference URI=""><Transforms>` +
		`<Transform Algorithm="` + algEnveloped + `"/><Transform Algorithm="` + algExcC14N + `"/></Transforms>` +
		`<DigestMethod Algorithm="` + algSHA256 + `"/><DigestValue>` + base64.StdEncoding.EncodeToString(digest) +
		`</DigestValue></Reference></SignedInfo>`
	canonical, err := canonicalizeFragment(signedInfo, dsigNamespace)
	if err != nil {
		return "", err
	}
	value, err := signValue(id.Signer, canonical)
	if err != nil {
		return "", fmt.Errorf("edxml: signing: %w", err)
	}
	var certs strings.Builder
	for _, c := range id.Chain {
		certs.WriteString("<X509Certificate>" + base64.StdEncoding.EncodeToString(c.Raw) + "</X509Certificate>")
	}
	return `<Signature xmlns="` + dsigNamespace + `">` + signedInfo +
		`<SignatureValue>` + base64.StdEncoding.EncodeToString(value) + `</SignatureValue>` +
		`<KeyInfo><X509Data>` + certs.String() + `</X509Data></KeyInfo></Signature>`, nil
}

// signValue signs SHA-256(canonical SignedInfo); ECDSA values are written r||s.
func signValue(signer crypto.Signer, canonical []byte) ([]byte, error) {
	sum := sha256.Sum256(canonical)
	sig, err := signer.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	key, isECDSA := signer.Public().(*ecdsa.PublicKey)
	if !isECDSA {
		return sig, nil
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		return nil, err
	}
	size := (key.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// canonicalizeFragment returns the exclusive c14n of an element written in text,
// whose unprefixed names are in defaultNS.
func canonicalizeFragment(text, defaultNS string) ([]byte, error) {
	var out bytes.Buffer
	scope := nsScope{frames: []map[string]string{{"": defaultNS}}}
	c := newCanonicalizer(&out, &scope)
	dec := xml.NewDecoder(strings.NewReader(text))
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			return out.Bytes(), nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			scope.push(t.Attr)
			err = c.start(t)
		case xml.EndElement:
			err = c.end(t.Name)
			scope.pop()
		case xml.CharData:
			err = c.text(t)
		}
		if err != nil {
			return nil, err
		}
	}
}
