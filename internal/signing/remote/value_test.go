package remote

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"
)

// A provider answering ECDSA as raw r||s gets the value crypto.Signer would give
// (ASN.1 DER); a value that does not verify is refused. The key is a software key:
// only the encoding is checked here.
func TestSignerValueOfRawECDSA(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Phạm Thị Hương"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	digest := sha256.Sum256([]byte("tờ trình"))
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(sig, &rs); err != nil {
		t.Fatal(err)
	}
	raw := append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...)
	got, err := signerValue(cert, digest[:], raw)
	if err != nil || !ecdsa.VerifyASN1(&key.PublicKey, digest[:], got) {
		t.Errorf("raw r||s: %v", err)
	}
	raw[10] ^= 1
	if _, err := signerValue(cert, digest[:], raw); !errors.Is(err, errBadValue) {
		t.Errorf("altered value: got %v, want errBadValue", err)
	}
}
