package main

import (
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/liaison/wire"
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
