// Package exchangebench measures the exchange end to end (`edms bench exchange`): it
// starts a hub and a receiving node as processes (package network) on one private
// PostgreSQL cluster, and plays the sending node itself, as a member of the hub: it
// builds and signs each package (a letter with a 50 KB attachment), posts it to the
// hub, which verifies, stores and forwards it to the node, which registers it and
// sends its status 01 back through the hub to the sender's own listener. A
// package's latency runs from its post to the arrival of its 01. In the same run it
// measures pgbench's rate on the same cluster, the ceiling the exchange sits under.
package exchangebench

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"edms/internal/demo"
	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/network"
)

// Options of a run. Rate > 0 runs open loop at Rate packages per second; otherwise
// Concurrency senders each wait for a package's 01 before sending the next.
type Options struct {
	Binary         string        // the edms binary the hub and the node run
	Dir            string        // where the network lives ("": a temporary folder, removed)
	Ephemeral      bool          // run the cluster without fsync (tests)
	Rate           float64       // packages per second (open loop), or 0
	Concurrency    int           // concurrent senders when Rate is 0
	Warmup         time.Duration // how long packages are sent, and their 01 awaited, before measuring
	Duration       time.Duration // how long packages are sent
	Drain          time.Duration // how long the last packages' 01 may take after Duration
	AttachmentSize int           // bytes of the package's attachments (PDF and annex)
	Pgbench        time.Duration // how long pgbench runs (0: not run)
	PgbenchClients int
}

// sender is the agency the benchmark sends for: in the demo, on no node of the plan.
const sender = "000.04.09.H56"

// Run starts the network, sends packages as o says, and returns the report.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Duration <= 0 || (o.Rate <= 0 && o.Concurrency < 1) || o.AttachmentSize < 1 {
		return Report{}, errors.New("exchangebench: the duration, the attachment size and a rate or a concurrency must be positive")
	}
	dir, cleanup, err := workDir(o.Dir)
	if err != nil {
		return Report{}, err
	}
	defer cleanup()
	n, err := network.Start(ctx, network.Plan{Binary: o.Binary, Dir: dir, Ephemeral: o.Ephemeral,
		Hubs:  []network.HubPlan{{Name: "hub-tinh"}},
		Nodes: []network.NodePlan{{Name: "huyen", Hub: "hub-tinh", Agencies: []string{demo.DistrictID}}}})
	if err != nil {
		return Report{}, err
	}
	defer n.Stop()
	b, err := newBench(ctx, n, o)
	if err != nil {
		return Report{}, err
	}
	defer b.close()
	rep := Report{Options: o}
	if o.Warmup > 0 {
		_, failures, _ := b.sendFor(ctx, o.Warmup)
		for _, err := range failures {
			rep.Failures = append(rep.Failures, fmt.Errorf("warm-up: %w", err))
		}
	}
	meter := newCPUMeter(n)
	rep.LoadBefore = loadAverage()
	before := meter.read()
	samples, failures, elapsed := b.sendFor(ctx, o.Duration)
	rep.Samples, rep.Failures, rep.Elapsed = samples, append(rep.Failures, failures...), elapsed
	rep.CPU, rep.LoadAfter = meter.read().since(before), loadAverage()
	if o.Pgbench > 0 {
		if rep.Pgbench, err = runPgbench(ctx, n.Node("huyen").DatabaseURL, o.Pgbench, o.PgbenchClients); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func workDir(dir string) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, nil
	}
	// Short: the cluster's unix socket lives inside it.
	dir, err := os.MkdirTemp("", "edms-xb-")
	if err != nil {
		return "", nil, fmt.Errorf("exchangebench: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// bench is the sending node: its signing identity, its client to the hub and its
// listener for the statuses.
type bench struct {
	o         Options
	identity  liaison.Identity
	client    *wire.Client
	statuses  *statusListener
	dir       string
	pdfPath   string
	annexSize int    // bytes of random content in each package's annex
	run       string // in every DocumentId, so that runs on one folder do not collide

	mu  sync.Mutex
	seq int
}

func newBench(ctx context.Context, n *network.Network, o Options) (*bench, error) {
	hub := n.Hub("hub-tinh")
	peer, err := n.NewPeer("bench")
	if err != nil {
		return nil, err
	}
	signingRoots := x509.NewCertPool()
	signingRoots.AddCert(n.SigningCA.Cert)
	tlsRoots := x509.NewCertPool()
	tlsRoots.AddCert(n.TLSCA.Cert)
	statuses, err := listenForStatuses(peer, tlsRoots, signingRoots)
	if err != nil {
		return nil, err
	}
	b := &bench{o: o, client: peer.Client(hub.ExchangeURL), statuses: statuses,
		run: strconv.FormatInt(time.Now().Unix()%(36*36*36*36), 36)}
	if err := n.RegisterMember(ctx, hub.Name, network.Member{Name: peer.Name, Role: "node",
		Endpoint: statuses.url, CertPath: peer.CertPath, Agencies: []string{sender}}); err != nil {
		return nil, errors.Join(err, statuses.close())
	}
	cred, err := n.SigningCA.IssueAgency(agencySubject())
	if err != nil {
		return nil, errors.Join(err, statuses.close())
	}
	b.identity = liaison.Identity{Signer: cred.Key, Chain: []*x509.Certificate{cred.Cert, n.SigningCA.Cert}}
	if err := b.writeLetter(filepath.Join(n.Plan.Dir, "bench")); err != nil {
		return nil, errors.Join(err, statuses.close())
	}
	return b, nil
}

func (b *bench) close() error { return b.statuses.close() }

// writeLetter writes the letter's PDF every package carries.
func (b *bench) writeLetter(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("exchangebench: %w", err)
	}
	pdf, err := letterPDF()
	if err != nil {
		return err
	}
	b.dir, b.pdfPath, b.annexSize = dir, filepath.Join(dir, "cong-van.pdf"), max(b.o.AttachmentSize-len(pdf), 1)
	if err := os.WriteFile(b.pdfPath, pdf, 0o644); err != nil {
		return fmt.Errorf("exchangebench: %w", err)
	}
	return nil
}

func (b *bench) next() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	return b.seq
}

// send runs one package through: sign, post until acknowledged, wait for its 01.
func (b *bench) send(ctx context.Context) (Sample, error) {
	start := time.Now()
	body, documentID, err := b.signed(b.next(), start)
	if err != nil {
		return Sample{}, err
	}
	arrived := b.statuses.expect(documentID)
	defer b.statuses.forget(documentID)
	posted := time.Now()
	if err := b.post(ctx, body); err != nil {
		return Sample{}, err
	}
	acked := time.Now()
	select {
	case at := <-arrived:
		return Sample{Sign: posted.Sub(start), Post: acked.Sub(posted), Relay: at.Sub(acked), Total: at.Sub(posted)}, nil
	case <-ctx.Done():
		return Sample{}, fmt.Errorf("exchangebench: no status 01 for %s: %w", documentID, ctx.Err())
	}
}

// post sends the package to the hub, resending it after a temporary failure as a
// node's outbox would.
func (b *bench) post(ctx context.Context, body []byte) error {
	out := wire.Outgoing{Length: int64(len(body)), PackageID: wire.DefaultPackageID(body), Recipient: demo.DistrictID}
	for {
		out.Body = bytes.NewReader(body)
		_, err := b.client.Send(ctx, out)
		var temporary *wire.Temporary
		if err == nil || !errors.As(err, &temporary) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("exchangebench: %w (last: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// sendFor sends packages for d, open or closed loop as the options say, and waits for
// their 01 (within the drain).
func (b *bench) sendFor(ctx context.Context, d time.Duration) ([]Sample, []error, time.Duration) {
	if b.o.Rate > 0 {
		return b.openLoop(ctx, d)
	}
	return b.closedLoop(ctx, d)
}

// openLoop starts a package every 1/Rate seconds for d, whatever the others do.
func (b *bench) openLoop(ctx context.Context, d time.Duration) ([]Sample, []error, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d+b.o.Drain)
	defer cancel()
	c := &collector{}
	tick := time.NewTicker(time.Duration(float64(time.Second) / b.o.Rate))
	defer tick.Stop()
	start := time.Now()
	for end := start.Add(d); time.Now().Before(end); <-tick.C {
		c.wg.Go(func() { c.add(b.send(ctx)) })
	}
	c.wg.Wait()
	return c.samples, c.failures, time.Since(start)
}

// closedLoop runs Concurrency senders for d, each sending its next package once the
// last one's 01 arrived.
func (b *bench) closedLoop(ctx context.Context, d time.Duration) ([]Sample, []error, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d+b.o.Drain)
	defer cancel()
	c := &collector{}
	start := time.Now()
	end := start.Add(d)
	for range b.o.Concurrency {
		c.wg.Go(func() {
			for time.Now().Before(end) && ctx.Err() == nil {
				c.add(b.send(ctx))
			}
		})
	}
	c.wg.Wait()
	return c.samples, c.failures, time.Since(start)
}

// collector gathers the senders' samples and failures.
type collector struct {
	wg       sync.WaitGroup
	mu       sync.Mutex
	samples  []Sample
	failures []error
}

func (c *collector) add(s Sample, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.failures = append(c.failures, err)
		return
	}
	c.samples = append(c.samples, s)
}

// loadAverage is the first three fields of /proc/loadavg, or "?".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	var one, five, fifteen string
	fmt.Sscan(string(data), &one, &five, &fifteen)
	return one + " " + five + " " + fifteen
}

// percentile of sorted durations (p in 0..100).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func sortedBy(samples []Sample, field func(Sample) time.Duration) []time.Duration {
	out := make([]time.Duration, len(samples))
	for i, s := range samples {
		out[i] = field(s)
	}
	slices.Sort(out)
	return out
}
