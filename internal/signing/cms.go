package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"time"

	"github.com/digitorus/pkcs7"
)

var (
	oidMessageDigest  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningTime    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	oidTimestampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
	oidRSAPSS         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	digestByOID       = map[string]crypto.Hash{
		"1.3.14.3.2.26":          crypto.SHA1,
		"2.16.840.1.101.3.4.2.1": crypto.SHA256,
		"2.16.840.1.101.3.4.2.2": crypto.SHA384,
		"2.16.840.1.101.3.4.2.3": crypto.SHA512,
	}
)

// cmsSignature is the one SignerInfo of a detached CMS (PKCS #7) signature.
type cmsSignature struct {
	certs         []*x509.Certificate
	signer        *x509.Certificate
	hash          crypto.Hash
	messageDigest []byte
	signedAttrs   []byte // DER SET OF the signed attributes, what the key signed
	signature     []byte
	pss           bool
	signingTime   time.Time
	timestamp     []byte // RFC 3161 token of the signature value, if any
}

// parseCMS reads a CMS SignedData (DER or BER, trailing zero padding ignored).
func parseCMS(data []byte) (sig *cmsSignature, err error) {
	defer recoverAs(&err, errors.New("malformed CMS signature"))
	n, err := berLength(data, 0)
	if err != nil {
		return nil, fmt.Errorf("malformed CMS signature: %w", err)
	}
	p7, err := pkcs7.Parse(data[:n]) // without the zero padding of /Contents
	if err != nil {
		return nil, fmt.Errorf("malformed CMS signature: %w", err)
	}
	if len(p7.Signers) != 1 {
		return nil, fmt.Errorf("CMS signature has %d signers, want 1", len(p7.Signers))
	}
	si := p7.Signers[0]
	sig = &cmsSignature{certs: p7.Certificates, signature: si.EncryptedDigest, pss: si.DigestEncryptionAlgorithm.Algorithm.Equal(oidRSAPSS)}
	var ok bool
	if sig.hash, ok = digestByOID[si.DigestAlgorithm.Algorithm.String()]; !ok {
		return nil, fmt.Errorf("unsupported digest algorithm %s", si.DigestAlgorithm.Algorithm)
	}
	for _, c := range p7.Certificates {
		if bytes.Equal(c.RawIssuer, si.IssuerAndSerialNumber.IssuerName.FullBytes) && c.SerialNumber.Cmp(si.IssuerAndSerialNumber.SerialNumber) == 0 {
			sig.signer = c
		}
	}
	if sig.signer == nil {
		return nil, errors.New("the CMS signature does not contain the signer's certificate")
	}
	for _, a := range si.UnauthenticatedAttributes {
		if a.Type.Equal(oidTimestampToken) {
			sig.timestamp = a.Value.Bytes
		}
	}
	var attrs []attribute
	for _, a := range si.AuthenticatedAttributes {
		attrs = append(attrs, attribute{Type: a.Type, Value: a.Value})
	}
	return sig, sig.readSignedAttributes(attrs)
}

// attribute mirrors a CMS Attribute for re-encoding the signed attributes.
type attribute struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"set"`
}

// readSignedAttributes keeps the message digest and signing time and re-encodes
// the attributes as the DER SET the signer signed (their parsed order is the
// signed, sorted order).
func (sig *cmsSignature) readSignedAttributes(attrs []attribute) error {
	if len(attrs) == 0 {
		return errors.New("the CMS signature has no signed attributes (no message digest)")
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
		}
	}
	if sig.messageDigest == nil {
		return errors.New("the CMS signature has no messageDigest attribute")
	}
	der, err := asn1.MarshalWithParams(attrs, "set")
	if err != nil {
		return fmt.Errorf("re-encode signed attributes: %w", err)
	}
	sig.signedAttrs = der
	return nil
}

// verify checks the signer's signature over the signed attributes.
func (sig *cmsSignature) verify() error {
	h := sig.hash.New()
	h.Write(sig.signedAttrs)
	sum := h.Sum(nil)
	switch pub := sig.signer.PublicKey.(type) {
	case *rsa.PublicKey:
		if sig.pss {
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
