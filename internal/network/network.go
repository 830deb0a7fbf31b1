package network

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/demo"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/store"
)

// Network is a running network of edms processes.
type Network struct {
	Plan      Plan
	TLSCA     *pki.Authority // issues every process's TLS certificate (and test peers')
	SigningCA *pki.Authority // certifies the agencies' and leaders' signing keys
	CAPath    string         // the TLS CA as PEM (-ca, -exchange-ca)
	TrustPath string         // the signing CA as PEM (the hubs' -trust)

	pgMu    sync.Mutex
	pg      *store.LocalServer
	hubs    []*Hub
	nodes   []*Node
	harness *Peer   // the identity health checks call the exchange endpoints with
	fronts  []front // the balancers before several instances
}

// front is a load balancer's address and the instances' behind it.
type front struct {
	addr     string
	backends []string
}

// Hub is a running `edms gateway`.
type Hub struct {
	*Process               // the first instance; Name is the hub's name when it runs alone
	Instances   []*Process // every instance, on the one database
	Parent      string     // the parent hub's name, or ""
	ExchangeURL string     // its mTLS listener
	AdminURL    string     // its operator page and /metrics (plain HTTP)
	DatabaseURL string
	CertPath    string // its TLS certificate, as peers register it
	KeyPath     string
}

// Node is a running `edms serve`.
type Node struct {
	*Process               // the first instance; Name is the node's name when it runs alone
	Instances   []*Process // every instance, on the one database
	Hub         string     // its hub's name ("" when standalone)
	Agencies    []string   // the organ ids it hosts
	WebURL      string     // the web UI and JSON API
	ExchangeURL string     // its mTLS exchange listener ("" for a standalone node)
	MetricsURL  string     // its /metrics ("" for a standalone node)
	DatabaseURL string
	KeysDir     string // its agencies' and leaders' signing keys and trust anchors
	CertPath    string // its TLS certificate, as its hub registers it
	KeyPath     string
}

// Start creates what is missing of the plan's network in its folder — the cluster,
// one database per hub and node (migrated, the nodes seeded), the CAs, certificates
// and keys, the registrations — and starts every process, returning once each
// answers its health check. Running it again on the same folder reuses everything.
// On error, whatever was started is stopped.
func Start(ctx context.Context, plan Plan) (*Network, error) {
	plan.withDefaults()
	if err := plan.validate(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(plan.Dir)
	if err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	plan.Dir = dir
	n := &Network{Plan: plan}
	if err := n.start(ctx); err != nil {
		return nil, errors.Join(err, n.Stop())
	}
	return n, nil
}

func (n *Network) start(ctx context.Context) error {
	if err := os.MkdirAll(n.Plan.Dir, 0o755); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	if err := n.prepareAuthorities(); err != nil {
		return err
	}
	ports, err := loadOrAllocatePorts(n.Plan)
	if err != nil {
		return err
	}
	pg, err := store.StartLocal(ctx, filepath.Join(n.Plan.Dir, "postgres"), store.LocalOptions{Ephemeral: n.Plan.Ephemeral})
	if err != nil {
		return err
	}
	n.pg = pg
	if err := n.prepareHubs(ctx, ports); err != nil {
		return err
	}
	if err := n.prepareNodes(ctx, ports); err != nil {
		return err
	}
	if err := n.registerOnce(ctx); err != nil {
		return err
	}
	for _, f := range n.fronts {
		if err := n.Plan.Balance(f.addr, f.backends); err != nil {
			return fmt.Errorf("network: unable to balance %s: %w", f.addr, err)
		}
	}
	return n.startAll(ctx)
}

// prepareAuthorities loads or creates the two CAs and the harness's identity.
func (n *Network) prepareAuthorities() error {
	dir := filepath.Join(n.Plan.Dir, "ca")
	var err error
	if n.TLSCA, err = demo.LoadOrCreateCA(filepath.Join(dir, "network-ca.p12"), "edms network CA", n.Plan.KeyPassword); err != nil {
		return err
	}
	if n.SigningCA, err = demo.LoadOrCreateCA(filepath.Join(dir, "signing-root.p12"), pki.DemoRootName, n.Plan.KeyPassword); err != nil {
		return err
	}
	n.CAPath, n.TrustPath = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "trust.pem")
	if err := pki.WriteCertPEM(n.CAPath, n.TLSCA.Cert); err != nil {
		return err
	}
	if err := pki.WriteCertPEM(n.TrustPath, n.SigningCA.Cert); err != nil {
		return err
	}
	n.harness, err = n.peerIdentity("harness", filepath.Join(dir, "harness"))
	return err
}

func (n *Network) prepareHubs(ctx context.Context, ports map[string]processPorts) error {
	for _, hp := range n.Plan.Hubs {
		dir := filepath.Join(n.Plan.Dir, "hubs", hp.Name)
		h := &Hub{Parent: hp.Parent, CertPath: filepath.Join(dir, "tls.pem"), KeyPath: filepath.Join(dir, "tls.key")}
		p := ports[hp.Name]
		h.ExchangeURL, h.AdminURL = p.url("https", p.Exchange), p.url("http", p.Operator)
		var err error
		if h.DatabaseURL, err = n.prepareDatabase(ctx, hp.Name, nil); err != nil {
			return err
		}
		if err := n.issueTLSOnce(dir, hp.Name); err != nil {
			return err
		}
		h.Instances = n.instances(processPlan{hp.Name, hp.Instances}, ports, func(instance string, own processPorts) *Process {
			args := []string{n.Plan.Binary, "gateway", "-database-url", h.DatabaseURL,
				"-listen", own.addr(own.Exchange), "-cert", h.CertPath, "-key", h.KeyPath, "-ca", n.CAPath,
				"-trust", n.TrustPath, "-name", hp.Name, "-admin-listen", own.addr(own.Operator)}
			if n.Plan.RescueAfter > 0 {
				args = append(args, "-rescue-after", n.Plan.RescueAfter.String())
			}
			return &Process{Name: hp.Name, LogPath: filepath.Join(dir, logName("gateway", hp.Name, instance)), env: n.childEnv(),
				args: args, ready: n.exchangeHealthy(own.url("https", own.Exchange)), OperatorURL: own.url("http", own.Operator)}
		})
		h.Process = h.Instances[0]
		n.hubs = append(n.hubs, h)
	}
	return nil
}

func (n *Network) prepareNodes(ctx context.Context, ports map[string]processPorts) error {
	for _, np := range n.Plan.Nodes {
		dir := filepath.Join(n.Plan.Dir, "nodes", np.Name)
		nd := &Node{Hub: np.Hub, Agencies: np.Agencies, KeysDir: filepath.Join(dir, "keys"),
			CertPath: filepath.Join(dir, "tls.pem"), KeyPath: filepath.Join(dir, "tls.key")}
		p := ports[np.Name]
		nd.WebURL = p.url("http", p.Web)
		var err error
		if nd.DatabaseURL, err = n.prepareDatabase(ctx, np.Name, func(ctx context.Context, pool *pgxpool.Pool) error {
			return n.seedNode(ctx, pool, nd)
		}); err != nil {
			return err
		}
		if err := n.issueTLSOnce(dir, np.Name); err != nil {
			return err
		}
		hubURL := n.hubURLOf(np)
		if hubURL != "" {
			nd.ExchangeURL, nd.MetricsURL = p.url("https", p.Exchange), p.url("http", p.Operator)+"/metrics"
		}
		nd.Instances = n.instances(processPlan{np.Name, np.Instances}, ports, func(instance string, own processPorts) *Process {
			proc := &Process{Name: np.Name, LogPath: filepath.Join(dir, logName("serve", np.Name, instance)), env: n.childEnv(),
				args: []string{n.Plan.Binary, "serve", "-database-url", nd.DatabaseURL,
					"-listen", own.addr(own.Web), "-keys", nd.KeysDir},
				ready: webHealthy(own.url("http", own.Web))}
			if hubURL != "" {
				proc.args = append(proc.args, "-exchange-listen", own.addr(own.Exchange), "-exchange-cert", nd.CertPath,
					"-exchange-key", nd.KeyPath, "-exchange-ca", n.CAPath, "-hub", hubURL,
					"-node-name", np.Name, "-metrics-listen", own.addr(own.Operator))
				proc.ready = allOf(proc.ready, n.exchangeHealthy(own.url("https", own.Exchange)))
				proc.OperatorURL = own.url("http", own.Operator)
			}
			if np.TestAgency != "" {
				proc.args = append(proc.args, "-test-agency", np.TestAgency)
			}
			return proc
		})
		nd.Process = nd.Instances[0]
		n.nodes = append(n.nodes, nd)
	}
	return nil
}

// hubURLOf is the exchange endpoint of the node's hub, or "" for a standalone node.
func (n *Network) hubURLOf(np NodePlan) string {
	if np.Hub != "" {
		return n.Hub(np.Hub).ExchangeURL
	}
	return np.HubURL
}

// instances builds the processes of a hub or node, one per instance on its own
// ports; when several run, it plans a balancer on each public port over theirs.
func (n *Network) instances(pp processPlan, ports map[string]processPorts, build func(instance string, own processPorts) *Process) []*Process {
	var procs []*Process
	for _, name := range pp.instanceNames() {
		procs = append(procs, build(name, ports[name]))
	}
	if pp.instances <= 1 {
		return procs
	}
	public := ports[pp.name]
	for i, port := range public.list() {
		f := front{addr: public.addr(port)}
		for _, name := range pp.instanceNames() {
			own := ports[name]
			f.backends = append(f.backends, own.addr(own.list()[i]))
		}
		n.fronts = append(n.fronts, f)
	}
	return procs
}

// logName is an instance's log file: base.log when it runs alone, else with its
// number (base.2.log).
func logName(base, name, instance string) string {
	return base + strings.TrimPrefix(instance, name) + ".log"
}

// seedNode gives a node's database its agencies, accounts and signing keys.
func (n *Network) seedNode(ctx context.Context, pool *pgxpool.Pool, nd *Node) error {
	if err := demo.SeedNode(ctx, pool, nd.Agencies, n.Plan.Password); err != nil {
		return err
	}
	keys := docsign.Keyring{Dir: nd.KeysDir, Password: n.Plan.KeyPassword}
	return demo.IssueKeys(ctx, pool, n.SigningCA, keys, nd.Agencies)
}

// childEnv is what every process gets besides the harness's own environment.
func (n *Network) childEnv() []string {
	return []string{"EDMS_KEY_PASSWORD=" + n.Plan.KeyPassword}
}

// issueTLSOnce writes dir/tls.pem and dir/tls.key unless they exist.
func (n *Network) issueTLSOnce(dir, name string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	cert, key := filepath.Join(dir, "tls.pem"), filepath.Join(dir, "tls.key")
	if _, err := os.Stat(key); err == nil {
		return nil
	}
	cred, err := n.TLSCA.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: name, Organization: "edms network"}})
	if err != nil {
		return err
	}
	return cred.WriteTLSFiles(cert, key)
}

// prepareDatabase creates the process's database when missing, migrates it and runs
// seed (which must be idempotent) when given; it returns the database's URL.
func (n *Network) prepareDatabase(ctx context.Context, process string, seed func(context.Context, *pgxpool.Pool) error) (string, error) {
	name := "edms_" + strings.ReplaceAll(process, "-", "_")
	if err := n.createDatabase(ctx, name); err != nil {
		return "", err
	}
	url := n.databaseURL(name)
	pool, err := store.Open(ctx, url)
	if err != nil {
		return "", err
	}
	defer pool.Close()
	if err := store.Migrate(ctx, pool); err != nil {
		return "", fmt.Errorf("network: migrating %s: %w", name, err)
	}
	if seed != nil {
		if err := seed(ctx, pool); err != nil {
			return "", fmt.Errorf("network: seeding %s: %w", name, err)
		}
	}
	return url, nil
}

func (n *Network) databaseURL(name string) string {
	n.pgMu.Lock()
	defer n.pgMu.Unlock()
	return n.pg.URL(name)
}

// createDatabase creates the database unless it exists.
func (n *Network) createDatabase(ctx context.Context, name string) error {
	conn, err := pgx.Connect(ctx, n.databaseURL("postgres"))
	if err != nil {
		return fmt.Errorf("network: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("network: checking database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("network: creating database %s: %w", name, err)
	}
	return nil
}

// startAll starts every process, then waits until each is healthy.
func (n *Network) startAll(ctx context.Context) error {
	procs := n.processes()
	for _, p := range procs {
		if err := p.start(ctx); err != nil {
			return err
		}
	}
	for _, p := range procs {
		if err := p.WaitHealthy(ctx); err != nil {
			return err
		}
	}
	return nil
}

// processes lists the hubs, then the nodes.
func (n *Network) processes() []*Process {
	return append(n.hubProcesses(), n.nodeProcesses()...)
}

// Hub returns the named hub, or nil.
func (n *Network) Hub(name string) *Hub {
	for _, h := range n.hubs {
		if h.Name == name {
			return h
		}
	}
	return nil
}

// Node returns the named node, or nil.
func (n *Network) Node(name string) *Node {
	for _, nd := range n.nodes {
		if nd.Name == name {
			return nd
		}
	}
	return nil
}

// Hubs lists the hubs in the plan's order.
func (n *Network) Hubs() []*Hub { return n.hubs }

// Nodes lists the nodes in the plan's order.
func (n *Network) Nodes() []*Node { return n.nodes }

// NodeOf returns the node that hosts the agency, or nil.
func (n *Network) NodeOf(organID string) *Node {
	for _, nd := range n.nodes {
		for _, a := range nd.Agencies {
			if a == organID {
				return nd
			}
		}
	}
	return nil
}

// RestartPostgres stops the cluster under every process (fast shutdown: their
// sessions end) and starts it again.
func (n *Network) RestartPostgres(ctx context.Context) error {
	n.pgMu.Lock()
	defer n.pgMu.Unlock()
	if err := n.pg.Stop(); err != nil {
		return err
	}
	pg, err := store.StartLocal(ctx, filepath.Join(n.Plan.Dir, "postgres"), store.LocalOptions{Ephemeral: n.Plan.Ephemeral})
	if err != nil {
		return err
	}
	n.pg = pg
	return nil
}

// Stop stops the nodes, then the hubs (gracefully, at once), then the cluster. It
// may be called on a network that only partly started, and more than once.
func (n *Network) Stop() error {
	err := errors.Join(stopAll(n.nodeProcesses()), stopAll(n.hubProcesses()))
	n.pgMu.Lock()
	defer n.pgMu.Unlock()
	if n.pg != nil {
		err = errors.Join(err, n.pg.Stop())
		n.pg = nil
	}
	return err
}

func (n *Network) nodeProcesses() []*Process {
	var out []*Process
	for _, nd := range n.nodes {
		out = append(out, nd.Instances...)
	}
	return out
}

func (n *Network) hubProcesses() []*Process {
	var out []*Process
	for _, h := range n.hubs {
		out = append(out, h.Instances...)
	}
	return out
}

// stopAll stops the processes in parallel.
func stopAll(procs []*Process) error {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() {
			if err := p.Stop(); err != nil && !errors.Is(err, ErrNotRunning) {
				errs[i] = err
				slog.Error("network: stopping a process", "process", p.Name, "err", err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
