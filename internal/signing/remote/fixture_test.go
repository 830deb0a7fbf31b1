package remote_test

import (
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"testing"

	"edms/internal/signing/pki"
	"edms/internal/signing/remote"
	"edms/internal/signing/remote/cscfake"
	"edms/internal/testenv"

	"github.com/ThalesGroup/crypto11"
)

// The fake provider's people: the chairman signs with PIN and OTP (RSA key), the
// vice-chairman with a PIN only (ECDSA key). Both keys live on a SoftHSM2 token.
const (
	chairman    = "chutich"
	chairmanPIN = "123456"
	deputy      = "phochutich"
	deputyPIN   = "246810"
)

type people struct {
	root             *pki.Authority
	chairman, deputy cscfake.Account
}

func newPeople(t *testing.T) people {
	t.Helper()
	rsaKey, ecKey := tokenKeys(t)
	root, err := pki.NewRootCA(pki.DemoRootName)
	if err != nil {
		t.Fatal(err)
	}
	account := func(user, pin, name string, key crypto.Signer, otp bool) cscfake.Account {
		cert, err := root.IssueForKey(key.Public(), pki.Options{Subject: pki.Subject{CommonName: name, Organization: "UBND xã Yên Ninh"}})
		if err != nil {
			t.Fatal(err)
		}
		return cscfake.Account{User: user, PIN: pin, Key: key, Certificate: cert, Chain: []*x509.Certificate{root.Cert}, OTP: otp}
	}
	return people{
		root:     root,
		chairman: account(chairman, chairmanPIN, "Nguyễn Văn An", rsaKey, true),
		deputy:   account(deputy, deputyPIN, "Phạm Thị Hương", ecKey, false),
	}
}

// tokenKeys makes a SoftHSM2 token in a temporary folder and generates an RSA and
// an ECDSA P-256 key on it.
func tokenKeys(t *testing.T) (rsaKey, ecKey crypto.Signer) {
	t.Helper()
	module := testenv.SoftHSMToken(t, "csc-gia-lap", "1234")
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: "csc-gia-lap", Pin: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ctx.Close() })
	rsaKey, err = ctx.GenerateRSAKeyPairWithLabel([]byte{1}, []byte("chu-tich"), 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err = ctx.GenerateECDSAKeyPairWithLabel([]byte{2}, []byte("pho-chu-tich"), elliptic.P256())
	if err != nil {
		t.Fatal(err)
	}
	return rsaKey, ecKey
}

// startFake runs the fake provider for the test and returns it with a client.
func startFake(t *testing.T, accounts ...cscfake.Account) (*cscfake.Server, remote.Provider) {
	t.Helper()
	fake, err := cscfake.Start(accounts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake, newProvider(t, fake.Config())
}

func newProvider(t *testing.T, c remote.Config) remote.Provider {
	t.Helper()
	p, err := remote.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
