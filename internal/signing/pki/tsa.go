package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/digitorus/timestamp"
)

// demoTSAPolicy is the policy OID the demo timestamp authority states (a private arc).
var demoTSAPolicy = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1, 1}

// TimestampAuthority is an RFC 3161 timestamp authority certified by the demo root:
// the stand-in for a national TSA on a demo network and in tests.
type TimestampAuthority struct {
	Cert *x509.Certificate
	key  crypto.Signer
	// Clock gives the time written into tokens; nil means time.Now.
	Clock func() time.Time
}

// NewTimestampAuthority issues a timestamping certificate (critical extended key
// usage timeStamping) to a new key.
func (ca *Authority) NewTimestampAuthority(name string) (*TimestampAuthority, error) {
	return ca.NewTimestampAuthorityWithRevocation(name, RevocationServices{})
}

// RevocationServices are the OCSP responders and CRL distribution points a
// certificate names.
type RevocationServices struct {
	OCSPServer            []string
	CRLDistributionPoints []string
}

// NewTimestampAuthorityWithRevocation is NewTimestampAuthority for a certificate
// that names revocation services.
func (ca *Authority) NewTimestampAuthorityWithRevocation(name string, services RevocationServices) (*TimestampAuthority, error) {
	key, err := rsa.GenerateKey(rand.Reader, DefaultKeyBits)
	if err != nil {
		return nil, fmt.Errorf("pki: generate TSA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          mustSerial(),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"edms demo"}, Country: []string{"VN"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
		BasicConstraintsValid: true,
		OCSPServer:            services.OCSPServer,
		CRLDistributionPoints: services.CRLDistributionPoints,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, fmt.Errorf("pki: issue TSA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &TimestampAuthority{Cert: cert, key: key}, nil
}

// ServeHTTP answers an application/timestamp-query POST with a granted token.
func (t *TimestampAuthority) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST an RFC 3161 timestamp query", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, "read request", http.StatusBadRequest)
		return
	}
	resp, err := t.Respond(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/timestamp-reply")
	w.Write(resp)
}

// Respond turns a DER timestamp request into a DER timestamp response.
func (t *TimestampAuthority) Respond(request []byte) ([]byte, error) {
	req, err := timestamp.ParseRequest(request)
	if err != nil {
		return nil, fmt.Errorf("pki: bad timestamp request: %w", err)
	}
	now := time.Now
	if t.Clock != nil {
		now = t.Clock
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              now(),
		Nonce:             req.Nonce,
		Policy:            demoTSAPolicy,
		Accuracy:          time.Second,
		AddTSACertificate: req.Certificates,
	}
	return ts.CreateResponseWithOpts(t.Cert, t.key, crypto.SHA256)
}
