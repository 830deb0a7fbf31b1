// Package network runs a network of edms processes on one machine: exchange hubs
// (`edms gateway`) and agency nodes (`edms serve`), each with its own database in one
// private PostgreSQL cluster, its own TLS certificate from a network CA, and, for the
// nodes, the signing keys of the agencies they host. The demo network and the
// end-to-end tests of the exchange start it from a Plan; it registers the members
// at their hubs and the hubs at their nodes, starts every process from the edms
// binary the plan names, waits for each to answer its health check, and lets tests
// kill, restart and stop processes and PostgreSQL underneath them.
package network

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"edms/internal/demo"
)

// Plan is the shape of a network.
type Plan struct {
	Binary string // the edms binary the processes run
	Dir    string // where the cluster, certificates, keys and logs live; kept between runs
	Hubs   []HubPlan
	Nodes  []NodePlan
	// Password is given to new demo accounts (default demo.DefaultPassword);
	// KeyPassword protects the PKCS#12 signing keys (default "edms-demo-keys").
	Password    string
	KeyPassword string
	// Ephemeral trades the cluster's durability for speed (fsync off), for tests.
	Ephemeral bool
	// RescueAfter is when a hub runs again a job that a killed instance left running
	// (the gateway's -rescue-after; 0: its default). Tests shorten it.
	RescueAfter time.Duration
	// Balance starts a loopback load balancer at the front address that spreads
	// connections over the backend addresses until the network's test or program
	// ends (networktest gives one). A plan with several instances of a hub or node
	// requires it.
	Balance func(front string, backends []string) error
}

// HubPlan is one hub: the provincial hub has no parent; a district hub names the
// provincial one.
type HubPlan struct {
	Name      string
	Parent    string // the parent hub's name, or ""
	Instances int    // processes of the hub on its one database, behind Balance (0: one)
}

// NodePlan is one agency node, seeded with the demo agencies it hosts (organ ids of
// package demo) and the accounts of their people.
type NodePlan struct {
	Name      string
	Hub       string // the hub it is a member of; "": a standalone node without exchange
	Agencies  []string
	Instances int // processes of the node on its one database, behind Balance (0: one)
	// HubURL connects the node to a hub outside the plan instead (the conformance
	// kit): nobody registers the node there, nor that hub at the node.
	HubURL string
	// TestAgency is the agency the node's conformance autopilot runs (-test-agency).
	TestAgency string
}

// ErrPlan marks a plan that cannot be started as written.
var ErrPlan = errors.New("network: invalid plan")

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,30}$`)

// DemoPlan is the demo network: the provincial hub and one node per installation of
// the demo (the province, the district, the communes), all members of the hub.
func DemoPlan(binary, dir string) Plan {
	p := Plan{Binary: binary, Dir: dir, Hubs: []HubPlan{{Name: "hub-tinh"}}}
	for _, inst := range demo.Installations {
		p.Nodes = append(p.Nodes, NodePlan{Name: inst.Name, Hub: "hub-tinh", Agencies: inst.Agencies})
	}
	return p
}

func (p *Plan) withDefaults() {
	if p.Password == "" {
		p.Password = demo.DefaultPassword
	}
	if p.KeyPassword == "" {
		p.KeyPassword = "edms-demo-keys"
	}
}

// validate checks names, references and that every agency is hosted once.
func (p *Plan) validate() error {
	if p.Binary == "" || p.Dir == "" {
		return fmt.Errorf("%w: the binary and the folder are required", ErrPlan)
	}
	if p.Balance == nil && slices.ContainsFunc(p.processes(), func(pp processPlan) bool { return pp.instances > 1 }) {
		return fmt.Errorf("%w: several instances of a hub or node need a load balancer", ErrPlan)
	}
	var names []string
	hubs := map[string]HubPlan{}
	for _, h := range p.Hubs {
		names = append(names, h.Name)
		hubs[h.Name] = h
	}
	for _, h := range p.Hubs {
		if _, ok := hubs[h.Parent]; h.Parent != "" && !ok {
			return fmt.Errorf("%w: hub %s has an unknown parent %q", ErrPlan, h.Name, h.Parent)
		}
		if ancestorsLoop(hubs, h.Name) {
			return fmt.Errorf("%w: hub %s is its own ancestor", ErrPlan, h.Name)
		}
	}
	hosted := map[string]string{}
	for _, n := range p.Nodes {
		names = append(names, n.Name)
		if _, ok := hubs[n.Hub]; n.Hub != "" && !ok {
			return fmt.Errorf("%w: node %s names an unknown hub %q", ErrPlan, n.Name, n.Hub)
		}
		if n.Hub != "" && n.HubURL != "" {
			return fmt.Errorf("%w: node %s names both a hub and a hub URL", ErrPlan, n.Name)
		}
		if len(n.Agencies) == 0 {
			return fmt.Errorf("%w: node %s hosts no agency", ErrPlan, n.Name)
		}
		for _, a := range n.Agencies {
			if other, dup := hosted[a]; dup {
				return fmt.Errorf("%w: agency %s is hosted by both %s and %s", ErrPlan, a, other, n.Name)
			}
			hosted[a] = n.Name
		}
	}
	for i, name := range names {
		if !namePattern.MatchString(name) {
			return fmt.Errorf("%w: name %q must be lowercase letters, digits and dashes", ErrPlan, name)
		}
		if slices.Contains(names[:i], name) {
			return fmt.Errorf("%w: the name %s is used twice", ErrPlan, name)
		}
	}
	return nil
}

func ancestorsLoop(hubs map[string]HubPlan, name string) bool {
	seen := map[string]bool{}
	for cur := hubs[name].Parent; cur != ""; cur = hubs[cur].Parent {
		if cur == name || seen[cur] {
			return true
		}
		seen[cur] = true
	}
	return false
}

// subtree lists the agencies served under a hub: its member nodes' and, through
// its child hubs, theirs.
func (p *Plan) subtree(hub string) []string {
	var out []string
	for _, n := range p.Nodes {
		if n.Hub == hub {
			out = append(out, n.Agencies...)
		}
	}
	for _, h := range p.Hubs {
		if h.Parent == hub {
			out = append(out, p.subtree(h.Name)...)
		}
	}
	return out
}

// processPlan is how many instances of a hub or node run.
type processPlan struct {
	name      string
	instances int
}

// processes lists the hubs, then the nodes.
func (p *Plan) processes() []processPlan {
	var out []processPlan
	for _, h := range p.Hubs {
		out = append(out, processPlan{h.Name, h.Instances})
	}
	for _, n := range p.Nodes {
		out = append(out, processPlan{n.Name, n.Instances})
	}
	return out
}

// instanceNames are the names of its processes: its own when it runs alone, else
// the name with the instance's number.
func (pp processPlan) instanceNames() []string {
	if pp.instances <= 1 {
		return []string{pp.name}
	}
	names := make([]string, pp.instances)
	for i := range names {
		names[i] = fmt.Sprintf("%s.%d", pp.name, i+1)
	}
	return names
}
