package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// processPorts are the loopback ports of one process. They are chosen once and kept
// in the network's folder, because hubs and nodes register each other's endpoints.
type processPorts struct {
	Exchange int `json:"exchange"` // the mTLS exchange listener
	Web      int `json:"web"`      // a node's web UI (unused by hubs)
	Operator int `json:"operator"` // a hub's admin page, a node's metrics
}

// list is the ports in a fixed order.
func (p processPorts) list() []int { return []int{p.Exchange, p.Web, p.Operator} }

func (processPorts) addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

func (p processPorts) url(scheme string, port int) string { return scheme + "://" + p.addr(port) }

// loadOrAllocatePorts reads the ports kept in the plan's folder and gives free ones
// to processes that have none yet.
func loadOrAllocatePorts(plan Plan) (map[string]processPorts, error) {
	path := filepath.Join(plan.Dir, "ports.json")
	ports := map[string]processPorts{}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &ports); err != nil {
			return nil, fmt.Errorf("network: %s: %w", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("network: %w", err)
	}
	var names []string
	for _, pp := range plan.processes() {
		names = append(names, pp.name) // the public ports, a balancer's when several instances run
		if pp.instances > 1 {
			names = append(names, pp.instanceNames()...)
		}
	}
	for _, name := range names {
		if _, ok := ports[name]; ok {
			continue
		}
		free, err := freePorts(3)
		if err != nil {
			return nil, err
		}
		ports[name] = processPorts{Exchange: free[0], Web: free[1], Operator: free[2]}
	}
	data, _ = json.MarshalIndent(ports, "", "  ")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	return ports, nil
}

// freePorts asks the kernel for n distinct free loopback ports.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("network: no free port: %w", err)
		}
		defer ln.Close() // held until all are chosen, so they differ
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
