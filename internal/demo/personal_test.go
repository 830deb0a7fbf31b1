package demo

import (
	"context"
	"crypto/x509"
	"testing"

	"edms/internal/signing/pki"
	"edms/internal/signing/remote"
	"edms/internal/signing/remote/cscfake"
)

// TestPersonalSigningRestarts: the demo's provider offers the chairman's credential,
// certified by the demo root, through the providers file it writes; started again on
// the same folder (the demo run again) it finds the tokens it made and keeps their key.
func TestPersonalSigningRestarts(t *testing.T) {
	ca, err := pki.NewRootCA(pki.DemoRootName)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	first, withToken := chairmanCredential(t, ca, dir)
	second, _ := chairmanCredential(t, ca, dir)
	if withToken && !first.Equal(second) {
		t.Error("the chairman's key on the token changed when the demo started again")
	}
}

// chairmanCredential starts the demo's personal signing in dir, reads the chairman's
// certificate from the provider named in its providers file, and stops it.
func chairmanCredential(t *testing.T, ca *pki.Authority, dir string) (*x509.Certificate, bool) {
	t.Helper()
	p, err := StartPersonalSigning(ca, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	configs, err := remote.LoadConfig(p.ProvidersFile)
	if err != nil {
		t.Fatal(err)
	}
	registry, err := remote.NewRegistry(configs)
	if err != nil {
		t.Fatal(err)
	}
	provider, ok := registry.Get(ProviderID)
	if !ok || provider.Name() != ProviderName {
		t.Fatalf("the providers file names %+v", configs)
	}
	creds, err := provider.Credentials(context.Background(), RemoteSigner)
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 1 || creds[0].ID != cscfake.CredentialID(RemoteSigner) || !creds[0].NeedsOTP || !creds[0].NeedsPIN {
		t.Fatalf("the chairman's credentials: %+v", creds)
	}
	cert := creds[0].Certificate
	if cert.Subject.CommonName != "Nguyễn Văn Nghĩa" || cert.CheckSignatureFrom(ca.Cert) != nil {
		t.Errorf("the chairman's certificate: %s, issued by %s", cert.Subject, cert.Issuer)
	}
	if p.Token != nil && (p.Token.Label != TokenLabel || p.Token.Conf == "") {
		t.Errorf("the agent's token: %+v", p.Token)
	}
	return cert, p.Token != nil
}
