package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
)

// startCPUProfile writes a CPU profile of the whole command to
// $EDMS_CPUPROFILE_DIR/<command>-<pid>.pprof when that variable is set, so that every
// process of a benchmark's network (they inherit the environment) can be profiled
// in one run. The returned function ends the profile; it is a no-op otherwise.
func startCPUProfile(command string) func() {
	dir := os.Getenv("EDMS_CPUPROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%d.pprof", command, os.Getpid())))
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "edms: no CPU profile: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
