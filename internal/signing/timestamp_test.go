package signing

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"edms/internal/signing/pki"
	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

func TestTimestampFromUntrustedAuthority(t *testing.T) {
	p := demoPKI(t)
	other, err := pki.NewRootCA("some other root")
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := other.NewTimestampAuthority("untrusted TSA")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tsa)
	defer srv.Close()
	var out bytes.Buffer
	s := &Signer{Identity: identityOf(t, p.person), TSAURL: srv.URL}
	if err := s.SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{PersonBlock: PersonBlock{FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}); err != nil {
		t.Fatal(err)
	}
	sig := verifyBytes(t, p, out.Bytes()).Signatures[0]
	if sig.Valid() || !strings.Contains(strings.Join(sig.Problems, ";"), `timestamp authority "untrusted TSA" not trusted`) {
		t.Errorf("an untrusted timestamp must be reported: %+v", sig)
	}
}

// TestTimestampTokenSignedByAnotherCertificate: a token carrying the trusted
// TSA's certificate but signed by another timestamping key must not borrow the
// trusted certificate's trust.
func TestTimestampTokenSignedByAnotherCertificate(t *testing.T) {
	p := demoPKI(t)
	trusted, err := p.root.NewTimestampAuthority("edms demo TSA")
	if err != nil {
		t.Fatal(err)
	}
	sigValue := []byte("the signature value being timestamped")
	req, err := timestamp.CreateRequest(bytes.NewReader(sigValue), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := trusted.Respond(req)
	if err != nil {
		t.Fatal(err)
	}
	genuine, err := timestamp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(genuine.RawToken)
	if err != nil {
		t.Fatal(err)
	}
	key, cert := attackerTSA(t)
	sd, err := pkcs7.NewSignedData(p7.Content)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetContentType(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4})
	sd.AddCertificate(trusted.Cert) // listed first, as a decoy
	if err := sd.AddSigner(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	token, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	v := &verification{trust: NewTrustStore(p.root.Cert)}
	v.useTimestamp(&cmsSignature{signature: sigValue, timestamp: token})
	if v.timeTrusted || !strings.Contains(strings.Join(v.report.Problems, ";"), `timestamp authority "attacker TSA" not trusted`) {
		t.Fatalf("a token signed by an untrusted key was trusted: %+v", v.report)
	}
}

// attackerTSA is a timestamping certificate from a root nobody trusts.
func attackerTSA(t *testing.T) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	root, err := pki.NewRootCA("attacker root")
	if err != nil {
		t.Fatal(err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "attacker TSA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root.Cert, key.Public(), root.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func TestDocumentTimestampProblems(t *testing.T) {
	p := demoPKI(t)
	signed := signPerson(t, p, makePDF(t, 1, 0))
	other, err := pki.NewRootCA("some other root")
	if err != nil {
		t.Fatal(err)
	}
	untrusted, err := other.NewTimestampAuthority("untrusted TSA")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(untrusted)
	defer srv.Close()
	rep := verifyBytes(t, p, documentTimestamp(t, p, signed, srv.URL))
	if ts := rep.Signatures[1]; ts.Valid() || !strings.Contains(strings.Join(ts.Problems, ";"), `timestamp authority "untrusted TSA" not trusted`) {
		t.Errorf("a document timestamp by an untrusted TSA: %+v", ts)
	}

	stamped := documentTimestamp(t, p, signed, demoTSA(t, p))
	tampered := bytes.Replace(stamped, []byte("/Type /Catalog"), []byte("/Type/Catalog "), 1)
	if bytes.Equal(tampered, stamped) {
		t.Fatal("no catalog to tamper with")
	}
	rep = verifyBytes(t, p, tampered)
	if ts := rep.Signatures[len(rep.Signatures)-1]; ts.SubFilter != "ETSI.RFC3161" || ts.Valid() || ts.DigestOK {
		t.Errorf("a document timestamp over changed bytes: %+v", ts)
	}
}
