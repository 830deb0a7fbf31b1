package exchangebench

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// Sample is one package's way, in its phases.
type Sample struct {
	Sign  time.Duration // building and signing the package at the sender
	Post  time.Duration // posting it until the hub's receipt (TLS, upload, the hub verifies and stores it)
	Relay time.Duration // from the receipt to the 01's arrival: forwarding, registering, the status back
	Total time.Duration // from the post to the 01's arrival (Post + Relay)
}

// Report is the outcome of a run.
type Report struct {
	Options    Options
	Samples    []Sample
	Failures   []error
	Elapsed    time.Duration
	LoadBefore string // /proc/loadavg's 1, 5 and 15 minute averages
	LoadAfter  string
	CPU        CPU // used by each part while packages were sent
	Pgbench    PgbenchResult
}

// Summary is what a report prints.
type Summary struct {
	Mode        string             `json:"mode"`
	Completed   int                `json:"completed"`
	Failed      int                `json:"failed"`
	ElapsedSec  float64            `json:"elapsed_s"`
	PerSecond   float64            `json:"packages_per_s"`
	Phases      []Phase            `json:"phases"`
	LoadBefore  string             `json:"load_before"`
	LoadAfter   string             `json:"load_after"`
	CPUPerPkgMs map[string]float64 `json:"cpu_ms_per_package"`
	PgbenchTPS  float64            `json:"pgbench_tps,omitempty"`
	PgbenchArgs string             `json:"pgbench,omitempty"`
}

// Phase is the distribution of one phase over the completed packages, in ms.
type Phase struct {
	Name string  `json:"name"`
	P50  float64 `json:"p50_ms"`
	P95  float64 `json:"p95_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
}

// Summarize computes the figures of the report.
func (r Report) Summarize() Summary {
	s := Summary{Completed: len(r.Samples), Failed: len(r.Failures), ElapsedSec: r.Elapsed.Seconds(),
		LoadBefore: r.LoadBefore, LoadAfter: r.LoadAfter, PgbenchTPS: r.Pgbench.TPS, PgbenchArgs: r.Pgbench.Command}
	s.Mode = fmt.Sprintf("closed loop, %d senders", r.Options.Concurrency)
	if r.Options.Rate > 0 {
		s.Mode = fmt.Sprintf("open loop, %.0f packages/s", r.Options.Rate)
	}
	if n := len(r.Samples) + len(r.Failures); n > 0 {
		per := func(d time.Duration) float64 { return ms(d) / float64(n) }
		s.CPUPerPkgMs = map[string]float64{"sender": per(r.CPU.Sender), "hub": per(r.CPU.Hub),
			"node": per(r.CPU.Node), "postgresql": per(r.CPU.PostgreSQL)}
	}
	if r.Elapsed > 0 {
		s.PerSecond = float64(len(r.Samples)) / r.Elapsed.Seconds()
	}
	for _, ph := range []struct {
		name  string
		field func(Sample) time.Duration
	}{
		{"end to end (post → 01)", func(s Sample) time.Duration { return s.Total }},
		{"  post → hub receipt", func(s Sample) time.Duration { return s.Post }},
		{"  receipt → 01 back", func(s Sample) time.Duration { return s.Relay }},
		{"sign at sender (before post)", func(s Sample) time.Duration { return s.Sign }},
	} {
		sorted := sortedBy(r.Samples, ph.field)
		s.Phases = append(s.Phases, Phase{Name: ph.name, P50: ms(percentile(sorted, 50)), P95: ms(percentile(sorted, 95)),
			P99: ms(percentile(sorted, 99)), Max: ms(percentile(sorted, 100))})
	}
	return s
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Print writes the summary as a table, or as JSON.
func (r Report) Print(w io.Writer, asJSON bool) error {
	s := r.Summarize()
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(w, "%s: %d packages completed, %d failed in %.1fs = %.1f packages/s\n", s.Mode, s.Completed, s.Failed, s.ElapsedSec, s.PerSecond)
	fmt.Fprintf(w, "load average before: %s, after: %s\n", s.LoadBefore, s.LoadAfter)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "phase\tp50 ms\tp95 ms\tp99 ms\tmax ms")
	for _, p := range s.Phases {
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.1f\n", p.Name, p.P50, p.P95, p.P99, p.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if c := s.CPUPerPkgMs; c != nil {
		fmt.Fprintf(w, "CPU per package sent: sender %.1f ms, hub %.1f ms, node %.1f ms, PostgreSQL %.1f ms\n",
			c["sender"], c["hub"], c["node"], c["postgresql"])
	}
	if s.PgbenchArgs != "" {
		fmt.Fprintf(w, "pgbench ceiling on the same cluster (%s): %.0f transactions/s\n", s.PgbenchArgs, s.PgbenchTPS)
	}
	for i, err := range r.Failures {
		if i == 3 {
			fmt.Fprintf(w, "… and %d more failures\n", len(r.Failures)-3)
			break
		}
		fmt.Fprintf(w, "failure: %v\n", err)
	}
	return nil
}
