package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"
)

// selfSigned makes a certificate valid from notBefore for a year.
func selfSigned(t *testing.T, isCA bool, notBefore time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Thử nghiệm"},
		NotBefore: notBefore, NotAfter: notBefore.AddDate(1, 0, 0), BasicConstraintsValid: true, IsCA: isCA}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestParse: a CA certificate in PEM or DER is accepted; a leaf, an expired or a
// not yet valid CA, and what is not a certificate are refused with their reason.
func TestParse(t *testing.T) {
	now := time.Now()
	ca := selfSigned(t, true, now.Add(-time.Hour))
	for name, tt := range map[string]struct {
		data []byte
		want error
	}{
		"CA in DER":     {ca, nil},
		"CA in PEM":     {pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca}), nil},
		"leaf":          {selfSigned(t, false, now.Add(-time.Hour)), ErrNotCA},
		"expired CA":    {selfSigned(t, true, now.AddDate(-2, 0, 0)), ErrExpired},
		"future CA":     {selfSigned(t, true, now.Add(time.Hour)), ErrExpired},
		"a private key": {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), ErrNotCertificate},
		"garbage":       {[]byte("không phải chứng thư"), ErrNotCertificate},
	} {
		if _, err := Parse(tt.data, now); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
	}
}
