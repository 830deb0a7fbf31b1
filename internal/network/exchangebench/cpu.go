package exchangebench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"edms/internal/network"
)

// clockTick is Linux's USER_HZ, the unit of /proc's CPU times.
const clockTick = 10 * time.Millisecond

// CPU is the processor time each part of the exchange used during a run.
type CPU struct {
	Sender     time.Duration // this process: building, signing, posting, verifying statuses
	Hub        time.Duration
	Node       time.Duration
	PostgreSQL time.Duration // the cluster's server processes, the hub's and node's sessions
}

// cpuMeter reads the CPU times of the network's processes from /proc.
type cpuMeter struct {
	hub, node, postmaster int
}

func newCPUMeter(n *network.Network) cpuMeter {
	return cpuMeter{hub: n.Hub("hub-tinh").PID(), node: n.Node("huyen").PID(),
		postmaster: postmasterPID(filepath.Join(n.Plan.Dir, "postgres"))}
}

func (m cpuMeter) read() CPU {
	self, _ := procCPU(os.Getpid())
	hub, _ := procCPU(m.hub)
	node, _ := procCPU(m.node)
	return CPU{Sender: self, Hub: hub, Node: node, PostgreSQL: m.postgres()}
}

// postgres is the postmaster's time, its live children's and its exited children's.
func (m cpuMeter) postgres() time.Duration {
	total, exited := procCPU(m.postmaster)
	total += exited
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || parentOf(pid) != m.postmaster {
			continue
		}
		own, _ := procCPU(pid)
		total += own
	}
	return total
}

// since is the CPU used between an earlier reading and this one.
func (c CPU) since(before CPU) CPU {
	return CPU{Sender: c.Sender - before.Sender, Hub: c.Hub - before.Hub, Node: c.Node - before.Node,
		PostgreSQL: c.PostgreSQL - before.PostgreSQL}
}

// statFields are the fields of /proc/pid/stat after the command's name.
func statFields(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	if i := bytes.LastIndexByte(data, ')'); i >= 0 {
		data = data[i+1:]
	}
	return strings.Fields(string(data))
}

// procCPU is a process's own user+system time and that of its waited-for children.
func procCPU(pid int) (own, children time.Duration) {
	f := statFields(pid)
	if len(f) < 15 {
		return 0, 0
	}
	ticks := func(i int) time.Duration { n, _ := strconv.ParseInt(f[i], 10, 64); return time.Duration(n) * clockTick }
	// After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
	return ticks(11) + ticks(12), ticks(13) + ticks(14)
}

func parentOf(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// postmasterPID is the first line of the cluster's postmaster.pid, or 0.
func postmasterPID(dataDir string) int {
	data, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(data), "\n", 2)[0]))
	return pid
}
