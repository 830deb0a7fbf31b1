package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"edms/internal/signing/pki"
)

// device is a person's key held outside the server (a token, a remote-signing
// service): the tests sign the prepared digest with it as the device would.
type device struct {
	key   crypto.Signer
	cert  *x509.Certificate
	chain []*x509.Certificate
}

func newDevice(t testing.TB, ca *pki.Authority, key crypto.Signer, subject pki.Subject) device {
	t.Helper()
	cert, err := ca.IssueForKey(key.Public(), pki.Options{Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	return device{key: key, cert: cert, chain: []*x509.Certificate{ca.Cert}}
}

func rsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ecdsaKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign is what the device returns for the prepared digest.
func (d device) sign(t testing.TB, p *PreparedSignature) []byte {
	t.Helper()
	value, err := d.key.Sign(rand.Reader, p.Digest, p.Hash)
	if err != nil {
		t.Fatal(err)
	}
	return value
}

var huongBlock = PersonSignature{PersonBlock: PersonBlock{Position: "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", FullName: "Phạm Thị Hương"}, Page: 1, Rect: leaderBlock}

func prepare(t testing.TB, s *Signer, d device, in []byte) *PreparedSignature {
	t.Helper()
	p, err := s.PreparePerson(bytesDoc(in), huongBlock, d.cert, d.chain)
	if err != nil {
		t.Fatalf("PreparePerson: %v", err)
	}
	return p
}

func complete(t testing.TB, s *Signer, p *PreparedSignature, value []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := s.Complete(p, value, &out); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	return out.Bytes()
}

func TestTwoPhaseRSAAndECDSA(t *testing.T) {
	p := demoPKI(t)
	for name, key := range map[string]crypto.Signer{"RSA": rsaKey(t), "ECDSA P-256": ecdsaKey(t)} {
		t.Run(name, func(t *testing.T) {
			d := newDevice(t, p.root, key, pki.Subject{CommonName: "Phạm Thị Hương", Organization: "UBND xã Yên Ninh"})
			s := &Signer{Location: "Thái Nguyên"}
			prepared := prepare(t, s, d, makePDF(t, 1, 0))
			signed := complete(t, s, prepared, d.sign(t, prepared))
			rep := checkAll(t, p, signed, 1)
			if got := rep.Signatures[0].Signer; got != "Phạm Thị Hương" {
				t.Errorf("signer %q", got)
			}
		})
	}
}
