package wire

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"edms/internal/liaison"
	"edms/internal/signing/pki"
)

const judgeSender = "000.00.00.H41"

// statusPackage is an unsigned status package from judgeSender.
func statusPackage(t *testing.T) []byte {
	t.Helper()
	pkg := &liaison.Package{Kind: liaison.KindStatus, Status: &liaison.Status{
		From:        liaison.Organization{OrganID: judgeSender, OrganName: "UBND tỉnh Nghệ An"},
		ResponseFor: liaison.ResponseFor{OrganID: "000.00.11.H41", DocumentID: "000.00.11.H41,2026/03/02,15/QĐ-UBND"},
		StatusCode:  "03", Description: "Đã vào sổ văn bản đến", Timestamp: time.Now().Truncate(time.Second),
	}}
	var out bytes.Buffer
	if err := liaison.Write(&out, pkg, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func agencyCredential(t *testing.T, ca *pki.Authority, organID string, notBefore, notAfter time.Time) *pki.Credential {
	t.Helper()
	cred, err := ca.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "UBND " + organID, Identifier: organID},
		NotBefore: notBefore, NotAfter: notAfter})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

func signedBy(t *testing.T, unsigned []byte, cred *pki.Credential) []byte {
	t.Helper()
	var out bytes.Buffer
	id := liaison.Identity{Signer: cred.Key, Chain: append([]*x509.Certificate{cred.Cert}, cred.Chain...)}
	if err := liaison.Sign(&out, bytes.NewReader(unsigned), id, liaison.Limits{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestJudge reads packages signed in every way the protocol tells apart and checks
// the refusal code Judge gives each.
func TestJudge(t *testing.T) {
	ca, err := pki.NewRootCA("edms judge test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewRootCA("edms judge other CA")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	unsigned := statusPackage(t)
	sender := agencyCredential(t, ca, judgeSender, time.Time{}, time.Time{})
	ok := signedBy(t, unsigned, sender)
	var placeholder bytes.Buffer
	if err := liaison.WritePlaceholderSignature(&placeholder, bytes.NewReader(unsigned), liaison.Limits{}); err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Replace(ok, []byte("Đã vào sổ"), []byte("Đã vào sô"), 1)
	if bytes.Equal(tampered, ok) {
		t.Fatal("the description to tamper with is not in the package")
	}
	expired := agencyCredential(t, ca, judgeSender, time.Now().Add(-72*time.Hour), time.Now().Add(-24*time.Hour))

	cases := []struct {
		name string
		body []byte
		want string // "" accepted
	}{
		{"signed by the sender under a trust anchor", ok, ""},
		{"unsigned", unsigned, CodeUnsigned},
		{"reference library placeholder", placeholder.Bytes(), CodeUnsigned},
		{"changed after signing", tampered, CodeBadSignature},
		{"signer of an untrusted CA", signedBy(t, unsigned, agencyCredential(t, other, judgeSender, time.Time{}, time.Time{})), CodeUntrustedSigner},
		{"expired signer", signedBy(t, unsigned, expired), CodeUntrustedSigner},
		{"signer of another agency", signedBy(t, unsigned, agencyCredential(t, ca, "000.00.00.G22", time.Time{}, time.Time{})), CodeSenderMismatch},
		{"not edXML", []byte("<html/>"), CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkg, err := liaison.Read(bytes.NewReader(c.body), liaison.Options{Roots: roots, RequireSignature: true})
			ref := Judge(pkg, err)
			switch {
			case c.want == "" && ref != nil:
				t.Fatalf("refused %s: %s", ref.Code, ref.Message)
			case c.want != "" && ref == nil:
				t.Fatalf("accepted, want %s", c.want)
			case c.want != "" && ref.Code != c.want:
				t.Fatalf("refused %s (%s), want %s", ref.Code, ref.Message, c.want)
			}
		})
	}
}
