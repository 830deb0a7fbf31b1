package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"edms/internal/liaison/conformance"
)

// runConformance runs the exchange conformance catalogue against a target, or
// prepares the kit's directory (init).
func runConformance(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "init" {
		return runConformanceInit(args[1:])
	}
	fs := newFlagSet("conformance", "-dir DIR -target https://HOST:PORT -listen ADDR [-test-agency ORGANID]",
		"Run the exchange conformance catalogue (shared/domain/conformance.md) against a node or hub that speaks\n"+
			"protocol v1, playing its hub on -listen, and print a table of PASS, FAIL and SKIP rows. Exits 1 on any FAIL.\n"+
			"Prepare DIR first with: edms conformance init -dir DIR -target-organ ORGANID")
	dir := fs.String("dir", "conformance", "the kit's directory (made by init)")
	target := fs.String("target", "", "the target's exchange endpoint, https://HOST:PORT")
	listen := fs.String("listen", "127.0.0.1:7443", "where the kit listens as the target's hub (the target's -hub)")
	agency := fs.String("test-agency", "", "the target's test agency (default: the one given to init)")
	wait := fs.Duration("wait", 2*time.Minute, "longest wait for each status the target sends")
	maxPackage := fs.Int64("max-package", 0, "the target's package size limit in bytes, when known (6.5)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *target == "" {
		fs.Usage()
		return errUsage
	}
	results, failed, err := conformance.Run(ctx, conformance.Config{Dir: *dir, Target: *target, Listen: *listen, TestAgency: *agency, Wait: *wait, MaxPackage: *maxPackage})
	if err != nil {
		return err
	}
	if err := conformance.WriteTable(os.Stdout, results); err != nil {
		return err
	}
	if failed {
		return errors.New("the target failed some conformance cases")
	}
	return nil
}

func runConformanceInit(args []string) error {
	fs := newFlagSet("conformance init", "-dir DIR -target-organ ORGANID",
		"Make the conformance kit's CA, TLS and agency certificates (good and bad ones) and CRL in DIR,\n"+
			"and print what the target's operator must set up.")
	dir := fs.String("dir", "conformance", "the kit's directory")
	organ := fs.String("target-organ", "", "the target's test agency (OrganId)")
	listen := fs.String("listen", "127.0.0.1:7443", "where the kit will listen as the target's hub")
	crlAddr := fs.String("crl-listen", "127.0.0.1:7480", "where the kit will serve its CRL over plain HTTP (written into the revoked certificates)")
	hosts := fs.String("hosts", "", "comma-separated names or addresses of the kit's host, besides loopback, for its TLS certificate")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := conformance.InitOptions{Dir: *dir, TargetOrgan: *organ, CRLAddr: *crlAddr}
	if *hosts != "" {
		opts.Hosts = strings.Split(*hosts, ",")
	}
	if err := conformance.Init(opts); err != nil {
		return err
	}
	fmt.Print(conformance.OperatorSteps(*dir, *listen))
	return nil
}
