package pki

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"path/filepath"
	"testing"
)

func TestIssueTLSServesAndAuthenticatesOverMutualTLS(t *testing.T) {
	ca, err := NewRootCA("edms test network CA")
	if err != nil {
		t.Fatal(err)
	}
	hub, err := ca.IssueTLS(TLSOptions{Subject: Subject{CommonName: "hub-tinh"}, DNSNames: []string{"hub.thainguyen.gov.vn"}})
	if err != nil {
		t.Fatal(err)
	}
	node, err := ca.IssueTLS(TLSOptions{Subject: Subject{CommonName: "node-yenninh"}, RSABits: 2048})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := hub.Key.(*ecdsa.PrivateKey); !ok {
		t.Errorf("default key is %T, want ECDSA", hub.Key)
	}
	if _, ok := node.Key.(*rsa.PrivateKey); !ok {
		t.Errorf("RSABits gave a %T key", node.Key)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := hub.Cert.Verify(x509.VerifyOptions{Roots: roots, DNSName: "hub.thainguyen.gov.vn", KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Errorf("usage %v: %v", usage, err)
		}
	}

	// The files written are what a process loads with its -cert and -key flags.
	dir := t.TempDir()
	if err := hub.WriteTLSFiles(filepath.Join(dir, "hub.pem"), filepath.Join(dir, "hub.key")); err != nil {
		t.Fatal(err)
	}
	serverCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "hub.pem"), filepath.Join(dir, "hub.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Cert.VerifyHostname("::1"); err != nil {
		t.Errorf("IPv6 loopback: %v", err)
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if err := handshake(t, serverCert, node.TLSCertificate(), roots, host); err != nil {
			t.Errorf("mutual TLS with %s: %v", host, err)
		}
	}

	stranger, err := NewRootCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	intruder, err := stranger.IssueTLS(TLSOptions{Subject: Subject{CommonName: "intruder"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := handshake(t, serverCert, intruder.TLSCertificate(), roots, "127.0.0.1"); err == nil {
		t.Error("a client certificate from another CA was accepted")
	}
}

// handshake runs one mutual-TLS exchange on loopback: the server requires a client
// certificate from roots and echoes a byte; the client verifies the server as host.
func handshake(t *testing.T, server, client tls.Certificate, roots *x509.CertPool, host string) error {
	t.Helper()
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{server},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: roots, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	serverErr := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			serverErr <- err
			return
		}
		defer conn.Close()
		buf := make([]byte, 1)
		if _, err := io.ReadFull(conn, buf); err != nil {
			serverErr <- err
			return
		}
		_, err = conn.Write(buf)
		serverErr <- err
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	conn, err := tls.Dial("tcp4", net.JoinHostPort(host, port), &tls.Config{Certificates: []tls.Certificate{client},
		RootCAs: roots, ServerName: host, MinVersion: tls.VersionTLS12})
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.Write([]byte{'x'}); err != nil {
		return err
	}
	buf := make([]byte, 1)
	_, readErr := io.ReadFull(conn, buf)
	return errors.Join(readErr, <-serverErr)
}
