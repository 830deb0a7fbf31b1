// Command edms is the single binary of the edms document management and interconnection
// system: an agency node (serve), an exchange hub (gateway), a whole demo network (demo)
// and the operator tools. Each subcommand lives in its own file and only parses flags
// and wires packages together; the work is done under internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of edms.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string) error
}

// commands lists every subcommand, in the order `edms help` prints them.
var commands = []command{
	{"serve", "run an agency node (web UI and JSON API)", runServe},
	{"gateway", "run an exchange hub (gateway member add|list|remove)", runGateway},
	{"demo", "create the demo network and serve it", runDemo},
	{"migrate", "apply database migrations", runMigrate},
	{"user", "manage users (user add|passwd|list|disable|token)", runUser},
	{"org", "manage agencies and units (org list|add|unit|import)", runOrg},
	{"exchange", "manage the node's exchange peers (exchange peer add|list|remove)", runExchange},
	{"audit", "check the audit trail (audit verify)", runAudit},
	{"version", "print the version", runVersion},
	{"edxml", "inspect, validate, build, sign and verify edXML packages", runEdxml},
	{"pdf", "sign and verify PDF documents (pdf sign|verify)", runPDF},
	{"agent", "run the USB-token signing agent on this computer (agent pair <origin>)", runAgent},
	{"bench", "measure performance on generated data (bench docs, bench web)", runBench},
	{"conformance", "run the exchange conformance catalogue against a node or hub (conformance init|run)", runConformance},
}

// errUsage marks an error already explained by printed usage.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run([]string{args[1], "-h"}, stderr)
		}
		printUsage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := findCommand(args[0])
	if !ok {
		fmt.Fprintf(stderr, "edms: unknown command %q\n\n", args[0])
		printUsage(stderr)
		return 2
	}
	setupLogging(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer startCPUProfile(cmd.name)()
	err := cmd.run(ctx, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "edms %s: %v\n", cmd.name, err)
		return 1
	}
}

// setupLogging installs the structured logger: text or JSON (EDMS_LOG_FORMAT), at the
// level of EDMS_LOG_LEVEL (debug, info, warn, error; default info).
func setupLogging(w io.Writer) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(envOr("EDMS_LOG_LEVEL", "info"))); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if os.Getenv("EDMS_LOG_FORMAT") == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	slog.SetDefault(slog.New(h))
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "edms — electronic document management and interconnection")
	fmt.Fprintln(w, "\nUsage: edms <command> [flags]   (edms <command> -h for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

// newFlagSet returns a flag set whose -h prints a usage line, the description and the flags.
func newFlagSet(name, usage, description string) *flag.FlagSet {
	fs := flag.NewFlagSet("edms "+name, flag.ContinueOnError)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: edms %s %s\n\n%s\n", name, usage, description)
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns a flag error into errUsage (the usage is already printed).
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

func runVersion(_ context.Context, args []string) error {
	fs := newFlagSet("version", "", "Print the version of this edms binary.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Println("edms", version)
	return nil
}
