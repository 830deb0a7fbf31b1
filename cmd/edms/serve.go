package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/liaison/conformance"
	"edms/internal/liaison/exchange"
	"edms/internal/notify"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/signing/remote"
	"edms/internal/trust"
	"edms/internal/web"
)

// httpConfig is how a node listens.
type httpConfig struct {
	listen        string
	tlsCert       string
	tlsKey        string
	trustProxy    bool
	proxyHops     int
	secureCookies bool
	// mail is the SMTP server notifications are e-mailed through (empty Addr: none).
	mail notify.Mailer
}

func addHTTPFlags(fs *flag.FlagSet, defaultListen string) *httpConfig {
	c := &httpConfig{}
	fs.StringVar(&c.listen, "listen", envOr("EDMS_LISTEN", defaultListen), "address to listen on (env EDMS_LISTEN)")
	fs.StringVar(&c.tlsCert, "tls-cert", os.Getenv("EDMS_TLS_CERT"), "TLS certificate file (PEM); with -tls-key the server terminates TLS itself (env EDMS_TLS_CERT)")
	fs.StringVar(&c.tlsKey, "tls-key", os.Getenv("EDMS_TLS_KEY"), "TLS private key file (PEM) (env EDMS_TLS_KEY)")
	fs.BoolVar(&c.trustProxy, "trust-proxy", os.Getenv("EDMS_TRUST_PROXY") == "1",
		"behind a reverse proxy: trust X-Forwarded-For and X-Forwarded-Proto (env EDMS_TRUST_PROXY=1)")
	hops, _ := strconv.Atoi(envOr("EDMS_PROXY_HOPS", "1"))
	fs.IntVar(&c.proxyHops, "proxy-hops", hops,
		"with -trust-proxy: how many proxies append to X-Forwarded-For; the client address is read that many entries from the right (env EDMS_PROXY_HOPS)")
	fs.BoolVar(&c.secureCookies, "secure-cookies", os.Getenv("EDMS_SECURE_COOKIES") == "1",
		"always mark cookies Secure (a TLS proxy that sends no X-Forwarded-Proto) (env EDMS_SECURE_COOKIES=1)")
	fs.StringVar(&c.mail.Addr, "smtp-addr", os.Getenv("EDMS_SMTP_ADDR"),
		"SMTP server (host:port) that e-mails notifications and the morning digest; empty: no e-mail (env EDMS_SMTP_ADDR)")
	fs.StringVar(&c.mail.From, "smtp-from", envOr("EDMS_SMTP_FROM", "edms <edms@localhost>"),
		"sender address of the e-mails (env EDMS_SMTP_FROM)")
	return c
}

func (c *httpConfig) validate() error {
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("give both -tls-cert and -tls-key, or neither")
	}
	if _, err := mail.ParseAddress(c.mail.From); c.mail.Addr != "" && err != nil {
		return fmt.Errorf("-smtp-from %q: %w", c.mail.From, err)
	}
	return nil
}

// addKeyFlags adds -keys and the keyring password (from the environment only, so it
// never shows in a process list).
func addKeyFlags(fs *flag.FlagSet, defaultDir string) *docsign.Keyring {
	k := &docsign.Keyring{Password: os.Getenv("EDMS_KEY_PASSWORD")}
	fs.StringVar(&k.Dir, "keys", envOr("EDMS_KEYS_DIR", defaultDir),
		"folder of signing keys: persons/<username>.p12, agencies/<organ_id>.p12 (or .pkcs11 token URIs), trust/*.pem;\n"+
			"empty: digital signing is off and signing steps are recorded as not signed (env EDMS_KEYS_DIR; password in EDMS_KEY_PASSWORD)")
	k.Revocation = signing.RevocationAuto
	fs.Var(revocationFlag{&k.Revocation}, "revocation", revocationUsage)
	return k
}

func runServe(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", "[flags]", "Run an agency node: the web UI and JSON API for the agencies in its database.")
	db := addDBFlags(fs)
	hc := addHTTPFlags(fs, "127.0.0.1:8080")
	keys := addKeyFlags(fs, "")
	xc := addExchangeFlags(fs)
	providersFile := fs.String("signing-providers", os.Getenv("EDMS_SIGNING_PROVIDERS"),
		"JSON file of the remote-signing providers (CSC API v2) officials sign through; empty: none (env EDMS_SIGNING_PROVIDERS)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := hc.validate(); err != nil {
		return err
	}
	if err := xc.validate(); err != nil {
		return err
	}
	if keys.Dir != "" {
		if _, err := os.Stat(keys.Dir); err != nil {
			return fmt.Errorf("signing keys folder: %w", err)
		}
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	n, err := newNode(ctx, pool, hc, keys, xc)
	if err != nil {
		return err
	}
	if n.providers, err = loadProviders(*providersFile); err != nil {
		return err
	}
	if err := xc.serveExchange(ctx, n.link); err != nil {
		return err
	}
	return n.serve(ctx, pool, hc, func(url string) { slog.Info("edms node listening", "url", url) })
}

// node is an agency node's services, built once and shared by its handlers.
type node struct {
	enforcer  *access.Enforcer
	documents *docs.Service
	jobs      *river.Client[pgx.Tx] // inserts from the start; works once serve starts it
	web       web.Config
	link      *exchange.Link // nil: the node takes no part in the exchange (one-process demo, tests)
	// testAgency is the conformance kit's test agency, run by its autopilot ("": none).
	testAgency string
	// trustDir is the keyring's trust folder, the anchors' cache ("": signing is off).
	trustDir string
	// providers are the remote-signing services officials sign through (nil: none).
	providers *remote.Registry
}

// loadProviders reads the remote-signing providers' file ("": none).
func loadProviders(path string) (*remote.Registry, error) {
	if path == "" {
		return nil, nil
	}
	configs, err := remote.LoadConfig(path)
	if err != nil {
		return nil, fmt.Errorf("signing providers: %w", err)
	}
	registry, err := remote.NewRegistry(configs)
	if err != nil {
		return nil, fmt.Errorf("signing providers: %w", err)
	}
	for _, p := range registry.List() {
		slog.Info("remote-signing provider", "id", p.ID(), "name", p.Name())
	}
	return registry, nil
}

// newNode builds the services; with a keys folder, documents are signed for real and
// signatures are checked against its trust anchors; with an exchange configuration
// (nil: none), the node's link to its hub delivers and receives packages.
func newNode(ctx context.Context, pool *pgxpool.Pool, hc *httpConfig, keys *docsign.Keyring, xc *exchangeConfig) (*node, error) {
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		return nil, err
	}
	n := &node{enforcer: enforcer, documents: &docs.Service{Pool: pool, Access: enforcer, Converter: &docs.Converter{}},
		web: web.Config{TrustProxy: hc.trustProxy, ProxyHops: hc.proxyHops, ForceSecureCookies: hc.secureCookies}}
	if xc != nil {
		if n.link, err = xc.newLink(pool, n.documents, keys); err != nil {
			return nil, err
		}
		n.testAgency = xc.testAgency
		if n.link.Hub != nil {
			n.web.Exchange = n.link
		}
	}
	if err := n.newJobs(pool, &hc.mail); err != nil {
		return nil, err
	}
	if keys.Dir == "" {
		slog.Warn("digital signing is off (no -keys folder): signing steps are recorded, documents stay marked as not digitally signed")
		return n, nil
	}
	n.documents.Signing = &docsign.Hook{Keys: *keys, Layout: docsign.FormLayout, Trust: func() *signing.TrustStore { return n.web.Trust }}
	n.web.AgencyKeys = keys
	if n.web.Trust, err = keys.TrustStore(); err != nil {
		return nil, fmt.Errorf("trust anchors: %w", err)
	}
	for _, skipped := range n.web.Trust.Skipped() {
		slog.Warn("trust anchor skipped", "problem", skipped)
	}
	n.trustDir = keys.TrustDir()
	if err := trust.Reload(ctx, pool, n.web.Trust, n.trustDir); err != nil {
		return nil, fmt.Errorf("trust anchors: %w", err)
	}
	n.documents.Verifier = docsign.Verifier{Trust: n.web.Trust}
	return n, nil
}

// serve runs the node until ctx ends, then shuts down gracefully. ready is called
// with the base URL once the listener is open.
func (n *node) serve(ctx context.Context, pool *pgxpool.Pool, hc *httpConfig, ready func(url string)) error {
	listenCtx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	go n.enforcer.Listen(listenCtx)
	if n.web.Trust != nil {
		go trust.Listen(listenCtx, pool, n.web.Trust, n.trustDir)
	}
	srv, err := web.NewServer(n.web, pool, n.enforcer, n.documents)
	if err != nil {
		return err
	}
	srv.Providers = n.providers
	httpSrv := srv.HTTPServer(hc.listen)
	ln, err := net.Listen("tcp", hc.listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", hc.listen, err)
	}
	scheme := "http"
	if hc.tlsCert != "" {
		scheme = "https"
	}
	ready(fmt.Sprintf("%s://%s", scheme, displayAddr(ln.Addr())))
	jobs, err := n.startJobs(listenCtx)
	if err != nil {
		return err
	}
	defer jobs.Stop(context.WithoutCancel(ctx))

	errc := make(chan error, 1)
	go func() {
		if hc.tlsCert != "" {
			errc <- httpSrv.ServeTLS(ln, hc.tlsCert, hc.tlsKey)
		} else {
			errc <- httpSrv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Queues of the node's River client: the documents' own work (conversions, periodic
// jobs) and the exchange's deliveries, apart so that deliveries never wait behind a
// conversion.
var (
	defaultQueue  = river.QueueConfig{MaxWorkers: 2}
	exchangeQueue = exchange.QueueConfig
)

// discardedJobsKept is how long a job that used all its attempts stays in River's
// table, where the operator page lists the exchange's failures.
const discardedJobsKept = 30 * 24 * time.Hour

// stuckJobsRescuedAfter is when a job left running by a node that died (kill -9, a
// lost machine) is run again by another instance or after the restart: longer than
// any job's own time limit (a delivery's is ten minutes), far shorter than River's
// default hour, so that a crash delays a delivery by minutes.
const stuckJobsRescuedAfter = 11 * time.Minute

// newJobs creates River, the job queue, and gives it to the documents service, which
// inserts jobs in its steps' transactions from now on; serve starts it working. Its
// periodic jobs (pending number stamps, deadline reminders, the notifications' morning digest) run on the node River
// elects leader, so several nodes on one database do not repeat them.
func (n *node) newJobs(pool *pgxpool.Pool, mail *notify.Mailer) error {
	workers := river.NewWorkers()
	periodic := n.documents.Jobs(workers, 30*time.Second)
	periodic = append(periodic, notify.Register(workers, pool, mail)...)
	queues := map[string]river.QueueConfig{river.QueueDefault: defaultQueue}
	if n.link != nil {
		n.link.Register(workers)
		queues[docs.QueueExchange] = exchangeQueue
		periodic = append(periodic, n.link.PeriodicJobs(2*time.Minute)...)
	}
	if n.testAgency != "" {
		periodic = append(periodic, conformance.Autopilot(workers, n.documents, n.testAgency))
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Logger:                      slog.Default(),
		Queues:                      queues,
		FetchCooldown:               exchange.FetchCooldown, // also how often an insert notifies
		Workers:                     workers,
		PeriodicJobs:                periodic,
		DiscardedJobRetentionPeriod: discardedJobsKept,
		RescueStuckJobsAfter:        stuckJobsRescuedAfter,
		// Without the link, the exchange's kinds have no worker here yet still queue.
		SkipUnknownJobCheck: n.link == nil,
	})
	if err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	n.jobs, n.documents.Queue = client, client
	return nil
}

// startJobs starts working the queues until ctx ends.
func (n *node) startJobs(ctx context.Context) (*river.Client[pgx.Tx], error) {
	if err := n.jobs.Start(ctx); err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return n.jobs, nil
}

// displayAddr turns an unspecified listen address into one a browser can open.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return fmt.Sprintf("localhost:%d", tcp.Port)
}
