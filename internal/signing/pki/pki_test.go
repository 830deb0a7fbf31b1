package pki

import (
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"
)

func TestIssueAndReload(t *testing.T) {
	root, err := NewRootCA(DemoRootName)
	if err != nil {
		t.Fatal(err)
	}
	person, err := root.IssuePerson(Options{Subject: Subject{CommonName: "Nguyễn Thị Ánh", Title: "Phó Chủ tịch", Organization: "UBND xã Yên Ninh", Identifier: "000.00.12.H55"}})
	if err != nil {
		t.Fatal(err)
	}
	c := person.Cert
	if c.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageContentCommitment || c.IsCA {
		t.Errorf("key usage %v, CA %v", c.KeyUsage, c.IsCA)
	}
	if c.Subject.CommonName != "Nguyễn Thị Ánh" || c.Subject.Organization[0] != "UBND xã Yên Ninh" {
		t.Errorf("subject %v", c.Subject)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root.Cert)
	if _, err := c.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
		t.Errorf("chain: %v", err)
	}
	if time.Until(c.NotAfter) < 365*24*time.Hour {
		t.Errorf("validity ends %v", c.NotAfter)
	}
	if _, err := person.PKCS12(""); err == nil {
		t.Error("an empty PKCS#12 password was accepted")
	}

	path := filepath.Join(t.TempDir(), "root.p12")
	if err := root.Credential().WritePKCS12(path, "gốc"); err != nil {
		t.Fatal(err)
	}
	again, err := LoadAuthority(path, "gốc")
	if err != nil || !again.Cert.Equal(root.Cert) {
		t.Fatalf("reload: %v", err)
	}
	if _, err := LoadAuthority(path, "sai"); err == nil {
		t.Error("wrong password accepted")
	}
	agency, err := again.IssueAgency(Options{Subject: Subject{CommonName: "UBND xã Yên Ninh"}})
	if err != nil || agency.Cert.Subject.Organization[0] != "UBND xã Yên Ninh" {
		t.Fatalf("agency: %v", err)
	}
}
