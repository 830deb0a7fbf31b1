package network_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"edms/internal/demo"
	"edms/internal/network"
	"edms/internal/network/networktest"
)

// TestScaleOutSharesTrafficAndLosesNothing: two instances of the provincial hub on
// one database behind a balancer, and two of the district's node behind another; a
// test peer streams packages to the district through the hub, and one instance of
// each is killed (kill -9) halfway. Both instances of each handled packages before,
// and the district registered every package exactly once. EDMS_E2E_PACKAGES sets how
// many (default 200).
func TestScaleOutSharesTrafficAndLosesNothing(t *testing.T) {
	ctx := context.Background()
	total := packagesToStream(t)
	plan := plansOfBothShapes()["communes on the provincial hub"]
	plan.Hubs[0].Instances, plan.Nodes[0].Instances = 2, 2
	n := networktest.Start(t, plan)
	hub, district := n.Hub("hub-tinh"), n.Node("huyen")
	peer, err := n.NewPeer("yendo")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.RegisterMember(ctx, hub.Name, network.Member{Name: peer.Name, Role: "node",
		Endpoint: "https://127.0.0.1:9", CertPath: peer.CertPath, Agencies: []string{yenDo}}); err != nil {
		t.Fatal(err)
	}
	client, key := peer.Client(hub.ExchangeURL), agencyIdentity(t, n, yenDo)
	for i := range total {
		if i == total/2 {
			handledByEach(t, hub.Instances, "edms_hub_packages_in_total")
			handledByEach(t, district.Instances, "edms_exchange_packages_in_total")
			if err := errors.Join(hub.Instances[1].Kill9(), district.Instances[1].Kill9()); err != nil {
				t.Fatal(err)
			}
		}
		sendUntilAcknowledged(t, client, signedLetter(t, key, demo.DistrictID))
		client.HTTP.CloseIdleConnections() // each package on a new connection, as from many senders
	}
	waitCount(t, district.DatabaseURL,
		`SELECT count(*), count(DISTINCT external_id) FROM documents WHERE direction = 'incoming' AND issuer_organ_id = $1`, yenDo, total)
}

// handledByEach checks that every instance counted some packages in its metric.
func handledByEach(t *testing.T, instances []*network.Process, metric string) {
	t.Helper()
	for i, p := range instances {
		if count := metricSum(t, p.OperatorURL+"/metrics", metric); count == 0 {
			t.Errorf("instance %d of %s handled no package (%s)", i+1, p.Name, metric)
		}
	}
}

// metricSum adds up the samples of a counter on a Prometheus page.
func metricSum(t *testing.T, url, metric string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		line := lines.Text()
		if !strings.HasPrefix(line, metric+"{") && !strings.HasPrefix(line, metric+" ") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("%s: %q: %v", url, line, err)
		}
		sum += v
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}
