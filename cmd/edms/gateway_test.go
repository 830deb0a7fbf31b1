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
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/liaison/wire"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

// writeEndpointCert issues a loopback TLS certificate (server and client) from ca
// and writes it and its key as PEM files.
func writeEndpointCert(t *testing.T, ca *pki.Authority, dir, name string) (certFile, keyFile string, cert tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, err = tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert
}

// freeAddr returns a loopback address nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestGatewayCommand manages members, runs the hub, reaches its health over mutual
// TLS as a member and its operator page, and stops it by cancelling the context.
func TestGatewayCommand(t *testing.T) {
	dbFlag := "-database-url=" + storetest.NewDatabaseURL(t)
	dir := t.TempDir()
	ca, err := pki.NewRootCA("edms test root")
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pki.CertPEM(ca.Cert), 0o600)
	hubCert, hubKey, _ := writeEndpointCert(t, ca, dir, "truc-tinh")
	nodeCertFile, _, nodeCert := writeEndpointCert(t, ca, dir, "xa-a")

	if code, _, errOut := edms(t, "", "gateway", "member", "add", dbFlag, "-name", "xa-a", "-role", "node",
		"-endpoint", "https://127.0.0.1:9444", "-cert", nodeCertFile, "-agencies", "000.00.31.H55, 000.00.32.H55"); code != 0 {
		t.Fatalf("member add: %d %s", code, errOut)
	}
	if code, _, _ := edms(t, "", "gateway", "member", "add", dbFlag, "-name", "bad", "-role", "cousin",
		"-endpoint", "https://127.0.0.1:9445", "-cert", nodeCertFile); code != 1 {
		t.Errorf("a member with an unknown role: %d", code)
	}
	code, out, _ := edms(t, "", "gateway", "member", "list", dbFlag)
	if code != 0 || !strings.Contains(out, "xa-a\tnode\thttps://127.0.0.1:9444\tenabled\t000.00.31.H55,000.00.32.H55") {
		t.Fatalf("member list: %d %q", code, out)
	}

	listen, admin := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runGateway(ctx, []string{dbFlag, "-listen", listen, "-admin-listen", admin, "-cert", hubCert, "-key", hubKey,
			"-ca", caFile, "-name", "truc-tinh"})
	}()
	pool, _ := loadCertPool(caFile)
	client := &wire.Client{BaseURL: "https://" + listen, HTTP: wire.NewHTTPClient(wire.ClientTLS(nodeCert, pool), 5*time.Second)}
	var health wire.Health
	for range 100 {
		if health, err = client.Health(ctx); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil || health.Role != "hub" || health.Name != "truc-tinh" {
		t.Fatalf("health %+v, %v", health, err)
	}
	if dir, err := client.Directory(ctx); err != nil || len(dir) != 2 || dir[0].Node != "xa-a" {
		t.Fatalf("directory %+v, %v", dir, err)
	}
	resp, err := http.Get("http://" + admin + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Trục liên thông truc-tinh") || !strings.Contains(string(page), "000.00.32.H55") {
		t.Errorf("operator page: %s", page)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the gateway did not stop")
	}

	if code, _, errOut := edms(t, "", "gateway", "member", "remove", dbFlag, "-name", "xa-a"); code != 0 {
		t.Fatalf("member remove: %d %s", code, errOut)
	}
	if code, out, _ := edms(t, "", "gateway", "member", "list", dbFlag); code != 0 || out != "" {
		t.Fatalf("after remove: %d %q", code, out)
	}
}

// TestAxisUplinkFlags: the axis needs its system id and a readable secret, and the
// uplink it makes serves the prefixes given.
func TestAxisUplinkFlags(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "axis.secret")
	if err := os.WriteFile(secret, []byte("example-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if up, err := (axisConfig{}).uplink(); up != nil || err != nil {
		t.Fatalf("no -axis-url gave %v, %v; want no uplink", up, err)
	}
	if _, err := (axisConfig{url: "http://127.0.0.1:1/XrdAdapter/adapter", secretFile: secret}).uplink(); err == nil {
		t.Fatal("an axis without a system id was accepted")
	}
	if _, err := (axisConfig{url: "http://127.0.0.1:1/x", system: "00.53.W00", secretFile: secret + ".missing"}).uplink(); err == nil {
		t.Fatal("a missing secret file was accepted")
	}
	up, err := (axisConfig{url: "http://127.0.0.1:1/x", system: "00.53.W00", secretFile: secret, prefixes: "000., 001."}).uplink()
	if err != nil {
		t.Fatal(err)
	}
	if !up.Serves("000.00.00.G22") || up.Serves("28.22.H17") {
		t.Fatalf("uplink %s serves the wrong agencies", up.Name())
	}
}
