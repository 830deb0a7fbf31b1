package network

import (
	"errors"
	"slices"
	"testing"

	"edms/internal/demo"
)

func TestSubtreeFollowsChildHubs(t *testing.T) {
	plan := Plan{
		Hubs: []HubPlan{{Name: "hub-tinh"}, {Name: "hub-huyen", Parent: "hub-tinh"}},
		Nodes: []NodePlan{
			{Name: "tinh", Hub: "hub-tinh", Agencies: []string{demo.ProvinceID}},
			{Name: "huyen", Hub: "hub-huyen", Agencies: []string{demo.DistrictID}},
			{Name: "yenninh", Hub: "hub-huyen", Agencies: []string{demo.YenNinhID}},
		},
	}
	for hub, want := range map[string][]string{
		"hub-tinh":  {demo.ProvinceID, demo.DistrictID, demo.YenNinhID},
		"hub-huyen": {demo.DistrictID, demo.YenNinhID},
	} {
		got := plan.subtree(hub)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s serves %v, want %v", hub, got, want)
		}
	}
}

// TestSeveralInstancesNeedABalancer: a plan with two instances of a node is
// refused without a load balancer, and their processes get numbered names.
func TestSeveralInstancesNeedABalancer(t *testing.T) {
	plan := Plan{Binary: "edms", Dir: t.TempDir(), Hubs: []HubPlan{{Name: "hub-tinh"}},
		Nodes: []NodePlan{{Name: "huyen", Hub: "hub-tinh", Agencies: []string{demo.DistrictID}, Instances: 2}}}
	if err := plan.validate(); !errors.Is(err, ErrPlan) {
		t.Fatalf("without a balancer: %v", err)
	}
	plan.Balance = func(string, []string) error { return nil }
	if err := plan.validate(); err != nil {
		t.Fatal(err)
	}
	if got := plan.processes()[1].instanceNames(); !slices.Equal(got, []string{"huyen.1", "huyen.2"}) {
		t.Fatalf("instances %v", got)
	}
}
