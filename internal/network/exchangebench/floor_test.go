package exchangebench

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"edms/internal/demo"
	"edms/internal/liaison"
	"edms/internal/signing/pki"
)

// BenchmarkProtocolWork measures, without a database, the work the exchange's
// protocol asks of each package that edms bench exchange sends, piece by piece: the
// sender builds and signs it; the hub and the node each read and verify it; the node
// builds and signs status 01; the hub and the sender each read and verify that; and
// each of the four hand-overs is an HTTPS post over mutual TLS. Their sum, with the
// database's share measured by pgbench (BENCHMARKS.md), is the floor under the
// benchmark's CPU per package — what any implementation of this protocol pays.
//
//	go test ./internal/network/exchangebench/ -run '^$' -bench ProtocolWork -cpu 1 -count 5
func BenchmarkProtocolWork(b *testing.B) {
	f := newFloor(b)
	document, _, err := f.signed(1, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	status := f.signedStatus(b)
	unsigned, _, err := f.unsigned(1, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("sender signs the document", func(b *testing.B) {
		for b.Loop() {
			if err := liaison.Sign(io.Discard, bytes.NewReader(unsigned), f.identity, liaison.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("receiver reads and verifies the document", func(b *testing.B) { f.verify(b, document) })
	b.Run("node builds and signs status 01", func(b *testing.B) {
		for b.Loop() {
			f.signedStatus(b)
		}
	})
	b.Run("receiver reads and verifies the status", func(b *testing.B) { f.verify(b, status) })
	b.Run("post of the document over mutual TLS", func(b *testing.B) { f.post(b, document) })
	b.Run("post of the status over mutual TLS", func(b *testing.B) { f.post(b, status) })
	b.Logf("document %d bytes, status %d bytes", len(document), len(status))
}

// floor is a sending agency and what its packages are verified against.
type floor struct {
	*bench
	roots  *x509.CertPool
	tlsCA  *pki.Authority
	client *http.Client
}

func newFloor(b *testing.B) *floor {
	ca, err := pki.NewRootCA("Floor signing CA")
	if err != nil {
		b.Fatal(err)
	}
	cred, err := ca.IssueAgency(agencySubject())
	if err != nil {
		b.Fatal(err)
	}
	f := &floor{bench: &bench{o: Options{AttachmentSize: 50 << 10}, run: "floor",
		identity: liaison.Identity{Signer: cred.Key, Chain: []*x509.Certificate{cred.Cert, ca.Cert}}},
		roots: x509.NewCertPool()}
	f.roots.AddCert(ca.Cert)
	if err := f.writeLetter(filepath.Join(b.TempDir(), "bench")); err != nil {
		b.Fatal(err)
	}
	if f.tlsCA, err = pki.NewRootCA("Floor TLS CA"); err != nil {
		b.Fatal(err)
	}
	return f
}

// signedStatus builds and signs status 01 from the district about the sender's
// letter, as the node's Packer does.
func (f *floor) signedStatus(b *testing.B) []byte {
	now := time.Now()
	pkg := &liaison.Package{Kind: liaison.KindStatus, Status: &liaison.Status{
		From:        liaison.Organization{OrganID: demo.DistrictID, OrganName: "Ủy ban nhân dân huyện Phú Lương"},
		ResponseFor: liaison.ResponseFor{OrganID: sender, Code: "1/UBND-floor", DocumentID: sender + ",2026/12/02,1/UBND-floor"},
		Staff:       liaison.StaffInfo{Department: "Văn phòng", Staff: "Văn thư"},
		StatusCode:  "01", Description: liaison.StatusCodes["01"], Timestamp: now},
		Trace: []liaison.TraceHeader{{OrganID: demo.DistrictID, Timestamp: now.Truncate(time.Second)}}}
	var unsigned, signed bytes.Buffer
	if err := liaison.Write(&unsigned, pkg, nil); err != nil {
		b.Fatal(err)
	}
	if err := liaison.Sign(&signed, bytes.NewReader(unsigned.Bytes()), f.identity, liaison.Limits{}); err != nil {
		b.Fatal(err)
	}
	return signed.Bytes()
}

// verify reads a package as the hub does: signature required, under the roots.
func (f *floor) verify(b *testing.B, body []byte) {
	for b.Loop() {
		if _, err := liaison.Read(bytes.NewReader(body), liaison.Options{Roots: f.roots, RequireSignature: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// post sends body to a mutual-TLS server that reads it and answers 200, over one
// kept-alive HTTP/2 connection, as the hub and nodes do.
func (f *floor) post(b *testing.B, body []byte) {
	server := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte(`{"receipt_id":"floor"}`))
	}))
	serverCred, err := f.tlsCA.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: "hub"}})
	if err != nil {
		b.Fatal(err)
	}
	clientCred, err := f.tlsCA.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: "node"}})
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(f.tlsCA.Cert)
	server.TLS = &tls.Config{Certificates: []tls.Certificate{serverCred.TLSCertificate()}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert}
	server.EnableHTTP2 = true
	server.StartTLS()
	defer server.Close()
	client := &http.Client{Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{clientCred.TLSCertificate()}}}}
	for b.Loop() {
		resp, err := client.Post(server.URL, "application/xml", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
