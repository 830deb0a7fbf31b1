package cscfake

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"math/big"
	"testing"
	"time"

	"edms/internal/signing/remote/cscapi"
)

// clock is a time the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// expiringServer runs the handlers on a clock the test moves. The key is a software
// key: what is checked here is time, not the key's storage (the SoftHSM2 tests are
// in package remote).
func expiringServer(t *testing.T) (*Server, *clock) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Nguyễn Văn An"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := newServer([]Account{{User: "chutich", PIN: "123456", Key: key, Certificate: cert, OTP: true}})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, vietnam)}
	s.now = c.now
	return s, c
}

func TestOTPAndSADExpire(t *testing.T) {
	s, clk := expiringServer(t)
	ctx := context.Background()
	id := CredentialID("chutich")
	hash := sha256.Sum256([]byte("tờ trình"))
	authorize := func(otp string) (string, error) {
		out, err := s.authorize(ctx, cscapi.AuthorizeRequest{CredentialID: id, NumSignatures: 1, PIN: "123456", OTP: otp,
			Hashes: []string{base64.StdEncoding.EncodeToString(hash[:])}, HashAlgorithmOID: cscapi.OIDSHA256})
		if err != nil {
			return "", err
		}
		return out.(cscapi.AuthorizeResponse).SAD, nil
	}
	refusedAs := func(err error, code string) bool {
		var r *refusal
		return errors.As(err, &r) && r.body.Error == code
	}

	if _, err := s.sendOTP(ctx, cscapi.SendOTPRequest{CredentialID: id}); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(otpLifetime)
	if _, err := authorize(s.LastOTP(id)); !refusedAs(err, cscapi.ErrInvalidOTP) {
		t.Errorf("OTP after 5 minutes: got %v, want invalid_otp", err)
	}

	if _, err := s.sendOTP(ctx, cscapi.SendOTPRequest{CredentialID: id}); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(otpLifetime - time.Second)
	sad, err := authorize(s.LastOTP(id))
	if err != nil {
		t.Fatalf("OTP just before it expires: %v", err)
	}
	clk.t = clk.t.Add(sadLifetime)
	_, err = s.signHash(ctx, cscapi.SignHashRequest{CredentialID: id, SAD: sad, Hashes: []string{base64.StdEncoding.EncodeToString(hash[:])},
		HashAlgorithmOID: cscapi.OIDSHA256, SignAlgo: cscapi.OIDECDSAWithSHA256})
	if !refusedAs(err, cscapi.ErrInvalidRequest) {
		t.Errorf("SAD after its lifetime: got %v, want invalid_request", err)
	}
}
