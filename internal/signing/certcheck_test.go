package signing

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
)

// badCertificate issues, from the demo root, a certificate that must not sign:
// either without a signing key usage or already expired.
func badCertificate(t *testing.T, p testPKI, usage x509.KeyUsage, notAfter time.Time) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "Đỗ Văn Sai"},
		NotBefore:    notAfter.AddDate(-1, 0, 0),
		NotAfter:     notAfter,
		KeyUsage:     usage,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root.Cert, key.Public(), p.root.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

// signRaw signs with pdfsign directly, bypassing the checks of Signer, as software
// elsewhere might.
func signRaw(t *testing.T, in []byte, key crypto.Signer, cert *x509.Certificate) []byte {
	t.Helper()
	rdr, err := pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(in), &out, rdr, int64(len(in)), sign.SignData{
		Signature: sign.SignDataSignature{CertType: sign.ApprovalSignature},
		Signer:    key, DigestAlgorithm: crypto.SHA256, Certificate: cert,
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestCertificateChecks(t *testing.T) {
	p := demoPKI(t)
	cases := map[string]struct {
		usage    x509.KeyUsage
		notAfter time.Time
		check    func(SignatureReport) bool
		problem  string
	}{
		"key encipherment only": {x509.KeyUsageKeyEncipherment, time.Now().AddDate(1, 0, 0),
			func(s SignatureReport) bool { return !s.KeyUsageOK && s.ValidAtSignTime }, "neither digitalSignature nor nonRepudiation"},
		"expired": {x509.KeyUsageDigitalSignature, time.Now().AddDate(0, 0, -1),
			func(s SignatureReport) bool { return s.KeyUsageOK && !s.ValidAtSignTime && !s.Trusted }, "expired"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			key, cert := badCertificate(t, p, c.usage, c.notAfter)
			id, err := NewIdentity(key, cert, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := id.CheckUsable(time.Now()); !errors.Is(err, ErrCertificateNotUsable) {
				t.Errorf("CheckUsable: %v, want ErrCertificateNotUsable", err)
			}
			s := verifyBytes(t, p, signRaw(t, makePDF(t, 1, 0), key, cert)).Signatures[0]
			if s.Valid() || !s.DigestOK || !s.SignatureOK || !c.check(s) || !strings.Contains(strings.Join(s.Problems, ";"), c.problem) {
				t.Errorf("report: %+v", s)
			}
		})
	}
}
