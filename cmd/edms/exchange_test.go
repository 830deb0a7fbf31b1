package main

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison/exchange"
	"edms/internal/liaison/wire"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

// The peer commands register a certificate's key, list it and forget it.
func TestExchangePeerCommands(t *testing.T) {
	dbFlag := "-database-url=" + storetest.NewDatabaseURL(t)
	ca, err := pki.NewRootCA("edms peer test CA")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := ca.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: "hub"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPath := filepath.Join(dir, "hub.pem")
	if err := cred.WriteTLSFiles(certPath, filepath.Join(dir, "hub.key")); err != nil {
		t.Fatal(err)
	}
	spki := wire.SPKIFingerprint(cred.Cert)
	if code, out, errOut := edms(t, "", "exchange", "peer", "add", dbFlag, "-name", "tinh", "-role", "hub", "-cert", certPath); code != 0 || !strings.Contains(out, spki) {
		t.Fatalf("peer add: %d %q %q", code, out, errOut)
	}
	if code, _, _ := edms(t, "", "exchange", "peer", "add", dbFlag, "-name", "x", "-role", "relay", "-cert", certPath); code != 1 {
		t.Fatalf("peer add with a bad role: %d", code)
	}
	if code, out, _ := edms(t, "", "exchange", "peer", "list", dbFlag); code != 0 || !strings.Contains(out, "tinh\thub\t"+spki) {
		t.Fatalf("peer list: %d %q", code, out)
	}
	if code, _, _ := edms(t, "", "exchange", "peer", "remove", dbFlag, "-name", "tinh"); code != 0 {
		t.Fatalf("peer remove: %d", code)
	}
	if code, out, _ := edms(t, "", "exchange", "peer", "list", dbFlag); code != 0 || out != "" {
		t.Fatalf("peer list after remove: %d %q", code, out)
	}
}

// TestServeExchangeListener wires the exchange flags as edms serve does: the
// mutual-TLS listener answers a registered hub and refuses an unknown client, and
// the metrics listener serves the link's metrics.
func TestServeExchangeListener(t *testing.T) {
	pool := storetest.NewPool(t, storetest.NewDatabaseURL(t))
	ca, err := pki.NewRootCA("edms serve exchange test CA")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	xc := &exchangeConfig{listen: freeAddr(t), metricsListen: freeAddr(t), nodeName: "xa-yen-ninh",
		cert: filepath.Join(dir, "node.pem"), key: filepath.Join(dir, "node.key"), ca: filepath.Join(dir, "ca.pem")}
	if err := pki.WriteCertPEM(xc.ca, ca.Cert); err != nil {
		t.Fatal(err)
	}
	creds := map[string]*pki.Credential{}
	for _, name := range []string{"node", "hub", "stranger"} {
		if creds[name], err = ca.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: name}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := creds["node"].WriteTLSFiles(xc.cert, xc.key); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	documents := &docs.Service{Pool: pool}
	link, err := xc.newLink(pool, documents, &docsign.Keyring{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exchange.AddPeer(ctx, pool, "tinh", exchange.RoleHub, creds["hub"].Cert, nil); err != nil {
		t.Fatal(err)
	}
	if err := xc.serveExchange(ctx, link); err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	client := func(name string) *wire.Client {
		return &wire.Client{BaseURL: "https://" + xc.listen,
			HTTP: wire.NewHTTPClient(wire.ClientTLS(creds[name].TLSCertificate(), roots), 10*time.Second)}
	}
	health, err := client("hub").Health(ctx)
	if err != nil || health.Name != "xa-yen-ninh" || health.Role != "node" {
		t.Fatalf("health %+v %v", health, err)
	}
	var ref *wire.Refusal
	if _, err := client("stranger").Health(ctx); !errors.As(err, &ref) || ref.Code != wire.CodeUnauthenticated {
		t.Fatalf("unknown client: %v", err)
	}
	resp, err := http.Get("http://" + xc.metricsListen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "edms_exchange_queue_jobs") {
		t.Fatalf("metrics: %d %.300s", resp.StatusCode, body)
	}
}

func TestExchangeFlagsGoTogether(t *testing.T) {
	if code, _, errOut := edms(t, "", "serve", "-exchange-listen", "127.0.0.1:0"); code != 1 || !strings.Contains(errOut, "-exchange-cert") {
		t.Errorf("listener without certificate: %d %q", code, errOut)
	}
}
