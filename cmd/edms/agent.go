package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"edms/internal/agent"
)

// originsFlag collects the repeatable -origin flag, normalised.
type originsFlag []string

func (f *originsFlag) String() string { return strings.Join(*f, ",") }

func (f *originsFlag) Set(s string) error {
	o, err := agent.NormalizeOrigin(s)
	if err != nil {
		return err
	}
	*f = append(*f, o)
	return nil
}

// slotFlag is the optional -slot: unset means "choose the token by label".
type slotFlag struct{ slot *uint }

func (f *slotFlag) String() string {
	if f.slot == nil {
		return ""
	}
	return fmt.Sprint(*f.slot)
}

func (f *slotFlag) Set(s string) error {
	var v uint
	if _, err := fmt.Sscan(s, &v); err != nil {
		return errors.New("want a slot ID (a non-negative number)")
	}
	f.slot = &v
	return nil
}

func runAgent(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "pair" {
		return runAgentPair(args[1:])
	}
	fs := newFlagSet("agent", "[flags] | edms agent pair <origin>",
		"Run the signing agent on this computer: paired edms pages ask it for the certificate on the\n"+
			"USB token and for signatures, which the person confirms with the token's PIN on the\n"+
			"agent's own page. See docs/agent.md.")
	listen := fs.String("listen", "127.0.0.1:8917", "loopback address to listen on")
	module := fs.String("module", agent.DefaultModule(), "PKCS#11 library of the token (.so, .dll, .dylib), from the token vendor's driver; the default is the first usual one found (docs/agent.md)")
	tokenLabel := fs.String("token-label", "", "label of the token (default: the first token present)")
	var slot slotFlag
	fs.Var(&slot, "slot", "slot ID of the token, instead of -token-label")
	keyLabel := fs.String("key-label", "", "label of the key and its certificate (default: the first key with a certificate)")
	var origins originsFlag
	fs.Var(&origins, "origin", "edms origin allowed to use the agent, e.g. https://edms.example (repeatable; see also: edms agent pair)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := agent.CheckLoopback(*listen); err != nil {
		return err
	}
	if *module == "" {
		return errors.New("no PKCS#11 library found: give the token's library with -module (see docs/agent.md)")
	}
	if slot.slot != nil && *tokenLabel != "" {
		return errors.New("give either -token-label or -slot, not both")
	}
	file, err := agent.DefaultOriginsFile()
	if err != nil {
		return err
	}
	token := agent.Token{Module: *module, Label: *tokenLabel, Slot: slot.slot, KeyLabel: *keyLabel}
	srv := agent.New(token, agent.Pairings{Fixed: origins, File: file}, version)
	slog.Info("edms agent listening", "addr", "http://"+*listen, "module", *module, "origins", origins.String(), "paired_file", file)
	return srv.ListenAndServe(ctx, *listen)
}

func runAgentPair(args []string) error {
	fs := newFlagSet("agent pair", "<origin>", "Allow the edms installation at <origin> (e.g. https://edms.example) to use the agent on this computer.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	file, err := agent.DefaultOriginsFile()
	if err != nil {
		return err
	}
	origin, err := agent.Pairings{File: file}.Pair(fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Printf("paired %s (stored in %s)\n", origin, file)
	return nil
}
