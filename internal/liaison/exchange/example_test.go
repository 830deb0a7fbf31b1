package exchange_test

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"net/http"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"edms/internal/docs"
	"edms/internal/liaison/exchange"
	"edms/internal/liaison/wire"
)

// A node joins the exchange: its link's workers send what the documents' steps queue
// on River's exchange queue, and its handler, behind a mutual-TLS listener, receives
// what the hub delivers from the peers registered with exchange.AddPeer.
func Example() {
	var (
		pool      *pgxpool.Pool   // the node's database
		documents *docs.Service   // whose Queue is the River client below
		nodeCert  tls.Certificate // the node's TLS certificate, server and client
		networkCA *x509.CertPool  // the CAs of the hub's and peers' certificates
		anchors   *x509.CertPool  // the trust anchors of agencies' signatures
	)
	link := &exchange.Link{
		Pool: pool, Docs: documents, NodeName: "xa-yen-ninh", Roots: anchors,
		Packer:     exchange.Packer{DB: pool}, // with Keys, packages are signed with each agency's key
		Hub:        &wire.Client{BaseURL: "https://hub.example:8443", HTTP: wire.NewHTTPClient(wire.ClientTLS(nodeCert, networkCA), 0)},
		ReceiptKey: nodeCert.PrivateKey.(crypto.Signer), // receipts are signed with the listener's key
	}
	workers := river.NewWorkers()
	link.Register(workers) // with river.Config{Queues: {docs.QueueExchange: ...}, PeriodicJobs: link.PeriodicJobs(...)}
	listener := &http.Server{Addr: ":8443", Handler: link.Handler(), TLSConfig: wire.ServerTLS(nodeCert, networkCA)}
	go listener.ListenAndServeTLS("", "")
}
