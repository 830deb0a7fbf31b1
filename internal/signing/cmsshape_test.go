package signing

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/ed448"
)

// The tests here build CMS shapes pdfsign does not write and put them in place of
// the /Contents of a pdfsign signature (outside the byte range, so the rest of the
// file stays what it was).

var (
	oidSHA512        = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHAKE256      = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 18}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	testSubjectKeyID = []byte("edms-test-ski-0001")
	shapeSigningTime = time.Now().UTC().Truncate(time.Second)
	tagSignedAttrs   = byte(0xa0)
)

// cmsShape describes the CMS to build.
type cmsShape struct {
	cert        *x509.Certificate
	chain       []*x509.Certificate
	bySKI       bool
	signedAttrs bool
	digestAlg   asn1.ObjectIdentifier
	sigAlg      asn1.ObjectIdentifier
	digest      func([]byte) []byte
	sign        func(message []byte) []byte // given the signed attributes or the content
}

func rawSeq(parts ...[]byte) []byte { return tlv(0x30, bytes.Join(parts, nil)) }

func tlv(tag byte, content []byte) []byte {
	return append(append([]byte{tag}, derLength(len(content))...), content...)
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s cmsShape) build(t *testing.T, content []byte) []byte {
	algID := func(oid asn1.ObjectIdentifier) []byte { return rawSeq(mustMarshal(t, oid)) }
	sid := mustMarshal(t, struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}{asn1.RawValue{FullBytes: s.cert.RawIssuer}, s.cert.SerialNumber})
	version := 1
	if s.bySKI {
		sid, version = tlv(0x80, s.cert.SubjectKeyId), 3
	}
	message := content
	var attrs []byte
	if s.signedAttrs {
		set := bytes.Join([][]byte{
			rawSeq(mustMarshal(t, oidContentType), tlv(0x31, mustMarshal(t, oidData))),
			rawSeq(mustMarshal(t, oidSigningTime), tlv(0x31, mustMarshal(t, shapeSigningTime))),
			rawSeq(mustMarshal(t, oidMessageDigest), tlv(0x31, mustMarshal(t, s.digest(content)))),
		}, nil)
		message = tlv(0x31, set)
		attrs = tlv(tagSignedAttrs, set)
	}
	signer := rawSeq(mustMarshal(t, version), sid, algID(s.digestAlg), attrs, algID(s.sigAlg), mustMarshal(t, s.sign(message)))
	var certs []byte
	for _, c := range append([]*x509.Certificate{s.cert}, s.chain...) {
		certs = append(certs, c.Raw...)
	}
	sd := rawSeq(mustMarshal(t, 1), tlv(0x31, algID(s.digestAlg)), rawSeq(mustMarshal(t, oidData)), tlv(0xa0, certs), tlv(0x31, signer))
	return rawSeq(mustMarshal(t, oidSignedData), tlv(0xa0, sd))
}

// withContents puts cms into the /Contents of the signature covering the whole file.
func withContents(t *testing.T, signed []byte, build func(content []byte) []byte) []byte {
	t.Helper()
	rdr, err := bytesDoc(signed).open()
	if err != nil {
		t.Fatal(err)
	}
	brv := signatureFields(rdr.Trailer().Key("Root"))[0].value.Key("ByteRange")
	var br [4]int64
	for i := range br {
		br[i] = brv.Index(i).Int64()
	}
	content := append(append([]byte(nil), signed[:br[1]]...), signed[br[2]:br[2]+br[3]]...)
	digits := hex.EncodeToString(build(content))
	room := int(br[2] - br[1] - 2)
	if len(digits) > room {
		t.Fatalf("the CMS needs %d hex digits, the placeholder has %d", len(digits), room)
	}
	out := append([]byte(nil), signed...)
	copy(out[br[1]+1:], digits+strings.Repeat("0", room-len(digits)))
	return out
}

// placeholderPDF is a pdfsign signature by the demo person, with the larger
// placeholder a TSA reserve gives, to be overwritten.
func placeholderPDF(t *testing.T, p testPKI) []byte {
	t.Helper()
	var out bytes.Buffer
	s := &Signer{Identity: identityOf(t, p.person), TSAURL: demoTSA(t, p)}
	if err := s.SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{PersonBlock: PersonBlock{FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// issueFor certifies pub (nil: an Ed448 key given as raw bytes) by the demo root,
// with testSubjectKeyID.
func issueFor(t *testing.T, p testPKI, pub crypto.PublicKey, ed448Key []byte) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "Lê Văn Hình"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment, SubjectKeyId: testSubjectKeyID,
	}
	if pub == nil {
		pub = ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)) // replaced below
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.root.Cert, pub, p.root.Key)
	if err != nil {
		t.Fatal(err)
	}
	if ed448Key != nil {
		der = withEd448Key(t, p, der, ed448Key)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// withEd448Key rebuilds a certificate with an Ed448 subject public key and signs
// it again by the demo root: Go's x509 cannot create Ed448 certificates.
func withEd448Key(t *testing.T, p testPKI, der []byte, key []byte) []byte {
	t.Helper()
	var cert struct {
		TBS    asn1.RawValue
		SigAlg asn1.RawValue
		Sig    asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &cert); err != nil {
		t.Fatal(err)
	}
	fields := rawElements(cert.TBS.Bytes)
	fields[6] = rawSeq(rawSeq(mustMarshal(t, oidEd448)), mustMarshal(t, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}))
	tbs := rawSeq(fields...)
	sum := sha256.Sum256(tbs)
	sig, err := p.root.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return rawSeq(tbs, cert.SigAlg.FullBytes, mustMarshal(t, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}))
}

func rsaShape(t *testing.T, p testPKI) cmsShape {
	return cmsShape{
		cert: p.person.Cert, chain: p.person.Chain, digestAlg: oidSHA256, sigAlg: oidSHA256WithRSA,
		digest: func(b []byte) []byte { return digestOf(crypto.SHA256, b) },
		sign: func(m []byte) []byte {
			sum := sha256.Sum256(m)
			sig, err := p.person.Key.Sign(rand.Reader, sum[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			return sig
		},
	}
}

func TestCMSShapes(t *testing.T) {
	p := demoPKI(t)
	placeholder := placeholderPDF(t, p)
	edPub, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ed448Pub, ed448Key, _ := ed448.GenerateKey(rand.Reader)
	edCert := issueFor(t, p, edPub, nil)
	ed448Cert := issueFor(t, p, nil, ed448Pub)
	ed25519Shape := cmsShape{cert: edCert, digestAlg: oidSHA512, sigAlg: oidEd25519,
		digest: func(b []byte) []byte { return digestOf(crypto.SHA512, b) },
		sign:   func(m []byte) []byte { return ed25519.Sign(edKey, m) }}
	ed448Shape := cmsShape{cert: ed448Cert, digestAlg: oidSHAKE256, sigAlg: oidEd448,
		digest: func(b []byte) []byte { return sha3.SumSHAKE256(b, 64) },
		sign:   func(m []byte) []byte { return ed448.Sign(ed448Key, m, "") }}
	rsaBySKI := rsaShape(t, p)
	rsaBySKI.bySKI, rsaBySKI.signedAttrs = true, true
	rsaBySKI.cert = issueForKey(t, p)
	rsaNoAttrs := rsaShape(t, p)
	for name, shape := range map[string]cmsShape{
		"RSA signer by SubjectKeyIdentifier": rsaBySKI,
		"RSA without signed attributes":      rsaNoAttrs,
		"Ed25519 with signed attributes":     withAttrs(ed25519Shape, true),
		"Ed25519 without signed attributes":  ed25519Shape,
		"Ed448 with signed attributes":       withAttrs(ed448Shape, true),
		"Ed448 by SKI, no signed attributes": withSKI(ed448Shape),
	} {
		t.Run(name, func(t *testing.T) {
			signed := withContents(t, placeholder, func(c []byte) []byte { return shape.build(t, c) })
			sig := verifyBytes(t, p, signed).Signatures[0]
			if !sig.Valid() || sig.Signer != shape.cert.Subject.CommonName {
				t.Fatalf("want valid: %+v", sig)
			}
			forged := shape
			forged.sign = func(m []byte) []byte { s := shape.sign(m); s[3] ^= 1; return s }
			bad := verifyBytes(t, p, withContents(t, placeholder, func(c []byte) []byte { return forged.build(t, c) })).Signatures[0]
			if bad.Valid() || bad.SignatureOK {
				t.Fatalf("a wrong signature value must not verify: %+v", bad)
			}
		})
	}
}

func withAttrs(s cmsShape, on bool) cmsShape { s.signedAttrs = on; return s }
func withSKI(s cmsShape) cmsShape            { s.bySKI = true; return s }

// issueForKey certifies the demo person's RSA key again, with testSubjectKeyID.
func issueForKey(t *testing.T, p testPKI) *x509.Certificate {
	return issueFor(t, p, p.person.Key.Public(), nil)
}

// TestCMSSignerNotFound: a SubjectKeyIdentifier that names no certificate of the
// CMS is reported, not guessed.
func TestCMSSignerNotFound(t *testing.T) {
	p := demoPKI(t)
	shape := rsaShape(t, p)
	shape.bySKI, shape.signedAttrs = true, true
	other := *p.person.Cert
	other.SubjectKeyId = []byte("no such key")
	shape.cert = &other
	signed := withContents(t, placeholderPDF(t, p), func(c []byte) []byte { return shape.build(t, c) })
	sig := verifyBytes(t, p, signed).Signatures[0]
	if sig.Valid() || !strings.Contains(strings.Join(sig.Problems, ";"), "does not contain the signer's certificate") {
		t.Fatalf("want the missing signer reported: %+v", sig)
	}
}
