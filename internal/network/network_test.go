package network_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"edms/internal/demo"
	"edms/internal/network"
	"edms/internal/network/networktest"
	"edms/internal/org"
	"edms/internal/signing/docsign"
	"edms/internal/store"
)

// standalonePlan is two nodes without a hub: what runs before `edms gateway` and the
// exchange flags of `edms serve` exist.
func standalonePlan() network.Plan {
	return network.Plan{Nodes: []network.NodePlan{
		{Name: "huyen", Agencies: []string{demo.DistrictID}},
		{Name: "yenninh", Agencies: []string{demo.YenNinhID}},
	}}
}

func TestStartGivesEachNodeItsDatabaseKeysAndProcess(t *testing.T) {
	ctx := context.Background()
	n := networktest.Start(t, standalonePlan())
	huyen, yenninh := n.Node("huyen"), n.Node("yenninh")
	if n.NodeOf(demo.YenNinhID) != yenninh || n.NodeOf(demo.ProvinceID) != nil {
		t.Error("NodeOf does not follow the plan")
	}
	for _, nd := range n.Nodes() {
		pool, err := store.Open(ctx, nd.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer pool.Close()
		for _, acc := range demo.Accounts {
			_, err := org.UserByUsername(ctx, pool, acc.Username)
			if hosted := acc.Agency == nd.Agencies[0]; (err == nil) != hosted {
				t.Errorf("%s: account %s: %v, hosted %v", nd.Name, acc.Username, err, hosted)
			}
		}
		keys := docsign.Keyring{Dir: nd.KeysDir, Password: n.Plan.KeyPassword}
		if _, err := keys.Agency(nd.Agencies[0]); err != nil {
			t.Errorf("%s: the agency's signing key: %v", nd.Name, err)
		}
		if trust, err := keys.TrustStore(); err != nil || len(trust.Skipped()) > 0 {
			t.Errorf("%s: trust anchors: %v", nd.Name, err)
		}
		if !nd.Running() || getStatus(t, nd.WebURL+"/healthz") != http.StatusOK {
			t.Errorf("%s is not serving", nd.Name)
		}
	}
	if _, err := os.Stat(docsign.Keyring{Dir: huyen.KeysDir}.AgencyPath(demo.YenNinhID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the district's node holds Yên Ninh's key: %v", err)
	}

	// The node signs for real with the keys the harness gave it.
	sender := commune(t, n)
	id := sender.issue("Báo cáo công tác văn thư năm 2026", demo.DistrictID)
	_, out := sender.clerk.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	doc, _ := out["document"].(map[string]any)
	if doc["state"] != "sealed" || doc["leader_signed"] != true || doc["agency_signed"] != true {
		t.Errorf("the issued letter: %v", doc)
	}

	// A crash, then a restart on the same database.
	if err := yenninh.Kill9(); err != nil {
		t.Fatal(err)
	}
	if yenninh.Running() || reachable(yenninh.WebURL+"/healthz") {
		t.Fatal("a killed node still answers")
	}
	if err := yenninh.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if getStatus(t, yenninh.WebURL+"/healthz") != http.StatusOK {
		t.Error("the restarted node is not healthy")
	}

	// PostgreSQL restarts under the running nodes; they recover without a restart.
	if err := n.RestartPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	for _, nd := range n.Nodes() {
		if err := nd.WaitHealthy(ctx); err != nil {
			t.Errorf("%s after PostgreSQL restarted: %v", nd.Name, err)
		}
	}

	pids := []int{huyen.PID(), yenninh.PID()}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process %d outlived Stop: %v", pid, err)
		}
	}
	if err := n.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

func TestStartAgainReusesTheFolder(t *testing.T) {
	plan := standalonePlan()
	plan.Nodes = plan.Nodes[:1]
	plan.Binary = networktest.BuildBinary(t)
	plan.Dir = shortTempDir(t)
	first := networktest.Start(t, plan)
	url := first.Node("huyen").WebURL
	if err := first.Stop(); err != nil {
		t.Fatal(err)
	}
	again := networktest.Start(t, plan)
	if again.Node("huyen").WebURL != url {
		t.Errorf("the node moved from %s to %s", url, again.Node("huyen").WebURL)
	}
	if getStatus(t, again.Node("huyen").WebURL+"/healthz") != http.StatusOK {
		t.Error("the node did not come back")
	}
}

func TestPlansThatCannotStart(t *testing.T) {
	node := func(name, hub string, agencies ...string) network.NodePlan {
		return network.NodePlan{Name: name, Hub: hub, Agencies: agencies}
	}
	for name, plan := range map[string]network.Plan{
		"unknown hub":       {Nodes: []network.NodePlan{node("huyen", "hub-tinh", demo.DistrictID)}},
		"unknown parent":    {Hubs: []network.HubPlan{{Name: "hub-huyen", Parent: "hub-tinh"}}},
		"hub loop":          {Hubs: []network.HubPlan{{Name: "a", Parent: "b"}, {Name: "b", Parent: "a"}}},
		"agency twice":      {Nodes: []network.NodePlan{node("a", "", demo.DistrictID), node("b", "", demo.DistrictID)}},
		"no agency":         {Nodes: []network.NodePlan{node("a", "")}},
		"name twice":        {Hubs: []network.HubPlan{{Name: "a"}}, Nodes: []network.NodePlan{node("a", "", demo.DistrictID)}},
		"name with a space": {Nodes: []network.NodePlan{node("yen ninh", "", demo.YenNinhID)}},
		"name in uppercase": {Nodes: []network.NodePlan{node("YenNinh", "", demo.YenNinhID)}},
	} {
		plan.Binary, plan.Dir = "edms", filepath.Join(t.TempDir(), "net")
		if _, err := network.Start(context.Background(), plan); !errors.Is(err, network.ErrPlan) {
			t.Errorf("%s: %v, want ErrPlan", name, err)
		}
		if _, err := os.Stat(plan.Dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the folder was created", name)
		}
	}
}

func TestDemoPlanHostsEveryAgencyOnceThroughTheProvincialHub(t *testing.T) {
	plan := network.DemoPlan("edms", "dir")
	hosted := map[string]int{}
	for _, nd := range plan.Nodes {
		if nd.Hub != "hub-tinh" {
			t.Errorf("node %s is on hub %q", nd.Name, nd.Hub)
		}
		for _, a := range nd.Agencies {
			hosted[a]++
		}
	}
	for _, a := range demo.AgencyIDs() {
		if hosted[a] != 1 {
			t.Errorf("agency %s is hosted %d times", a, hosted[a])
		}
	}
	if len(plan.Nodes) < 4 {
		t.Errorf("%d nodes: the province, the district and at least two communes are needed", len(plan.Nodes))
	}
}

func getStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func reachable(url string) bool {
	resp, err := http.Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return err == nil
}

func shortTempDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "edms-net-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
