package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/exchange"
	"edms/internal/liaison/wire"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
)

// exchangeConfig is how a node joins the exchange network.
type exchangeConfig struct {
	listen        string
	cert, key, ca string
	hub           string
	nodeName      string
	metricsListen string
	maxPackage    int64
	testAgency    string // the conformance kit's test agency, run by its autopilot
}

func addExchangeFlags(fs *flag.FlagSet) *exchangeConfig {
	c := &exchangeConfig{}
	host, _ := os.Hostname()
	fs.StringVar(&c.listen, "exchange-listen", os.Getenv("EDMS_EXCHANGE_LISTEN"),
		"address of the exchange's mutual-TLS listener, where the hub and peers deliver packages; empty: off (env EDMS_EXCHANGE_LISTEN)")
	fs.StringVar(&c.cert, "exchange-cert", os.Getenv("EDMS_EXCHANGE_CERT"),
		"the node's TLS certificate (PEM), its server certificate and its client certificate towards the hub (env EDMS_EXCHANGE_CERT)")
	fs.StringVar(&c.key, "exchange-key", os.Getenv("EDMS_EXCHANGE_KEY"), "the node's TLS private key (PEM) (env EDMS_EXCHANGE_KEY)")
	fs.StringVar(&c.ca, "exchange-ca", os.Getenv("EDMS_EXCHANGE_CA"),
		"PEM bundle of the CAs of peers' client certificates and of the hub's server certificate (env EDMS_EXCHANGE_CA)")
	fs.StringVar(&c.hub, "hub", os.Getenv("EDMS_HUB"), "base URL of the exchange hub, e.g. https://hub.example:8443; empty: not connected (env EDMS_HUB)")
	fs.StringVar(&c.nodeName, "node-name", envOr("EDMS_NODE_NAME", host), "this node's name in the network (env EDMS_NODE_NAME)")
	fs.StringVar(&c.testAgency, "test-agency", os.Getenv("EDMS_TEST_AGENCY"),
		"OrganId of an agency of this node that behaves as the conformance kit's test agency (registers, handles and answers by itself); never on a production agency (env EDMS_TEST_AGENCY)")
	fs.StringVar(&c.metricsListen, "metrics-listen", os.Getenv("EDMS_METRICS_LISTEN"),
		"address serving Prometheus metrics on /metrics; empty: off (env EDMS_METRICS_LISTEN)")
	maxPackage, _ := strconv.ParseInt(envOr("EDMS_EXCHANGE_MAX_PACKAGE", strconv.Itoa(exchange.DefaultMaxPackageBytes)), 10, 64)
	fs.Int64Var(&c.maxPackage, "exchange-max-package", maxPackage,
		"largest package the exchange listener accepts, in bytes; a larger one is refused with 413 (env EDMS_EXCHANGE_MAX_PACKAGE)")
	return c
}

func (c *exchangeConfig) validate() error {
	if (c.listen != "" || c.hub != "") && (c.cert == "" || c.key == "" || c.ca == "") {
		return errors.New("the exchange (-exchange-listen or -hub) needs -exchange-cert, -exchange-key and -exchange-ca")
	}
	return nil
}

// tls loads the node's certificate and the CA bundle.
func (c *exchangeConfig) tls() (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return cert, nil, fmt.Errorf("exchange certificate: %w", err)
	}
	bundle, err := os.ReadFile(c.ca)
	if err != nil {
		return cert, nil, fmt.Errorf("exchange CA bundle: %w", err)
	}
	pool, err := liaison.PEMCertPool(bundle)
	if err != nil {
		return cert, nil, fmt.Errorf("exchange CA bundle %s: %w", c.ca, err)
	}
	return cert, pool, nil
}

// newLink builds the node's exchange link; package signatures are checked against
// the keys folder's trust anchors.
func (c *exchangeConfig) newLink(pool *pgxpool.Pool, documents *docs.Service, keys *docsign.Keyring) (*exchange.Link, error) {
	link := &exchange.Link{Pool: pool, Docs: documents, NodeName: c.nodeName, Packer: exchange.Packer{DB: pool},
		MaxPackageBytes: c.maxPackage}
	if keys.Dir == "" && (c.listen != "" || c.hub != "") {
		slog.Warn("the exchange runs without a -keys folder: packages can be neither signed nor verified, so every one is refused")
	}
	if keys.Dir != "" {
		link.Packer.Keys = &exchange.CachedKeys{Keyring: *keys}
		trust, err := keys.TrustStore()
		if err != nil {
			return nil, fmt.Errorf("trust anchors: %w", err)
		}
		link.Roots, link.Revocation = trust.Pool(), trust.Revocation
	}
	if c.metricsListen != "" {
		link.Metrics = exchange.NewMetrics(pool)
	}
	if c.cert == "" {
		return link, nil
	}
	cert, cas, err := c.tls()
	if err != nil {
		return nil, err
	}
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("exchange key %s cannot sign receipts", c.key)
	}
	link.ReceiptKey = signer
	if c.hub != "" {
		link.Hub = &wire.Client{BaseURL: c.hub, HTTP: wire.NewHTTPClient(wire.ClientTLS(cert, cas), 10*time.Minute)}
	}
	return link, nil
}

// serveExchange runs the mutual-TLS listener and the metrics listener, when
// configured, until ctx ends.
func (c *exchangeConfig) serveExchange(ctx context.Context, link *exchange.Link) error {
	var servers []*http.Server
	errc := make(chan error, 2)
	start := func(srv *http.Server, ln net.Listener, what string) {
		servers = append(servers, srv)
		slog.Info("edms "+what+" listening", "address", ln.Addr().String(), "node", c.nodeName)
		go func() {
			if srv.TLSConfig != nil {
				errc <- srv.ServeTLS(ln, "", "") // HTTP/2 when the peer offers it
			} else {
				errc <- srv.Serve(ln)
			}
		}()
	}
	if c.listen != "" {
		cert, cas, err := c.tls()
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", c.listen)
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", c.listen, err)
		}
		start(&http.Server{Handler: link.Handler(), ReadHeaderTimeout: 30 * time.Second, TLSConfig: refuseRevokedClients(wire.ServerTLS(cert, cas), link.Revocation)},
			ln, "exchange listener")
	}
	if c.metricsListen != "" {
		ln, err := net.Listen("tcp", c.metricsListen)
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", c.metricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", link.Metrics.Handler())
		start(&http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln, "metrics")
	}
	go func() {
		<-ctx.Done()
		for _, srv := range servers {
			shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
			srv.Shutdown(shutdownCtx)
			cancel()
		}
	}()
	go func() {
		for range servers {
			if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
				slog.Error("exchange listener stopped", "error", err)
			}
		}
	}()
	return nil
}

func runExchange(ctx context.Context, args []string) error {
	return runGroup(ctx, "exchange", args, []command{
		{"peer", "manage the hubs and nodes allowed to deliver packages (peer add|list|remove)", runExchangePeer},
	})
}

func runExchangePeer(ctx context.Context, args []string) error {
	return runGroup(ctx, "exchange peer", args, []command{
		{"add", "register a hub or node by its certificate", runExchangePeerAdd},
		{"list", "print the registered peers", runExchangePeerList},
		{"remove", "forget a peer", runExchangePeerRemove},
	})
}

func runExchangePeerAdd(ctx context.Context, args []string) error {
	fs := newFlagSet("exchange peer add", "-name N -role hub|node -cert FILE [-agencies A,B]",
		"Allow a hub or node to deliver packages to this node's exchange listener, recognised by its certificate's key.")
	db := addDBFlags(fs)
	name := fs.String("name", "", "the peer's name")
	role := fs.String("role", "", "hub or node")
	certFile := fs.String("cert", "", "the peer's TLS certificate (PEM)")
	agencies := fs.String("agencies", "", "the OrganIds a node peer serves, comma-separated")
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		certs, err := loadCerts(*certFile)
		if err != nil {
			return fmt.Errorf("peer certificate: %w", err)
		}
		p, err := exchange.AddPeer(ctx, pool, *name, *role, certs[0], splitList(*agencies))
		if err != nil {
			return err
		}
		fmt.Printf("peer %s (%s) registered, key %s\n", p.Name, p.Role, p.SPKI)
		return nil
	})
}

func runExchangePeerList(ctx context.Context, args []string) error {
	fs := newFlagSet("exchange peer list", "", "Print the hubs and nodes allowed to deliver packages to this node.")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		peers, err := exchange.Peers(ctx, pool)
		if err != nil {
			return err
		}
		for _, p := range peers {
			fmt.Printf("%s\t%s\t%s\t%s\n", p.Name, p.Role, p.SPKI, strings.Join(p.Agencies, ","))
		}
		return nil
	})
}

func runExchangePeerRemove(ctx context.Context, args []string) error {
	fs := newFlagSet("exchange peer remove", "-name N", "Forget a peer: its certificate no longer opens the exchange listener.")
	db := addDBFlags(fs)
	name := fs.String("name", "", "the peer's name")
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		return exchange.RemovePeer(ctx, pool, *name)
	})
}

// splitList splits a comma-separated flag, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// refuseRevokedClients makes an exchange listener refuse, once the client's
// certificate is verified, a chain holding a certificate its CA has revoked.
func refuseRevokedClients(conf *tls.Config, revocation *signing.RevocationChecker) *tls.Config {
	conf.VerifyConnection = func(cs tls.ConnectionState) error {
		for _, chain := range cs.VerifiedChains {
			if st, revoked := revocation.RevokedInChain(chain); revoked {
				return fmt.Errorf("exchange: the client certificate %q is revoked", st.Subject)
			}
		}
		return nil
	}
	return conf
}
