package wire

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SPKIFingerprint is how a peer is recognised: the lowercase hex SHA-256 of its
// certificate's SubjectPublicKeyInfo.
func SPKIFingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// PeerFingerprint is the SPKI fingerprint of the verified client certificate of a
// TLS connection, or "" when the client presented none.
func PeerFingerprint(state *tls.ConnectionState) string {
	if state == nil || len(state.VerifiedChains) == 0 || len(state.VerifiedChains[0]) == 0 {
		return ""
	}
	return SPKIFingerprint(state.VerifiedChains[0][0])
}

// ServerTLS is the listener configuration of an exchange endpoint: its own
// certificate, and client certificates required and verified against clientCAs.
func ServerTLS(cert tls.Certificate, clientCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
	}
}

// ClientTLS is the configuration with which a peer calls an exchange endpoint: its
// own certificate, and the server verified against serverCAs.
func ClientTLS(cert tls.Certificate, serverCAs *x509.CertPool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		RootCAs:      serverCAs,
	}
}

// SignReceipt signs a receipt body with the receiver's TLS key; the value goes in
// the Edms-Receipt-Signature header as "<algorithm>;<base64 signature>".
func SignReceipt(key crypto.Signer, body []byte) (string, error) {
	digest := sha256.Sum256(body)
	switch key.Public().(type) {
	case *ecdsa.PublicKey:
		sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
		return "ecdsa-sha256;" + base64.StdEncoding.EncodeToString(sig), err
	case *rsa.PublicKey:
		sig, err := key.Sign(rand.Reader, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256})
		return "rsa-pss-sha256;" + base64.StdEncoding.EncodeToString(sig), err
	case ed25519.PublicKey:
		sig, err := key.Sign(rand.Reader, body, crypto.Hash(0))
		return "ed25519;" + base64.StdEncoding.EncodeToString(sig), err
	default:
		return "", fmt.Errorf("wire: cannot sign receipts with a %T key", key.Public())
	}
}

// VerifyReceipt checks a receipt body's signature header against the certificate
// the receiver presented on the TLS connection.
func VerifyReceipt(cert *x509.Certificate, body []byte, header string) error {
	alg, b64, ok := strings.Cut(header, ";")
	if !ok {
		return errors.New("wire: the receipt is not signed")
	}
	sig, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("wire: the receipt signature is not base64: %w", err)
	}
	digest := sha256.Sum256(body)
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey:
		if alg == "ecdsa-sha256" && ecdsa.VerifyASN1(pub, digest[:], sig) {
			return nil
		}
	case *rsa.PublicKey:
		if alg == "rsa-pss-sha256" && rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil {
			return nil
		}
	case ed25519.PublicKey:
		if alg == "ed25519" && ed25519.Verify(pub, body, sig) {
			return nil
		}
	}
	return errors.New("wire: the receipt signature does not verify")
}
