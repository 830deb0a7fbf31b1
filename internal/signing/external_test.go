package signing

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"testing"
	"time"

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
			if sig := rep.Signatures[0]; sig.Signer != "Phạm Thị Hương" || !sig.PAdES || !sig.CoversWholeDocument {
				t.Errorf("signer %q, PAdES %v, whole document %v", sig.Signer, sig.PAdES, sig.CoversWholeDocument)
			}
		})
	}
}

// TestTwoPhaseSoftHSM signs the digest with a key generated on a SoftHSM2 token
// (the crypto11 signer), as `edms agent` does with a USB token.
func TestTwoPhaseSoftHSM(t *testing.T) {
	p := demoPKI(t)
	cfg, err := ParseTokenURI(softHSMToken(t, p))
	if err != nil {
		t.Fatal(err)
	}
	token, err := OpenToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer token.Close()
	d := device{key: token.Signer, cert: token.Certificate, chain: []*x509.Certificate{p.root.Cert}}
	s := &Signer{}
	prepared := prepare(t, s, d, makePDF(t, 1, 0))
	rep := checkAll(t, p, complete(t, s, prepared, d.sign(t, prepared)), 1)
	if got := rep.Signatures[0].Signer; got != "Phạm Thị Hương" {
		t.Errorf("signer %q", got)
	}
}

// TestTwoPhaseRestore completes, on a fresh Signer, a signature rebuilt from what
// PostgreSQL stores.
func TestTwoPhaseRestore(t *testing.T) {
	p := demoPKI(t)
	d := newDevice(t, p.root, ecdsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})
	in := makePDF(t, 1, 0)
	prepared := prepare(t, &Signer{}, d, in)
	if !bytes.HasPrefix(prepared.PDF[8:], in[8:]) { // after the %PDF-1.x header, upgraded to 1.7
		t.Fatal("the prepared file is not an incremental update of the document")
	}
	var chainDER [][]byte
	for _, c := range prepared.Chain {
		chainDER = append(chainDER, bytes.Clone(c.Raw))
	}
	restored, err := RestorePrepared(bytes.Clone(prepared.PDF), prepared.ByteRange, bytes.Clone(prepared.SignedAttributes),
		bytes.Clone(prepared.Certificate.Raw), chainDER, prepared.At)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(restored.Digest, prepared.Digest) || restored.Hash != crypto.SHA256 || !restored.At.Equal(prepared.At) {
		t.Fatalf("restored digest %x hash %v at %v; prepared %x at %v", restored.Digest, restored.Hash, restored.At, prepared.Digest, prepared.At)
	}
	checkAll(t, p, complete(t, &Signer{}, restored, d.sign(t, prepared)), 1)

	if _, err := RestorePrepared(prepared.PDF, [4]int64{0, 10, 20, 5}, prepared.SignedAttributes, prepared.Certificate.Raw, nil, prepared.At); err == nil {
		t.Error("a byte range that does not fit the file was restored")
	}
	if _, err := RestorePrepared(prepared.PDF, prepared.ByteRange, prepared.SignedAttributes, []byte("not a certificate"), nil, prepared.At); err == nil {
		t.Error("a broken certificate was restored")
	}
}

// TestTwoPhaseRefusals: a value that is not the signature of the prepared digest
// by the certificate's key, or a prepared file changed since, writes nothing.
func TestTwoPhaseRefusals(t *testing.T) {
	p := demoPKI(t)
	d := newDevice(t, p.root, rsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})
	s := &Signer{}
	prepared := prepare(t, s, d, makePDF(t, 1, 0))
	other := prepare(t, s, d, makePDF(t, 2, 0))
	stranger := newDevice(t, p.root, rsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})

	tampered := *prepared
	tampered.PDF = bytes.Clone(prepared.PDF)
	tampered.PDF[len(tampered.PDF)/3] ^= 0x01 // inside the document, before the signature
	wrong := d.sign(t, prepared)
	wrong[10] ^= 0xff
	cases := map[string]struct {
		prepared *PreparedSignature
		value    []byte
	}{
		"corrupted value":          {prepared, wrong},
		"value for another digest": {prepared, d.sign(t, other)},
		"another key's value":      {prepared, stranger.sign(t, prepared)},
		"empty value":              {prepared, nil},
		"tampered prepared file":   {&tampered, d.sign(t, prepared)},
	}
	for name, c := range cases {
		var out bytes.Buffer
		err := s.Complete(c.prepared, c.value, &out)
		if !errors.Is(err, ErrSignatureMismatch) || out.Len() != 0 {
			t.Errorf("%s: err %v, %d bytes written; want ErrSignatureMismatch and nothing", name, err, out.Len())
		}
	}

	filled := *prepared
	filled.PDF = bytes.Clone(prepared.PDF)
	filled.PDF[prepared.ByteRange[1]+1] = 'f' // the gap no longer zero-filled
	var out bytes.Buffer
	if err := s.Complete(&filled, d.sign(t, prepared), &out); err == nil || out.Len() != 0 {
		t.Errorf("filled /Contents: err %v, %d bytes written", err, out.Len())
	}
	out.Reset()
	if err := (&Signer{TSAURL: demoTSA(t, p)}).Complete(prepared, d.sign(t, prepared), &out); err == nil || out.Len() != 0 {
		t.Errorf("a timestamp without the room reserved at prepare: err %v, %d bytes written", err, out.Len())
	}
	checkAll(t, p, complete(t, s, prepared, d.sign(t, prepared)), 1) // still completes after the refusals
}

// TestTwoPhasePreflight: PreparePerson refuses what SignPerson refuses.
func TestTwoPhasePreflight(t *testing.T) {
	p := demoPKI(t)
	tsa := demoTSA(t, p)
	var padded bytes.Buffer
	if err := (&Signer{Identity: identityOf(t, p.person), TSAURL: tsa}).SignPerson(bytesDoc(makePDF(t, 1, 0)), &padded, PersonSignature{PersonBlock: PersonBlock{FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}); err != nil {
		t.Fatal(err)
	}
	d := newDevice(t, p.root, rsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})
	if _, err := (&Signer{}).PreparePerson(bytesDoc(padded.Bytes()), huongBlock, d.cert, d.chain); !errors.Is(err, ErrUnsafeInput) {
		t.Errorf("over a large zero padding without a TSA: %v, want ErrUnsafeInput", err)
	}
	_, expired := badCertificate(t, p, x509.KeyUsageDigitalSignature, time.Now().Add(-time.Hour))
	if _, err := (&Signer{}).PreparePerson(bytesDoc(makePDF(t, 1, 0)), huongBlock, expired, d.chain); !errors.Is(err, ErrCertificateNotUsable) {
		t.Errorf("expired certificate: %v, want ErrCertificateNotUsable", err)
	}
	withTSA := &Signer{TSAURL: tsa}
	prepared := prepare(t, withTSA, d, padded.Bytes())
	rep := checkAll(t, p, complete(t, withTSA, prepared, d.sign(t, prepared)), 2)
	if got := rep.Signatures[1].TimeSource; got != "RFC 3161 timestamp by edms demo TSA" {
		t.Errorf("time source %q", got)
	}
}

// TestTwoPhaseLTV completes a PAdES B-LT signature, verified offline from what the file embeds.
func TestTwoPhaseLTV(t *testing.T) {
	rp := newRevocationPKI(t, true, false)
	cert, err := rp.root.IssueForKey(rp.person.Key.Public(), pki.Options{Subject: pki.Subject{CommonName: "Trần Thị Thu"}, OCSPServer: []string{rp.ocspSrv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	d := device{key: rp.person.Key, cert: cert, chain: []*x509.Certificate{rp.root.Cert}}
	s := &Signer{Revocation: NewRevocationChecker(RevocationAuto), TSAURL: demoTSA(t, rp.testPKI)}
	prepared, err := s.PreparePerson(bytesDoc(makePDF(t, 1, 0)), PersonSignature{PersonBlock: PersonBlock{FullName: "Trần Thị Thu"}, Page: 1, Rect: leaderBlock}, d.cert, d.chain)
	if err != nil {
		t.Fatal(err)
	}
	signed := complete(t, s, prepared, d.sign(t, prepared))
	rp.ocspSrv.Close()
	sig := rp.verify(t, signed, RevocationEmbedded)
	if !sig.Valid() {
		t.Fatalf("B-LT signature not valid offline: %+v", sig)
	}
	requireStatus(t, sig, StatusGood, "OCSP, embedded")
	qpdfCheck(t, writeTemp(t, "ltv.pdf", signed))
}

// TestTwoPhaseThenStampAndSeal: the issue stamp and the agency seal go on top of
// a completed signature as on top of SignPerson's.
func TestTwoPhaseThenStampAndSeal(t *testing.T) {
	p := demoPKI(t)
	d := newDevice(t, p.root, ecdsaKey(t), pki.Subject{CommonName: "Phạm Thị Hương"})
	s := &Signer{}
	prepared := prepare(t, s, d, makePDF(t, 1, 0))
	sealed := applySeal(t, p, addIssueStamp(t, complete(t, s, prepared, d.sign(t, prepared))))
	rep := checkAll(t, p, sealed, 2)
	if rep.Signatures[0].Signer != "Phạm Thị Hương" || rep.Signatures[1].Signer != "Ủy ban nhân dân huyện Phú Lương" || len(rep.IssueStamps) != 2 {
		t.Errorf("signers %q, %q; stamps %q", rep.Signatures[0].Signer, rep.Signatures[1].Signer, rep.IssueStamps)
	}
}
