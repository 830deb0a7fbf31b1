package remote_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/signing/pki"
	"edms/internal/signing/remote"
	"edms/internal/signing/remote/cscfake"
)

var digest = sha256.Sum256([]byte("Quyết định 01/QĐ-UBND — signed attributes"))

func signRequest(user, pin, otp string) remote.SignRequest {
	return remote.SignRequest{CredentialID: cscfake.CredentialID(user), Digest: digest[:], Hash: crypto.SHA256,
		PIN: pin, OTP: otp, Description: "Quyết định 01/QĐ-UBND"}
}

func onlyCredential(t *testing.T, p remote.Provider, account string) remote.Credential {
	t.Helper()
	creds, err := p.Credentials(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 1 {
		t.Fatalf("%s has %d credentials, want 1", account, len(creds))
	}
	return creds[0]
}

func TestCredentialsCarryTheChainAndFactors(t *testing.T) {
	ppl := newPeople(t)
	_, p := startFake(t, ppl.chairman, ppl.deputy)
	c := onlyCredential(t, p, chairman)
	if c.ID != cscfake.CredentialID(chairman) || !c.Certificate.Equal(ppl.chairman.Certificate) {
		t.Errorf("credential %q with certificate %q", c.ID, c.Certificate.Subject)
	}
	if len(c.Chain) != 1 || !c.Chain[0].Equal(ppl.root.Cert) {
		t.Errorf("chain of %d certificates, want the root", len(c.Chain))
	}
	if !c.NeedsPIN || !c.NeedsOTP || c.Locked {
		t.Errorf("chairman: NeedsPIN %v NeedsOTP %v Locked %v", c.NeedsPIN, c.NeedsOTP, c.Locked)
	}
	d := onlyCredential(t, p, deputy)
	if !d.NeedsPIN || d.NeedsOTP || !d.Certificate.Equal(ppl.deputy.Certificate) {
		t.Errorf("deputy: NeedsPIN %v NeedsOTP %v", d.NeedsPIN, d.NeedsOTP)
	}
}

func TestSignWithPINAndOTPVerifiesWithTheCertificate(t *testing.T) {
	ppl := newPeople(t)
	fake, p := startFake(t, ppl.chairman, ppl.deputy)
	ctx := context.Background()
	id := cscfake.CredentialID(chairman)
	if err := p.Challenge(ctx, id); err != nil {
		t.Fatal(err)
	}
	otp := fake.LastOTP(id)
	if len(otp) != 6 {
		t.Fatalf("OTP %q is not 6 digits", otp)
	}
	value, err := p.Sign(ctx, signRequest(chairman, chairmanPIN, otp))
	if err != nil {
		t.Fatal(err)
	}
	pub := ppl.chairman.Certificate.PublicKey.(*rsa.PublicKey)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], value); err != nil {
		t.Errorf("RSA value does not verify: %v", err)
	}

	if err := p.Challenge(ctx, cscfake.CredentialID(deputy)); err != nil || fake.LastOTP(cscfake.CredentialID(deputy)) != "" {
		t.Errorf("a PIN-only credential was sent an OTP (%v)", err)
	}
	value, err = p.Sign(ctx, signRequest(deputy, deputyPIN, ""))
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(ppl.deputy.Certificate.PublicKey.(*ecdsa.PublicKey), digest[:], value) {
		t.Error("ECDSA value is not an ASN.1 signature that verifies")
	}
}

func TestThreeWrongPINsLockTheCredential(t *testing.T) {
	ppl := newPeople(t)
	_, p := startFake(t, ppl.deputy)
	ctx := context.Background()
	for _, remaining := range []int{2, 1} {
		_, err := p.Sign(ctx, signRequest(deputy, "000000", ""))
		var auth *remote.AuthError
		if !errors.As(err, &auth) || !errors.Is(err, remote.ErrWrongPIN) || auth.Remaining != remaining {
			t.Fatalf("wrong PIN: got %v, want ErrWrongPIN with %d attempts left", err, remaining)
		}
	}
	if _, err := p.Sign(ctx, signRequest(deputy, "000000", "")); !errors.Is(err, remote.ErrLocked) {
		t.Fatalf("third wrong PIN: got %v, want ErrLocked", err)
	}
	if _, err := p.Sign(ctx, signRequest(deputy, deputyPIN, "")); !errors.Is(err, remote.ErrLocked) {
		t.Errorf("right PIN on a locked credential: got %v, want ErrLocked", err)
	}
	if !onlyCredential(t, p, deputy).Locked {
		t.Error("credentials/info does not show the credential locked")
	}
	if err := p.Challenge(ctx, cscfake.CredentialID(deputy)); !errors.Is(err, remote.ErrLocked) {
		t.Errorf("challenge of a locked credential: got %v, want ErrLocked", err)
	}
}

func TestWrongAndReusedOTPAreRefused(t *testing.T) {
	ppl := newPeople(t)
	fake, p := startFake(t, ppl.chairman)
	ctx := context.Background()
	id := cscfake.CredentialID(chairman)
	if _, err := p.Sign(ctx, signRequest(chairman, chairmanPIN, "123456")); !errors.Is(err, remote.ErrWrongOTP) {
		t.Errorf("OTP never sent: got %v, want ErrWrongOTP", err)
	}
	if err := p.Challenge(ctx, id); err != nil {
		t.Fatal(err)
	}
	otp := fake.LastOTP(id)
	wrong := "000000"
	if otp == wrong {
		wrong = "111111"
	}
	if _, err := p.Sign(ctx, signRequest(chairman, chairmanPIN, wrong)); !errors.Is(err, remote.ErrWrongOTP) {
		t.Errorf("wrong OTP: got %v, want ErrWrongOTP", err)
	}
	if _, err := p.Sign(ctx, signRequest(chairman, chairmanPIN, otp)); err != nil {
		t.Fatalf("right OTP after a wrong one: %v", err)
	}
	if _, err := p.Sign(ctx, signRequest(chairman, chairmanPIN, otp)); !errors.Is(err, remote.ErrWrongOTP) {
		t.Errorf("reused OTP: got %v, want ErrWrongOTP", err)
	}
}

func TestSlowProviderIsUnavailableWithinTheTimeout(t *testing.T) {
	ppl := newPeople(t)
	slow := ppl.deputy
	slow.Delay = time.Minute
	fake, _ := startFake(t, slow)
	c := fake.Config()
	c.Timeout = remote.Duration(300 * time.Millisecond)
	_, err := newProvider(t, c).Sign(context.Background(), signRequest(deputy, deputyPIN, ""))
	if !errors.Is(err, remote.ErrUnavailable) {
		t.Errorf("got %v, want ErrUnavailable", err)
	}
}

func TestWrongClientSecretIsAClearError(t *testing.T) {
	ppl := newPeople(t)
	fake, _ := startFake(t, ppl.deputy)
	c := fake.Config()
	c.ClientSecret = "sai-mat-khau"
	_, err := newProvider(t, c).Credentials(context.Background(), deputy)
	if !errors.Is(err, remote.ErrClientCredentials) || !strings.Contains(err.Error(), "client_id") {
		t.Errorf("got %v, want ErrClientCredentials naming client_id", err)
	}
	if err != nil && strings.Contains(err.Error(), c.ClientSecret) {
		t.Error("the error shows the client secret")
	}
}

func TestUnknownAccount(t *testing.T) {
	ppl := newPeople(t)
	_, p := startFake(t, ppl.deputy)
	if _, err := p.Credentials(context.Background(), "khong-co-ai"); !errors.Is(err, remote.ErrUnknownAccount) {
		t.Errorf("got %v, want ErrUnknownAccount", err)
	}
}

func TestClientOverTLSWithCAFile(t *testing.T) {
	ppl := newPeople(t)
	fake, _ := startFake(t, ppl.deputy)
	ts := httptest.NewTLSServer(fake.Handler())
	defer ts.Close()
	c := fake.Config()
	c.BaseURL = ts.URL + "/csc/v2"
	if _, err := newProvider(t, c).Credentials(context.Background(), deputy); err == nil {
		t.Error("an unknown TLS root was accepted without ca_file")
	}
	c.CAFile = filepath.Join(t.TempDir(), "provider-ca.pem")
	if err := os.WriteFile(c.CAFile, pki.CertPEM(ts.Certificate()), 0o600); err != nil {
		t.Fatal(err)
	}
	p := newProvider(t, c)
	if got := onlyCredential(t, p, deputy); !got.Certificate.Equal(ppl.deputy.Certificate) {
		t.Errorf("over TLS: certificate %q", got.Certificate.Subject)
	}
	if _, err := p.Sign(context.Background(), signRequest(deputy, deputyPIN, "")); err != nil {
		t.Errorf("sign over TLS: %v", err)
	}
}
