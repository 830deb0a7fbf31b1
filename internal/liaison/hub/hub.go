package hub

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/liaison/wire"
	"edms/internal/signing"
)

// QueueHub is the River queue of the hub's jobs.
const QueueHub = "hub"

// queueConfig is the hub queue's: eight forwards at once, fetched soon after an
// insert and looked for every 50 ms in any case, for the reasons the node's exchange
// queue gives (exchange.FetchPollInterval): River notifies a queue at most once per
// the client's FetchCooldown, and a job inserted just after another waits for the
// next notification or the poll.
var queueConfig = river.QueueConfig{MaxWorkers: 8, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond}

// DefaultMaxPackage is the largest package a hub accepts unless configured.
const DefaultMaxPackage = 100 << 20

// DefaultRescueAfter is how long a forward may run before River takes it for lost
// (its hub died mid-way) and runs it again.
const DefaultRescueAfter = 11 * time.Minute

// Config is what a hub needs to run.
type Config struct {
	Pool    *pgxpool.Pool
	Name    string          // the hub's name, in receipts, hops and directories
	Cert    tls.Certificate // its TLS certificate and key: server, client and receipt signer
	PeerCAs *x509.CertPool  // CAs of peers' client certificates and of their server certificates
	Trust   *x509.CertPool  // XML-DSig trust anchors for agency signatures
	// Revocation checks the chains of agency signers once verified; nil: not checked.
	Revocation *signing.RevocationChecker
	MaxPackage int64  // bytes; 0: DefaultMaxPackage
	Uplink     Uplink // optional: the national axis
	// RescueAfter is when a job left running by a hub that died is run again; a
	// forward gets a minute less to finish (0: DefaultRescueAfter).
	RescueAfter time.Duration
	// RetryPolicy overrides River's exponential backoff for forwarding (tests).
	RetryPolicy river.ClientRetryPolicy
}

// Hub is a running hub's services, shared by its handlers and workers.
type Hub struct {
	Config
	jobs    *river.Client[pgx.Tx] // set by StartJobs
	clients sync.Map              // SPKI fingerprint → *http.Client pinned to it
	signer  crypto.Signer
	metrics *metrics
	// hopChecks spares a successful delivery the look for forwards waiting for its hop.
	hopChecks hopChecks
}

// errNoQueue is returned when a package arrives before the job queue is started.
var errNoQueue = errors.New("hub: the job queue is not started")

// New checks the configuration and builds the hub.
func New(cfg Config) (*Hub, error) {
	if cfg.Pool == nil || cfg.Name == "" || cfg.PeerCAs == nil || cfg.Trust == nil {
		return nil, errors.New("hub: a database, a name, peer CAs and trust anchors are required")
	}
	signer, ok := cfg.Cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("hub: the TLS key cannot sign receipts")
	}
	if cfg.MaxPackage <= 0 {
		cfg.MaxPackage = DefaultMaxPackage
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = DefaultRescueAfter
	}
	return &Hub{Config: cfg, signer: signer, metrics: newMetrics(cfg.Pool)}, nil
}

// StartJobs starts River on the hub queue (8 workers) with the hub's workers and
// periodic jobs, and makes it the queue new deliveries go to.
func (h *Hub) StartJobs(ctx context.Context) (*river.Client[pgx.Tx], error) {
	workers := river.NewWorkers()
	periodic := h.register(workers)
	client, err := river.NewClient(riverpgxv5.New(h.Pool), &river.Config{
		Logger:               slog.Default(),
		Queues:               map[string]river.QueueConfig{QueueHub: queueConfig},
		FetchCooldown:        queueConfig.FetchCooldown, // also how often an insert notifies
		Workers:              workers,
		PeriodicJobs:         periodic,
		RetryPolicy:          h.RetryPolicy,
		JobTimeout:           min(time.Minute, h.RescueAfter/2),
		RescueStuckJobsAfter: h.RescueAfter,
	})
	if err != nil {
		return nil, fmt.Errorf("hub: unable to create the job queue: %w", err)
	}
	if err := client.Start(ctx); err != nil {
		return nil, fmt.Errorf("hub: unable to start the job queue: %w", err)
	}
	h.jobs = client
	return client, nil
}

// forwardTimeout bounds one attempt to hand a package to the next hop: it ends
// before River would take the job for lost.
func (h *Hub) forwardTimeout() time.Duration {
	return max(h.RescueAfter-time.Minute, h.RescueAfter/2)
}

// errPeerMismatch is returned when a member's endpoint presents another
// certificate than the one registered for it.
var errPeerMismatch = errors.New("hub: the endpoint's certificate is not the one registered for the member")

// clientFor is the protocol client for a member's endpoint, whose server
// certificate must carry the public key registered for it (spki), not merely one
// that the CAs vouch for. Clients are kept per key, so connections are reused.
func (h *Hub) clientFor(endpoint, spki string) *wire.Client {
	c, ok := h.clients.Load(spki)
	if !ok {
		cfg := wire.ClientTLS(h.Cert, h.PeerCAs)
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || wire.SPKIFingerprint(cs.PeerCertificates[0]) != spki {
				return errPeerMismatch
			}
			return nil
		}
		c, _ = h.clients.LoadOrStore(spki, wire.NewHTTPClient(cfg, h.forwardTimeout()))
	}
	return &wire.Client{BaseURL: endpoint, HTTP: c.(*http.Client)}
}
