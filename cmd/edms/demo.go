package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"edms/internal/demo"
)

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "[flags]",
		"Create (idempotently) the demo network — UBND tỉnh Thái Nguyên, UBND huyện Phú Lương with its\n"+
			"departments, its towns and communes — with a user for every role, then serve it.")
	db := addDBFlags(fs)
	hc := addHTTPFlags(fs, "127.0.0.1:8080")
	password := fs.String("password", envOr("EDMS_DEMO_PASSWORD", "PhuLuong@2026"), "password given to new demo accounts (env EDMS_DEMO_PASSWORD)")
	keys := addKeyFlags(fs, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if keys.Dir == "" {
		keys.Dir = filepath.Join(db.dataDir, "keys")
	}
	if keys.Password == "" {
		keys.Password = "edms-demo-keys"
	}
	if err := hc.validate(); err != nil {
		return err
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := demo.Seed(ctx, pool, *password); err != nil {
		return err
	}
	if err := demo.ProvisionKeys(ctx, pool, *keys); err != nil {
		return err
	}
	n, err := newNode(ctx, pool, hc, keys, nil)
	if err != nil {
		return err
	}
	if err := demo.SeedDocuments(ctx, n.documents); err != nil {
		return err
	}
	return n.serve(ctx, pool, hc, func(url string) { printDemoLogins(url, *password) })
}

func printDemoLogins(url, password string) {
	fmt.Printf("\nedms demo is ready: %s\n\nSign in with any of these (password %q for new accounts):\n\n", url, password)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  username\tname\trole\tagency")
	for _, a := range demo.Accounts {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", a.Username, a.FullName, a.Role.Label(), a.Agency)
	}
	w.Flush()
	fmt.Println("\nPress Ctrl+C to stop.")
}
