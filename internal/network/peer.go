package network

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"edms/internal/liaison/wire"
	"edms/internal/signing/pki"
)

// Peer is a TLS identity from the network's CA, for a test that acts as a hub or a
// node itself (register it with RegisterMember, then call endpoints with Client).
type Peer struct {
	Name       string
	Credential *pki.Credential
	CertPath   string // the certificate as PEM, as a hub registers it
	KeyPath    string
	roots      *x509.CertPool
}

// NewPeer issues a new TLS identity from the network's CA.
func (n *Network) NewPeer(name string) (*Peer, error) {
	return n.peerIdentity(name, filepath.Join(n.Plan.Dir, "peers", name))
}

func (n *Network) peerIdentity(name, prefix string) (*Peer, error) {
	cred, err := n.TLSCA.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: name, Organization: "edms network"}})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	p := &Peer{Name: name, Credential: cred, CertPath: prefix + ".pem", KeyPath: prefix + ".key", roots: x509.NewCertPool()}
	p.roots.AddCert(n.TLSCA.Cert)
	return p, cred.WriteTLSFiles(p.CertPath, p.KeyPath)
}

// Client calls an exchange endpoint of the network as this peer.
func (p *Peer) Client(baseURL string) *wire.Client {
	tlsConfig := wire.ClientTLS(p.Credential.TLSCertificate(), p.roots)
	return &wire.Client{BaseURL: baseURL, HTTP: wire.NewHTTPClient(tlsConfig, time.Minute)}
}

// Member is a registration at a hub: a node, a child hub, or the parent hub.
type Member struct {
	Name     string
	Role     string // "node", "hub" or "parent"
	Endpoint string
	CertPath string
	Agencies []string
}

// RegisterMember registers a member at a hub (`edms gateway member add`).
func (n *Network) RegisterMember(ctx context.Context, hub string, m Member) error {
	h := n.Hub(hub)
	if h == nil {
		return fmt.Errorf("network: no hub %q", hub)
	}
	args := []string{"gateway", "member", "add", "-database-url", h.DatabaseURL, "-name", m.Name, "-role", m.Role,
		"-endpoint", m.Endpoint, "-cert", m.CertPath}
	if len(m.Agencies) > 0 {
		args = append(args, "-agencies", strings.Join(m.Agencies, ","))
	}
	return n.edms(ctx, args...)
}

// RegisterPeer allows a hub or node (Role "hub" or "node"; a node with the
// agencies it serves) to call a node's exchange endpoint (`edms exchange peer add`).
// The endpoint is not used: a node calls only its hub.
func (n *Network) RegisterPeer(ctx context.Context, node string, m Member) error {
	nd := n.Node(node)
	if nd == nil {
		return fmt.Errorf("network: no node %q", node)
	}
	args := []string{"exchange", "peer", "add", "-database-url", nd.DatabaseURL, "-name", m.Name, "-role", m.Role, "-cert", m.CertPath}
	if len(m.Agencies) > 0 {
		args = append(args, "-agencies", strings.Join(m.Agencies, ","))
	}
	return n.edms(ctx, args...)
}

// registerOnce makes the first start's registrations: each node and child hub at its
// hub, each child hub's parent, and each node's hub at the node. A marker file keeps
// later starts from repeating them.
func (n *Network) registerOnce(ctx context.Context) error {
	marker := filepath.Join(n.Plan.Dir, "registered")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	for _, h := range n.hubs {
		if h.Parent == "" {
			continue
		}
		parent := n.Hub(h.Parent)
		if err := n.RegisterMember(ctx, parent.Name, Member{Name: h.Name, Role: "hub", Endpoint: h.ExchangeURL,
			CertPath: h.CertPath, Agencies: n.Plan.subtree(h.Name)}); err != nil {
			return err
		}
		if err := n.RegisterMember(ctx, h.Name, Member{Name: parent.Name, Role: "parent", Endpoint: parent.ExchangeURL,
			CertPath: parent.CertPath}); err != nil {
			return err
		}
	}
	for _, nd := range n.nodes {
		if nd.Hub == "" {
			continue
		}
		hub := n.Hub(nd.Hub)
		if err := n.RegisterMember(ctx, hub.Name, Member{Name: nd.Name, Role: "node", Endpoint: nd.ExchangeURL,
			CertPath: nd.CertPath, Agencies: nd.Agencies}); err != nil {
			return err
		}
		if err := n.RegisterPeer(ctx, nd.Name, Member{Name: hub.Name, Role: "hub", CertPath: hub.CertPath}); err != nil {
			return err
		}
	}
	if err := os.WriteFile(marker, []byte("registrations made\n"), 0o644); err != nil {
		return fmt.Errorf("network: %w", err)
	}
	return nil
}

// edms runs one edms command to its end.
func (n *Network) edms(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, n.Plan.Binary, args...)
	cmd.Env = append(os.Environ(), n.childEnv()...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("network: edms %s: %w: %s", strings.Join(args[:min(3, len(args))], " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
