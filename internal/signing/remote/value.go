package remote

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"edms/internal/signing/remote/cscapi"
)

// signatureAlgorithm is the signAlgo for a SHA-256 signature by the certificate's key.
func signatureAlgorithm(cert *x509.Certificate) (string, error) {
	switch cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return cscapi.OIDSHA256WithRSA, nil
	case *ecdsa.PublicKey:
		return cscapi.OIDECDSAWithSHA256, nil
	}
	return "", fmt.Errorf("the certificate's %v key is not supported (RSA or ECDSA)", cert.PublicKeyAlgorithm)
}

// errBadValue: the provider's signature does not verify with the credential's certificate.
var errBadValue = errors.New("the provider's signature does not verify with the credential's certificate")

// signerValue returns value as crypto.Signer would give it — PKCS#1 v1.5 for RSA,
// ASN.1 DER for ECDSA (a provider may answer the raw r||s form) — after checking
// it verifies digest with the certificate's key.
func signerValue(cert *x509.Certificate, digest, value []byte) ([]byte, error) {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, value) != nil {
			return nil, errBadValue
		}
		return value, nil
	case *ecdsa.PublicKey:
		if ecdsa.VerifyASN1(pub, digest, value) {
			return value, nil
		}
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(value) != 2*size {
			return nil, errBadValue
		}
		der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(value[:size]), new(big.Int).SetBytes(value[size:])})
		if err != nil || !ecdsa.VerifyASN1(pub, digest, der) {
			return nil, errBadValue
		}
		return der, nil
	}
	return nil, fmt.Errorf("the certificate's %v key is not supported (RSA or ECDSA)", cert.PublicKeyAlgorithm)
}
