package liaison

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// PEMIdentity makes an Identity from a PEM private key (PKCS#8, PKCS#1 or SEC 1) and
// a PEM certificate chain, signer first. Keys held in PKCS#12 files or on tokens come
// from the signing package as a crypto.Signer and need no PEM.
func PEMIdentity(keyPEM, chainPEM []byte) (Identity, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return Identity{}, errors.New("no PEM private key found")
	}
	signer, err := parsePrivateKey(block.Bytes)
	if err != nil {
		return Identity{}, err
	}
	chain, err := PEMCertificates(chainPEM)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Signer: signer, Chain: chain}, nil
}

func parsePrivateKey(der []byte) (crypto.Signer, error) {
	if key, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if signer, ok := key.(crypto.Signer); ok {
			return signer, nil
		}
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	if key, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return key, nil
	}
	if key, err := x509.ParseECPrivateKey(der); err == nil {
		return key, nil
	}
	return nil, errors.New("private key is neither PKCS#8, PKCS#1 nor SEC 1")
}

// PEMCertificates parses every CERTIFICATE block of a PEM file, in order.
func PEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, errors.New("no PEM certificate found")
	}
	return certs, nil
}

// PEMCertPool makes a pool of trust anchors from a PEM file.
func PEMCertPool(data []byte) (*x509.CertPool, error) {
	certs, err := PEMCertificates(data)
	if err != nil {
		return nil, err
	}
	return poolOf(certs), nil
}
