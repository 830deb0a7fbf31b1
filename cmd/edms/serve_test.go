package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

// selfSignedCert writes a throwaway TLS certificate and key for 127.0.0.1.
func selfSignedCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

// TestServeTLSAndGracefulShutdown serves over TLS, checks that cookies are marked
// Secure, and that cancelling the context (SIGINT/SIGTERM) stops the server cleanly.
func TestServeTLSAndGracefulShutdown(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t, storetest.NewDatabaseURL(t))
	certFile, keyFile := selfSignedCert(t)
	hc := &httpConfig{listen: "127.0.0.1:0", tlsCert: certFile, tlsKey: keyFile}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := newNode(ctx, pool, hc, &docsign.Keyring{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.serve(ctx, pool, hc, func(url string) { urls <- url }) }()
	base := <-urls
	if !strings.HasPrefix(base, "https://") {
		t.Fatalf("served at %s", base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := client.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.Cookies()) == 0 || !resp.Cookies()[0].Secure {
		t.Errorf("cookies over TLS: %v", resp.Cookies())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
}

func TestTLSFlagsGoTogether(t *testing.T) {
	if code, _, errOut := edms(t, "", "serve", "-tls-cert", "x.pem"); code != 1 || !strings.Contains(errOut, "-tls-key") {
		t.Errorf("cert without key: %d %q", code, errOut)
	}
}

// TestNodeSharesOneVerifier: the -revocation flag reaches the one trust store
// that the document page, the API and the check of received documents use.
func TestNodeSharesOneVerifier(t *testing.T) {
	t.Parallel()
	pool := storetest.NewPool(t, storetest.NewDatabaseURL(t))
	root, err := pki.NewRootCA("node root")
	if err != nil {
		t.Fatal(err)
	}
	fs := newFlagSet("serve", "", "")
	keys := addKeyFlags(fs, "")
	if err := fs.Parse([]string{"-keys", t.TempDir(), "-revocation", "embedded"}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(keys.TrustDir(), 0o755)
	if err := pki.WriteCertPEM(filepath.Join(keys.TrustDir(), "root.pem"), root.Cert); err != nil {
		t.Fatal(err)
	}
	n, err := newNode(context.Background(), pool, &httpConfig{listen: "127.0.0.1:0"}, keys, nil)
	if err != nil {
		t.Fatal(err)
	}
	verifier, ok := n.documents.Verifier.(docsign.Verifier)
	if !ok || verifier.Trust != n.web.Trust || n.web.Trust.Revocation == nil || n.web.Trust.Revocation.Mode != signing.RevocationEmbedded {
		t.Fatalf("the node's verifiers do not share the configured trust store: %+v, %+v", n.documents.Verifier, n.web.Trust)
	}
}
