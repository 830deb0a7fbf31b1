package network

import (
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
