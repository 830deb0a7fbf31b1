package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha3"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"

	"github.com/cloudflare/circl/sign/ed448"
)

var (
	oidSignedData          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidMessageDigest       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidTimestampToken      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidSigningCertV2       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidAdobeRevocationInfo = asn1.ObjectIdentifier{1, 2, 840, 113583, 1, 1, 8}
	oidRSAPSS              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidEd25519             = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448               = asn1.ObjectIdentifier{1, 3, 101, 113}
	// shake256Digest stands for SHAKE256 with 512 bits of output (id-shake256,
	// RFC 8419), the digest of Ed448 signatures; crypto.Hash has no value for it.
	shake256Digest = crypto.Hash(0)
	digestByOID    = map[string]crypto.Hash{
		"1.3.14.3.2.26":           crypto.SHA1,
		"2.16.840.1.101.3.4.2.1":  crypto.SHA256,
		"2.16.840.1.101.3.4.2.2":  crypto.SHA384,
		"2.16.840.1.101.3.4.2.3":  crypto.SHA512,
		"2.16.840.1.101.3.4.2.18": shake256Digest,
	}
)

// cmsSignature is the one SignerInfo of a detached CMS (PKCS #7) signature.
type cmsSignature struct {
	certs         []*x509.Certificate
	signer        *x509.Certificate
	hash          crypto.Hash
	messageDigest []byte
	signedAttrs   []byte // DER SET OF the signed attributes, what the key signed; nil: none
	signature     []byte
	sigAlg        asn1.ObjectIdentifier
	signingTime   time.Time
	timestamp     []byte // RFC 3161 token of the signature value, if any
	revocation    embeddedRevocation
	// hasSigningCertV2 tells whether the ESS signing-certificate-v2 attribute names
	// the signer's certificate (PAdES baseline).
	hasSigningCertV2 bool
}

type contentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
}

type signedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo asn1.RawValue
	Certificates     asn1.RawValue `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue `asn1:"optional,tag:1"`
	SignerInfos      []signerInfo  `asn1:"set"`
}

type signerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// attribute is a CMS Attribute; Value holds the first (in practice the only) value.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

// parseCMS reads a CMS SignedData (DER or BER, trailing zero padding ignored) with
// one signer, identified by issuer and serial number or by subject key identifier,
// with or without signed attributes.
func parseCMS(data []byte) (sig *cmsSignature, err error) {
	defer recoverAs(&err, errors.New("malformed CMS signature"))
	n, err := berLength(data, 0)
	if err != nil {
		return nil, fmt.Errorf("malformed CMS signature: %w", err)
	}
	der, err := berToDER(data[:n], 0) // without the zero padding of /Contents
	if err != nil {
		return nil, fmt.Errorf("malformed CMS signature: %w", err)
	}
	sd, err := unmarshalSignedData(der)
	if err != nil {
		return nil, fmt.Errorf("malformed CMS signature: %w", err)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("CMS signature has %d signers, want 1", len(sd.SignerInfos))
	}
	si := sd.SignerInfos[0]
	sig = &cmsSignature{signature: si.Signature, sigAlg: si.SignatureAlgorithm.Algorithm}
	var ok bool
	if sig.hash, ok = digestByOID[si.DigestAlgorithm.Algorithm.String()]; !ok {
		return nil, fmt.Errorf("unsupported digest algorithm %s", si.DigestAlgorithm.Algorithm)
	}
	if sig.certs, err = parseCertificateSet(sd.Certificates.Bytes); err != nil {
		return nil, fmt.Errorf("malformed CMS certificates: %w", err)
	}
	sig.revocation.crls = rawElements(sd.CRLs.Bytes)
	if sig.signer, err = findSigner(sig.certs, si.SID); err != nil {
		return nil, err
	}
	if err := sig.readUnsignedAttributes(si.UnsignedAttrs); err != nil {
		return nil, err
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return sig, nil
	}
	// The signature is over the attributes as a DER SET, not as the [0] IMPLICIT
	// field they are stored in.
	sig.signedAttrs = append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...)
	return sig, sig.readSignedAttributes()
}

func unmarshalSignedData(der []byte) (*signedData, error) {
	var ci contentInfo
	if rest, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, err
	} else if len(rest) > 0 {
		return nil, errors.New("trailing data after the ContentInfo")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("content type %s is not SignedData", ci.ContentType)
	}
	var sd signedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, err
	}
	return &sd, nil
}

// rawElements splits the content of a SET OF into its DER elements.
func rawElements(content []byte) [][]byte {
	var out [][]byte
	for len(content) > 0 {
		var el asn1.RawValue
		rest, err := asn1.Unmarshal(content, &el)
		if err != nil {
			break
		}
		out = append(out, el.FullBytes)
		content = rest
	}
	return out
}

// parseCertificateSet reads the certificates of a CMS CertificateSet, skipping the
// other choices (attribute certificates). A certificate whose key Go's x509 does
// not know (Ed448) still parses, with a nil PublicKey.
func parseCertificateSet(content []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for _, el := range rawElements(content) {
		if el[0] != 0x30 {
			continue
		}
		c, err := x509.ParseCertificate(el)
		if err != nil {
			return nil, err
		}
		certs = append(certs, c)
	}
	return certs, nil
}

// findSigner picks the signer's certificate named by the SignerIdentifier: an
// IssuerAndSerialNumber, or [0] a SubjectKeyIdentifier.
func findSigner(certs []*x509.Certificate, sid asn1.RawValue) (*x509.Certificate, error) {
	match := func(c *x509.Certificate) bool { return false }
	switch {
	case sid.Class == asn1.ClassUniversal && sid.Tag == asn1.TagSequence:
		var ias issuerAndSerial
		if _, err := asn1.Unmarshal(sid.FullBytes, &ias); err != nil {
			return nil, fmt.Errorf("malformed CMS signer identifier: %w", err)
		}
		match = func(c *x509.Certificate) bool {
			return bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) && c.SerialNumber.Cmp(ias.Serial) == 0
		}
	case sid.Class == asn1.ClassContextSpecific && sid.Tag == 0:
		match = func(c *x509.Certificate) bool { return len(sid.Bytes) > 0 && bytes.Equal(c.SubjectKeyId, sid.Bytes) }
	default:
		return nil, errors.New("malformed CMS signer identifier")
	}
	for _, c := range certs {
		if match(c) {
			return c, nil
		}
	}
	return nil, errors.New("the CMS signature does not contain the signer's certificate")
}

func parseAttributes(set []byte) ([]attribute, error) {
	var attrs []attribute
	if _, err := asn1.UnmarshalWithParams(set, &attrs, "set"); err != nil {
		return nil, err
	}
	return attrs, nil
}

func (sig *cmsSignature) readUnsignedAttributes(raw asn1.RawValue) error {
	if len(raw.FullBytes) == 0 {
		return nil
	}
	attrs, err := parseAttributes(append([]byte{0x31}, raw.FullBytes[1:]...))
	if err != nil {
		return fmt.Errorf("malformed unsigned attributes: %w", err)
	}
	for _, a := range attrs {
		if a.Type.Equal(oidTimestampToken) {
			sig.timestamp = a.Value.Bytes
		}
	}
	return nil
}

// readSignedAttributes keeps the message digest, the signing time, the revocation
// data Adobe's attribute archives and whether signing-certificate-v2 names the
// signer.
func (sig *cmsSignature) readSignedAttributes() error {
	attrs, err := parseAttributes(sig.signedAttrs)
	if err != nil {
		return fmt.Errorf("malformed signed attributes: %w", err)
	}
	for _, a := range attrs {
		switch {
		case a.Type.Equal(oidMessageDigest):
			if _, err := asn1.Unmarshal(a.Value.Bytes, &sig.messageDigest); err != nil {
				return fmt.Errorf("bad messageDigest attribute: %w", err)
			}
		case a.Type.Equal(oidSigningTime):
			if _, err := asn1.Unmarshal(a.Value.Bytes, &sig.signingTime); err != nil {
				return fmt.Errorf("bad signingTime attribute: %w", err)
			}
		case a.Type.Equal(oidAdobeRevocationInfo):
			if err := sig.revocation.readArchival(a.Value.Bytes); err != nil {
				return err
			}
		case a.Type.Equal(oidSigningCertV2):
			sig.hasSigningCertV2 = signingCertV2Names(a.Value.Bytes, sig.signer)
		}
	}
	if sig.messageDigest == nil {
		return errors.New("the CMS signature has no messageDigest attribute")
	}
	return nil
}

// essCertIDv2 is the first certificate identifier of a SigningCertificateV2.
type signingCertificateV2 struct {
	Certs []struct {
		HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"`
		CertHash      []byte
		IssuerSerial  asn1.RawValue `asn1:"optional"`
	}
	Policies asn1.RawValue `asn1:"optional"`
}

// signingCertV2Names reports whether the attribute's first ESSCertIDv2 is the hash
// of cert (SHA-256 unless it names another algorithm).
func signingCertV2Names(der []byte, cert *x509.Certificate) bool {
	var sc signingCertificateV2
	if _, err := asn1.Unmarshal(der, &sc); err != nil || len(sc.Certs) == 0 {
		return false
	}
	id := sc.Certs[0]
	h := crypto.SHA256
	if len(id.HashAlgorithm.Algorithm) > 0 {
		var ok bool
		if h, ok = digestByOID[id.HashAlgorithm.Algorithm.String()]; !ok || h == shake256Digest {
			return false
		}
	}
	sum := h.New()
	sum.Write(cert.Raw)
	return bytes.Equal(sum.Sum(nil), id.CertHash)
}

// checkCMS checks the signed bytes against the signature: with signed attributes
// their messageDigest must be the digest of the byte range and the key signs the
// attributes; without them the key signs the byte range itself.
func (v *verification) checkCMS(sig *cmsSignature, br [4]int64) {
	r := &v.report
	r.PAdES = r.SubFilter == "ETSI.CAdES.detached" && sig.hasSigningCertV2
	if sig.signedAttrs == nil {
		err := sig.verifyContent(v.signedContent(br), func() ([]byte, error) { return v.rangeDigest(sig.hash, br) })
		if err != nil {
			v.problem("the CMS signature does not verify with the signer's key over the signed bytes: %v", err)
			return
		}
		r.DigestOK, r.SignatureOK = true, true
		return
	}
	sum, err := v.rangeDigest(sig.hash, br)
	if err != nil {
		v.problem("cannot read the signed bytes: %v", err)
	} else if subtle.ConstantTimeCompare(sum, sig.messageDigest) != 1 {
		v.problem("the signed bytes were changed: their digest does not match the signature")
	} else {
		r.DigestOK = true
	}
	err = sig.verifyContent(func() ([]byte, error) { return sig.signedAttrs, nil }, func() ([]byte, error) { return digestOf(sig.hash, sig.signedAttrs), nil })
	if err != nil {
		v.problem("the CMS signature does not verify with the signer's key: %v", err)
		return
	}
	r.SignatureOK = true
}

// maxPureSignedBytes bounds how much of a file is read into memory to check an
// EdDSA signature made directly over the byte range (no signed attributes).
const maxPureSignedBytes = 256 << 20

// signedContent reads the bytes of a byte range into memory.
func (v *verification) signedContent(br [4]int64) func() ([]byte, error) {
	return func() ([]byte, error) {
		if br[1]+br[3] > maxPureSignedBytes {
			return nil, fmt.Errorf("the signed range is larger than %d bytes", maxPureSignedBytes)
		}
		b := make([]byte, br[1]+br[3])
		if _, err := v.doc.r.ReadAt(b[:br[1]], br[0]); err != nil {
			return nil, err
		}
		if _, err := v.doc.r.ReadAt(b[br[1]:], br[2]); err != nil && err != io.EOF {
			return nil, err
		}
		return b, nil
	}
}

// rangeDigest is the digest of a byte range with the signature's algorithm.
func (v *verification) rangeDigest(h crypto.Hash, br [4]int64) ([]byte, error) {
	if h != shake256Digest {
		return v.prefixes.sum(h, br)
	}
	shake := sha3.NewSHAKE256()
	for _, part := range [][2]int64{{br[0], br[1]}, {br[2], br[3]}} {
		if _, err := io.Copy(shake, io.NewSectionReader(v.doc.r, part[0], part[1])); err != nil {
			return nil, err
		}
	}
	return shakeSum(shake), nil
}

func shakeSum(shake *sha3.SHAKE) []byte {
	out := make([]byte, 64)
	shake.Read(out)
	return out
}

func digestOf(h crypto.Hash, data []byte) []byte {
	if h == shake256Digest {
		shake := sha3.NewSHAKE256()
		shake.Write(data)
		return shakeSum(shake)
	}
	d := h.New()
	d.Write(data)
	return d.Sum(nil)
}

// verifyContent checks the signature with the signer's key: EdDSA keys sign the
// message itself, RSA and ECDSA keys its digest.
func (sig *cmsSignature) verifyContent(message, digest func() ([]byte, error)) error {
	if sig.signer.PublicKey == nil {
		return sig.verifyUnparsedKey(message)
	}
	if pub, ok := sig.signer.PublicKey.(ed25519.PublicKey); ok {
		msg, err := message()
		if err != nil {
			return err
		}
		if !ed25519.Verify(pub, msg, sig.signature) {
			return errors.New("Ed25519 signature does not verify")
		}
		return nil
	}
	if sig.hash == shake256Digest {
		return errors.New("SHAKE256 digests are only defined for Ed448 signatures")
	}
	sum, err := digest()
	if err != nil {
		return err
	}
	switch pub := sig.signer.PublicKey.(type) {
	case *rsa.PublicKey:
		if sig.sigAlg.Equal(oidRSAPSS) {
			return rsa.VerifyPSS(pub, sig.hash, sum, sig.signature, nil)
		}
		return rsa.VerifyPKCS1v15(pub, sig.hash, sum, sig.signature)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, sum, sig.signature) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported public key %T", sig.signer.PublicKey)
}

// subjectPublicKeyInfo is read for the keys Go's x509 leaves unparsed.
type subjectPublicKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// verifyUnparsedKey verifies Ed448 signatures (RFC 8419, empty context) with
// cloudflare/circl: Go's x509 parses Ed448 certificates but not their key.
func (sig *cmsSignature) verifyUnparsedKey(message func() ([]byte, error)) error {
	var spki subjectPublicKeyInfo
	if _, err := asn1.Unmarshal(sig.signer.RawSubjectPublicKeyInfo, &spki); err != nil {
		return fmt.Errorf("unreadable public key: %w", err)
	}
	if !spki.Algorithm.Algorithm.Equal(oidEd448) {
		return fmt.Errorf("unsupported public key algorithm %s", spki.Algorithm.Algorithm)
	}
	if len(spki.PublicKey.Bytes) != ed448.PublicKeySize {
		return errors.New("malformed Ed448 public key")
	}
	msg, err := message()
	if err != nil {
		return err
	}
	if !ed448.Verify(ed448.PublicKey(spki.PublicKey.Bytes), msg, sig.signature, "") {
		return errors.New("Ed448 signature does not verify")
	}
	return nil
}

// berToDER re-encodes the indefinite lengths of a BER element (as NSS writes
// them) as definite ones, so encoding/asn1 can read it; elements without one
// inside keep their bytes. Constructed strings are left as they are: CMS
// signatures do not split their OCTET STRINGs.
func berToDER(data []byte, depth int) ([]byte, error) {
	if depth > 64 || len(data) < 2 {
		return nil, errors.New("truncated BER element")
	}
	hdr := 1
	if data[0]&0x1f == 0x1f {
		for hdr < len(data) && data[hdr]&0x80 != 0 {
			hdr++
		}
		hdr++
	}
	if hdr >= len(data) {
		return nil, errors.New("truncated BER tag")
	}
	n, err := berLength(data, depth)
	if err != nil {
		return nil, err
	}
	if data[hdr] == 0x80 {
		return reencodeChildren(data[:hdr], data[hdr+1:n-2], depth)
	}
	if data[0]&0x20 == 0 { // primitive with a definite length
		return data[:n], nil
	}
	start := hdr + 1
	if data[hdr]&0x80 != 0 {
		start += int(data[hdr] & 0x7f)
	}
	out, err := reencodeChildren(data[:hdr], data[start:n], depth)
	if err == nil && bytes.HasSuffix(out, data[start:n]) {
		return data[:n], nil // nothing indefinite inside: keep the bytes as signed
	}
	return out, err
}

// reencodeChildren writes tag followed by the DER length of its re-encoded children.
func reencodeChildren(tag, content []byte, depth int) ([]byte, error) {
	var body []byte
	for len(content) > 0 {
		n, err := berLength(content, depth+1)
		if err != nil {
			return nil, err
		}
		child, err := berToDER(content[:n], depth+1)
		if err != nil {
			return nil, err
		}
		body = append(body, child...)
		content = content[n:]
	}
	out := append([]byte(nil), tag...)
	return append(append(out, derLength(len(body))...), body...), nil
}

func derLength(n int) []byte {
	if n < 0x80 {
		return []byte{byte(n)}
	}
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return append([]byte{0x80 | byte(len(b))}, b...)
}

// berLength is the length of the BER element at the start of data, definite or
// indefinite (as NSS writes), so the zero padding after it can be cut off.
func berLength(data []byte, depth int) (int, error) {
	if depth > 64 || len(data) < 2 {
		return 0, errors.New("truncated BER element")
	}
	i := 1
	if data[0]&0x1f == 0x1f { // high tag number
		for i < len(data) && data[i]&0x80 != 0 {
			i++
		}
		i++
	}
	if i >= len(data) {
		return 0, errors.New("truncated BER tag")
	}
	l := int(data[i])
	i++
	switch {
	case l < 0x80:
		return checkedEnd(i+l, len(data))
	case l == 0x80:
		for {
			if i+1 < len(data) && data[i] == 0 && data[i+1] == 0 {
				return i + 2, nil
			}
			n, err := berLength(data[i:], depth+1)
			if err != nil {
				return 0, err
			}
			i += n
		}
	}
	size := l & 0x7f
	if size > 4 || i+size > len(data) {
		return 0, errors.New("bad BER length")
	}
	l = 0
	for _, b := range data[i : i+size] {
		l = l<<8 | int(b)
	}
	return checkedEnd(i+size+l, len(data))
}

func checkedEnd(end, size int) (int, error) {
	if end > size || end < 0 {
		return 0, errors.New("BER element longer than the signature")
	}
	return end, nil
}
