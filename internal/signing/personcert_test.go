package signing

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"edms/internal/signing/pki"

	"golang.org/x/text/unicode/norm"
)

func TestCheckPersonCertificate(t *testing.T) {
	p := demoPKI(t)
	trust := NewTrustStore(p.root.Cert)
	now := time.Now()
	huong := newDevice(t, p.root, ecdsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương", Identifier: "CCCD:001190012345"})
	bare := newDevice(t, p.root, ecdsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})
	otherCA, err := pki.NewRootCA("CA không được tin cậy")
	if err != nil {
		t.Fatal(err)
	}
	foreign := newDevice(t, otherCA, ecdsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})
	_, expired := badCertificate(t, p, x509.KeyUsageDigitalSignature, now.Add(-time.Hour))
	_, encipherOnly := badCertificate(t, p, x509.KeyUsageKeyEncipherment, now.AddDate(1, 0, 0))
	chain := []*x509.Certificate{p.root.Cert}
	cases := []struct {
		name  string
		cert  *x509.Certificate
		chain []*x509.Certificate
		who   PersonClaim
		want  error
	}{
		{"right person and identifier", huong.cert, chain, PersonClaim{FullName: "Phạm Thị Hương", Identifier: "001190012345"}, nil},
		{"name in NFD and upper case, prefixed identifier", huong.cert, chain, PersonClaim{FullName: norm.NFD.String("PHẠM  THỊ HƯƠNG"), Identifier: "CCCD:001190012345"}, nil},
		{"certificate without identifier", bare.cert, chain, PersonClaim{FullName: "Phạm Thị Hương", Identifier: "001190012345"}, nil},
		{"claim without identifier", huong.cert, chain, PersonClaim{FullName: "Phạm Thị Hương"}, nil},
		{"other name", huong.cert, chain, PersonClaim{FullName: "Phạm Thị Hường"}, ErrCertificateOtherPerson},
		{"identifier mismatch", huong.cert, chain, PersonClaim{FullName: "Phạm Thị Hương", Identifier: "001190099999"}, ErrCertificateOtherPerson},
		{"expired", expired, chain, PersonClaim{FullName: "Đỗ Văn Sai"}, ErrCertificateNotUsable},
		{"no signing usage", encipherOnly, chain, PersonClaim{FullName: "Đỗ Văn Sai"}, ErrCertificateNotUsable},
		{"another CA", foreign.cert, foreign.chain, PersonClaim{FullName: "Phạm Thị Hương"}, ErrCertificateUntrusted},
	}
	for _, c := range cases {
		err := CheckPersonCertificate(c.cert, c.chain, c.who, trust, now)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if err := CheckPersonCertificate(huong.cert, chain, PersonClaim{FullName: "Phạm Thị Hương"}, nil, now); !errors.Is(err, ErrCertificateUntrusted) {
		t.Errorf("no trust store: got %v, want ErrCertificateUntrusted", err)
	}
}

func TestCheckPersonCertificateRevoked(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	trust := NewTrustStore(rp.root.Cert)
	trust.Revocation = NewRevocationChecker(RevocationAuto)
	who := PersonClaim{FullName: "Trần Thị Thu"}
	chain := rp.person.Chain
	if err := CheckPersonCertificate(rp.person.Cert, chain, who, trust, time.Now()); err != nil {
		t.Fatalf("good certificate: %v", err)
	}
	rp.list.Revoke(rp.person.Cert, time.Now().Add(-time.Minute))
	trust.Revocation = NewRevocationChecker(RevocationAuto) // no cached good answer
	if err := CheckPersonCertificate(rp.person.Cert, chain, who, trust, time.Now()); !errors.Is(err, ErrCertificateRevoked) {
		t.Errorf("revoked through OCSP: got %v, want ErrCertificateRevoked", err)
	}
	if rp.ocspHits.Load() == 0 {
		t.Error("the OCSP responder was not asked")
	}
}
