package exchange

import (
	"crypto"
	"crypto/x509"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"edms/internal/docs"
	"edms/internal/liaison/wire"
	"edms/internal/signing"
)

// DefaultMaxPackageBytes is the largest package the node accepts when the Link
// sets no limit.
const DefaultMaxPackageBytes = 256 << 20

// QueueConfig is the River queue of the node's exchange jobs (docs.QueueExchange):
// eight deliveries at once, fetched at most FetchCooldown after the last fetch and
// looked for every FetchPollInterval in any case.
var QueueConfig = river.QueueConfig{MaxWorkers: 8, FetchCooldown: FetchCooldown, FetchPollInterval: FetchPollInterval}

// FetchCooldown is how soon after its last fetch an exchange queue (the node's, the
// hub's) fetches new jobs and, set as the whole River client's FetchCooldown (as
// edms serve does), how often an insert may notify the queue. River's default,
// 100 ms, is paid up to three times by each package (the hub's forward, the node's
// status, the hub's forward back).
const FetchCooldown = 5 * time.Millisecond

// FetchPollInterval is how often an exchange queue looks for jobs without being
// notified. River notifies a queue of an insert at most once per the client's
// FetchCooldown, so a job inserted just after another waits for the next notified
// insert or for this poll: River's default second made a package's status wait up
// to a second whenever it followed another job within 100 ms (and a closed loop of
// senders waited that second on every round).
const FetchPollInterval = 50 * time.Millisecond

// Link is the node's link to the exchange: its workers send what the documents'
// steps queue, its Handler receives what peers deliver.
type Link struct {
	Pool     *pgxpool.Pool
	Docs     *docs.Service // its Queue takes the status jobs the link queues itself
	Packer   Packer
	Hub      *wire.Client // nil: the node is not connected to a hub
	NodeName string

	Roots *x509.CertPool // trust anchors of package signatures
	// Revocation checks the chains of package signers once verified; nil: not checked.
	Revocation      *signing.RevocationChecker
	ReceiptKey      crypto.Signer // the listener's TLS key, which signs receipts
	MaxPackageBytes int64         // 0: DefaultMaxPackageBytes
	Metrics         *Metrics      // nil: no metrics
	Now             func() time.Time
}

// Register adds the link's workers to River's.
func (l *Link) Register(workers *river.Workers) {
	river.AddWorker(workers, &sendPackageWorker{l: l})
	river.AddWorker(workers, &sendStatusWorker{l: l})
	river.AddWorker(workers, &syncDirectoryWorker{l: l})
}

func (l *Link) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Link) maxPackageBytes() int64 {
	if l.MaxPackageBytes > 0 {
		return l.MaxPackageBytes
	}
	return DefaultMaxPackageBytes
}

// hubName labels metrics of what the node sends: its one peer out is the hub.
func (l *Link) hubName() string {
	if l.Hub == nil {
		return "none"
	}
	return l.Hub.BaseURL
}
