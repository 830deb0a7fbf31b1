package signing

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/digitorus/pdfsign/sign"
	"github.com/digitorus/timestamp"
)

// Two-phase personal signatures: the person's key stays on their device (a USB
// token behind `edms agent`, or a remote-signing service), so the server lays the
// signature out first (PreparePerson), the device signs PreparedSignature.Digest,
// and the value is embedded later, possibly by another instance (Complete).

// ErrSignatureMismatch means the value handed to Complete is not a signature of
// the prepared data by the certificate's key, or the prepared file changed.
var ErrSignatureMismatch = errors.New("signing: the signature value does not match the prepared data")

// PreparedSignature is a PDF laid out for a signature whose value comes from elsewhere.
type PreparedSignature struct {
	PDF              []byte   // the file with the signature field, appearance and dictionary; /Contents all zeros
	ByteRange        [4]int64 // what the signature covers: PDF without the /Contents gap
	SignedAttributes []byte   // DER of the CMS signed attributes (SET OF, tag 0x31): contentType, signingTime(At), messageDigest, signingCertificateV2
	Hash             crypto.Hash
	Digest           []byte // Hash(SignedAttributes): what the key signs
	Certificate      *x509.Certificate
	Chain            []*x509.Certificate // issuers, leaf excluded
	At               time.Time
}

// PreparePerson lays out the person's signature like SignPerson, for the
// certificate's key: the appearance, field and signature dictionary are written,
// /Contents is left zero-filled, and the signed attributes (signingTime At,
// messageDigest of the byte range) and their digest are computed. s.Identity is
// not used (may be nil); s.Clock gives At; s.TSAURL reserves room for the
// timestamp Complete adds. The checks of SignPerson apply (certificate usable at
// At, pdfsign's pitfalls).
func (s *Signer) PreparePerson(doc Document, p PersonSignature, cert *x509.Certificate, chain []*x509.Certificate) (*PreparedSignature, error) {
	if cert == nil {
		return nil, errors.New("signing: prepare needs the signer's certificate")
	}
	if _, err := signatureAlgorithm(cert); err != nil {
		return nil, err
	}
	rdr, place, err := s.personPlacement(doc, p)
	if err != nil {
		return nil, err
	}
	var attrs []byte
	layOut := func(content []byte) (none []byte, err error) {
		digest := sha256.Sum256(content)
		attrs, err = buildSignedAttributes(digest[:], place.at, cert)
		return none, err // nothing to embed yet: /Contents stays zero-filled
	}
	out, err := s.runPdfsign(doc, rdr, &Identity{Certificate: cert, Chain: chain}, place, layOut)
	if err != nil {
		return nil, err
	}
	if attrs == nil {
		return nil, errors.New("signing: pdfsign did not hand over the signed content")
	}
	br, err := preparedByteRange(out, doc.size)
	if err != nil {
		return nil, err
	}
	digest := sha256.Sum256(attrs)
	return &PreparedSignature{PDF: out, ByteRange: br, SignedAttributes: attrs, Hash: crypto.SHA256, Digest: digest[:],
		Certificate: cert, Chain: chain, At: place.at}, nil
}

// RestorePrepared rebuilds a PreparedSignature from what PostgreSQL stored (PDF,
// byte range, signed attributes, certificate DER, chain DER, at); it recomputes
// Digest and checks that the byte range fits the file and leaves a zero-filled gap.
func RestorePrepared(pdf []byte, byteRange [4]int64, signedAttributes, certDER []byte, chainDER [][]byte, at time.Time) (*PreparedSignature, error) {
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("signing: restore prepared signature: certificate: %w", err)
	}
	chain := make([]*x509.Certificate, 0, len(chainDER))
	for i, der := range chainDER {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("signing: restore prepared signature: chain certificate %d: %w", i+1, err)
		}
		chain = append(chain, c)
	}
	if err := checkPreparedGap(pdf, byteRange); err != nil {
		return nil, err
	}
	if _, err := signedAttributesDigest(signedAttributes); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(signedAttributes)
	return &PreparedSignature{PDF: pdf, ByteRange: byteRange, SignedAttributes: signedAttributes, Hash: crypto.SHA256, Digest: digest[:],
		Certificate: cert, Chain: chain, At: at}, nil
}

// Complete embeds value — the signature of p.Digest by the certificate's key, as
// crypto.Signer returns it (PKCS #1 v1.5 for RSA, ASN.1 DER for ECDSA) — and writes
// the signed PDF to w (nothing on error). It first checks that the byte range of
// p.PDF still hashes to the messageDigest in SignedAttributes and that value
// verifies (ErrSignatureMismatch otherwise). s.TSAURL and s.Revocation work as in
// SignPerson: a timestamp over the value, a /DSS update after. s.Identity is not used.
func (s *Signer) Complete(p *PreparedSignature, value []byte, w io.Writer) error {
	if p == nil || p.Certificate == nil || p.Hash != crypto.SHA256 {
		return errors.New("signing: complete needs a prepared SHA-256 signature with its certificate")
	}
	if err := checkPreparedGap(p.PDF, p.ByteRange); err != nil {
		return err
	}
	if err := checkPreparedContent(p); err != nil {
		return err
	}
	attrsDigest := sha256.Sum256(p.SignedAttributes)
	if err := verifyValue(p.Certificate, attrsDigest[:], value); err != nil {
		return err
	}
	token, err := s.timestampValue(value)
	if err != nil {
		return err
	}
	cms, err := buildSignedData(p.SignedAttributes, value, p.Certificate, p.Chain, token)
	if err != nil {
		return err
	}
	signed, err := embedContents(p.PDF, p.ByteRange, cms)
	if err != nil {
		return err
	}
	return s.finish(signed, p.Certificate, p.Chain, w)
}

// checkPreparedContent checks that the bytes the signature covers still hash to
// the messageDigest of the signed attributes.
func checkPreparedContent(p *PreparedSignature) error {
	want, err := signedAttributesDigest(p.SignedAttributes)
	if err != nil {
		return err
	}
	h := sha256.New()
	h.Write(p.PDF[:p.ByteRange[1]])
	h.Write(p.PDF[p.ByteRange[2] : p.ByteRange[2]+p.ByteRange[3]])
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: the prepared file no longer hashes to the messageDigest it was prepared with", ErrSignatureMismatch)
	}
	return nil
}

// timestampValue asks s.TSAURL for an RFC 3161 token over the signature value;
// nil without a TSA.
func (s *Signer) timestampValue(value []byte) ([]byte, error) {
	if s.TSAURL == "" {
		return nil, nil
	}
	tsa := &sign.SignContext{SignData: sign.SignData{TSA: sign.TSA{URL: s.TSAURL}, DigestAlgorithm: crypto.SHA256}}
	resp, err := tsa.GetTSA(value)
	if err != nil {
		return nil, fmt.Errorf("signing: timestamp the signature: %w", err)
	}
	ts, err := timestamp.ParseResponse(resp)
	if err != nil {
		return nil, fmt.Errorf("signing: timestamp the signature: %w", err)
	}
	return ts.RawToken, nil
}

// byteRangeKey opens the /ByteRange pdfsign writes: "/ByteRange [a b c d]" padded
// with spaces to the length of its placeholder.
var byteRangeKey = []byte("/ByteRange [")

// preparedByteRange reads the byte range of the signature pdfsign appended after
// the original size bytes: its dictionary is the first object of the update.
func preparedByteRange(out []byte, size int64) ([4]int64, error) {
	var br [4]int64
	at := bytes.Index(out[min(size, int64(len(out))):], byteRangeKey)
	if at < 0 {
		return br, errors.New("signing: the prepared signature's /ByteRange was not found in pdfsign's output")
	}
	start := size + int64(at+len(byteRangeKey))
	if _, err := fmt.Sscanf(string(out[start:min(start+64, int64(len(out)))]), "%d %d %d %d]", &br[0], &br[1], &br[2], &br[3]); err != nil {
		return br, fmt.Errorf("signing: the prepared signature's /ByteRange is unreadable: %w", err)
	}
	return br, checkPreparedGap(out, br)
}

// checkPreparedGap checks that br covers the whole file but for a /Contents
// hex string <...> of zeros.
func checkPreparedGap(pdf []byte, br [4]int64) error {
	n := int64(len(pdf))
	if br[0] != 0 || br[1] <= 0 || br[2] < br[1]+2 || br[2] > n || br[3] != n-br[2] ||
		pdf[br[1]] != '<' || pdf[br[2]-1] != '>' {
		return fmt.Errorf("signing: byte range %v does not fit the prepared file of %d bytes", br, n)
	}
	if len(bytes.Trim(pdf[br[1]+1:br[2]-1], "0")) != 0 {
		return errors.New("signing: the prepared file's /Contents is not zero-filled")
	}
	return nil
}

// embedContents returns a copy of pdf with cms hex-encoded at the start of the
// zero-filled /Contents gap of br.
func embedContents(pdf []byte, br [4]int64, cms []byte) ([]byte, error) {
	room := br[2] - br[1] - 2
	if need := int64(hex.EncodedLen(len(cms))); need > room {
		return nil, fmt.Errorf("signing: the CMS signature needs %d hex digits, the prepared /Contents holds %d (was the TSA configured at prepare?)", need, room)
	}
	out := bytes.Clone(pdf)
	hex.Encode(out[br[1]+1:], cms)
	return out, nil
}
