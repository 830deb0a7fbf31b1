package network_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"edms/internal/demo"
	"edms/internal/liaison/conformance"
	"edms/internal/network"
	"edms/internal/network/networktest"
)

// knownGaps are the conformance rows our own node still fails, each with why.
var knownGaps = map[string]string{}

// TestConformanceKitAgainstOurNode: one node hosting the district as its test
// agency, connected to the conformance kit as its hub and set up as `edms conformance
// init` tells an operator; the kit's whole catalogue passes or is skipped, except
// the known gaps.
func TestConformanceKitAgainstOurNode(t *testing.T) {
	ctx := context.Background()
	kitDir, listen := t.TempDir(), freeAddr(t)
	if err := conformance.Init(conformance.InitOptions{Dir: kitDir, TargetOrgan: demo.DistrictID, CRLAddr: freeAddr(t)}); err != nil {
		t.Fatal(err)
	}
	n := networktest.Start(t, network.Plan{Nodes: []network.NodePlan{{Name: "thu", HubURL: "https://" + listen,
		TestAgency: demo.DistrictID, Agencies: []string{demo.DistrictID}}}})
	node := n.Node("thu")
	followOperatorSteps(t, n, node, kitDir)
	if err := node.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	results, _, err := conformance.Run(ctx, conformance.Config{Dir: kitDir, Target: node.ExchangeURL, Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := conformance.WriteTable(&table, results); err != nil {
		t.Fatal(err)
	}
	t.Logf("the kit's table:\n%s", table.String())
	for _, r := range results {
		_, known := knownGaps[r.ID]
		if r.Outcome == conformance.Fail && !known {
			t.Errorf("%s failed: %s", r.ID, r.Detail)
		}
		if r.Outcome != conformance.Fail && known {
			t.Errorf("%s is listed as a known gap but is %s now: take it off the list", r.ID, r.Outcome)
		}
	}
}

// followOperatorSteps does what OperatorSteps asks of the target's operator: it
// registers the kit as the node's hub and the member certificate as a node serving
// T1, makes the node trust the kit's CA for TLS and XML-DSig (the node reads both
// when it restarts), and gives the kit the network's TLS and signing CAs.
func followOperatorSteps(t *testing.T, n *network.Network, node *network.Node, kitDir string) {
	t.Helper()
	ctx := context.Background()
	kitCA := filepath.Join(kitDir, "ca.pem")
	if err := n.RegisterPeer(ctx, node.Name, network.Member{Name: "conformance", Role: "hub", CertPath: filepath.Join(kitDir, "kit.pem")}); err != nil {
		t.Fatal(err)
	}
	if err := n.RegisterPeer(ctx, node.Name, network.Member{Name: "conformance-t1", Role: "node",
		CertPath: filepath.Join(kitDir, "member.pem"), Agencies: []string{conformance.OrganT1}}); err != nil {
		t.Fatal(err)
	}
	concatenate(t, n.CAPath, n.CAPath, kitCA) // the node's -exchange-ca
	concatenate(t, filepath.Join(node.KeysDir, "trust", "conformance.pem"), kitCA)
	concatenate(t, filepath.Join(kitDir, "target-ca.pem"), n.CAPath, n.TrustPath)
}

// concatenate writes the files' contents, one after another, to target.
func concatenate(t *testing.T, target string, files ...string) {
	t.Helper()
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, all, 0o644); err != nil {
		t.Fatal(err)
	}
}

// freeAddr is a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
