package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The CMS of a two-phase signature is built here rather than by digitorus/pkcs7,
// which signs with a crypto.Signer in one go and puts time.Now() in signingTime:
// the signed attributes are fixed at prepare, the value arrives later.

var (
	oidData             = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidContentType      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidSHA256           = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidECDSAWithSHA256  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	errNoMessageDigest  = errors.New("signing: the signed attributes hold no messageDigest")
	errBadSignedAttrSet = errors.New("signing: the signed attributes are not a DER SET")
)

// buildSignedAttributes is the DER SET OF the CMS signed attributes of a PAdES
// signature by cert over content whose SHA-256 is digest: contentType (data),
// signingTime, messageDigest and ESS signing-certificate-v2 (the certificate's
// SHA-256, as pdfsign writes it).
func buildSignedAttributes(digest []byte, at time.Time, cert *x509.Certificate) ([]byte, error) {
	certHash := sha256.Sum256(cert.Raw)
	at = at.UTC().Truncate(time.Second)
	values := []struct {
		oid   asn1.ObjectIdentifier
		value func(b *cryptobyte.Builder)
	}{
		{oidContentType, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) }},
		{oidSigningTime, func(b *cryptobyte.Builder) {
			if at.Year() < 2050 { // RFC 5652: UTCTime until 2049
				b.AddASN1UTCTime(at)
			} else {
				b.AddASN1GeneralizedTime(at)
			}
		}},
		{oidMessageDigest, func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest) }},
		{oidSigningCertV2, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2, SHA-256 by default
						b.AddASN1OctetString(certHash[:])
					})
				})
			})
		}},
	}
	attrs := make([][]byte, 0, len(values))
	for _, v := range values {
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(v.oid)
			b.AddASN1(cbasn1.SET, v.value)
		})
		der, err := b.Bytes()
		if err != nil {
			return nil, fmt.Errorf("signing: encode signed attribute %s: %w", v.oid, err)
		}
		attrs = append(attrs, der)
	}
	slices.SortFunc(attrs, bytes.Compare) // DER orders a SET OF by encoding
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	return set.Bytes()
}

// signedAttributesDigest reads the messageDigest attribute of a DER SET OF
// signed attributes.
func signedAttributesDigest(set []byte) ([]byte, error) {
	s := cryptobyte.String(set)
	var content cryptobyte.String
	if !s.ReadASN1(&content, cbasn1.SET) || !s.Empty() {
		return nil, errBadSignedAttrSet
	}
	for !content.Empty() {
		var attr, values cryptobyte.String
		var oid asn1.ObjectIdentifier
		if !content.ReadASN1(&attr, cbasn1.SEQUENCE) || !attr.ReadASN1ObjectIdentifier(&oid) || !attr.ReadASN1(&values, cbasn1.SET) {
			return nil, errBadSignedAttrSet
		}
		if !oid.Equal(oidMessageDigest) {
			continue
		}
		var digest []byte
		if !values.ReadASN1Bytes(&digest, cbasn1.OCTET_STRING) {
			return nil, errBadSignedAttrSet
		}
		return digest, nil
	}
	return nil, errNoMessageDigest
}

// signatureAlgorithm is the SignerInfo signatureAlgorithm for cert's key signing a
// SHA-256 digest: rsaEncryption (PKCS #1 v1.5) or ecdsa-with-SHA256.
func signatureAlgorithm(cert *x509.Certificate) (func(b *cryptobyte.Builder), error) {
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(oidRSAEncryption)
				b.AddASN1NULL()
			})
		}, nil
	case *ecdsa.PublicKey:
		return func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidECDSAWithSHA256) })
		}, nil
	}
	return nil, fmt.Errorf("signing: two-phase signatures support RSA and ECDSA keys, not %T", cert.PublicKey)
}

// verifyValue checks that value is the signature of digest (SHA-256) by cert's key.
func verifyValue(cert *x509.Certificate, digest, value []byte) error {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, value) == nil {
			return nil
		}
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(pub, digest, value) {
			return nil
		}
	default:
		return fmt.Errorf("signing: two-phase signatures support RSA and ECDSA keys, not %T", cert.PublicKey)
	}
	return fmt.Errorf("%w: it does not verify with the key of %q's certificate", ErrSignatureMismatch, cert.Subject.CommonName)
}

// buildSignedData is the DER ContentInfo of a detached CMS SignedData with one
// SignerInfo (issuer and serial of cert, SHA-256, the given signed attributes and
// value), the certificates cert and chain, and, when timestampToken is set, the
// token as the signature-time-stamp unsigned attribute.
func buildSignedData(signedAttrs, value []byte, cert *x509.Certificate, chain []*x509.Certificate, timestampToken []byte) ([]byte, error) {
	sigAlg, err := signatureAlgorithm(cert)
	if err != nil {
		return nil, err
	}
	attrContent := cryptobyte.String(signedAttrs)
	var attrs cryptobyte.String
	if !attrContent.ReadASN1(&attrs, cbasn1.SET) {
		return nil, errBadSignedAttrSet
	}
	sha256Alg := func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidSHA256) })
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ContentInfo
		b.AddASN1ObjectIdentifier(oidSignedData)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignedData
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, sha256Alg)
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidData) })
				b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
					for _, c := range append([]*x509.Certificate{cert}, chain...) {
						b.AddBytes(c.Raw)
					}
				})
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SignerInfo
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // IssuerAndSerialNumber
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						sha256Alg(b)
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(attrs) })
						sigAlg(b)
						b.AddASN1OctetString(value)
						if timestampToken != nil {
							b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
								b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
									b.AddASN1ObjectIdentifier(oidTimestampToken)
									b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(timestampToken) })
								})
							})
						}
					})
				})
			})
		})
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("signing: encode the CMS signature: %w", err)
	}
	return der, nil
}
