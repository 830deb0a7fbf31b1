package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"edms/internal/demo"
	"edms/internal/network"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/store"
)

func runDemo(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "[flags]",
		"Create (idempotently) and run the demo network: the provincial hub (edms gateway) and one node\n"+
			"(edms serve) per installation — UBND tỉnh Thái Nguyên, UBND huyện Phú Lương with its departments,\n"+
			"its towns and communes — each with its own database in the private cluster, with a user for every\n"+
			"role. With -single, everything runs in one process on one database instead.")
	db := addDBFlags(fs)
	hc := addHTTPFlags(fs, "127.0.0.1:8080")
	password := fs.String("password", envOr("EDMS_DEMO_PASSWORD", demo.DefaultPassword), "password given to new demo accounts (env EDMS_DEMO_PASSWORD)")
	single := fs.Bool("single", false, "one process and one database for every agency, without hub or exchange")
	keys := addKeyFlags(fs, "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if keys.Password == "" {
		keys.Password = "edms-demo-keys"
	}
	if *single {
		return runSingleDemo(ctx, db, hc, keys, *password)
	}
	if db.url != "" {
		return errors.New("the demo network runs its own PostgreSQL cluster in -data-dir: give -database-url only with -single")
	}
	return runNetworkDemo(ctx, db.dataDir, keys.Password, *password)
}

// runNetworkDemo starts the demo network's processes from this binary, seeds the
// district's documents, prints where everything is and runs until ctx ends; then it
// stops every process and the cluster.
func runNetworkDemo(ctx context.Context, dataDir, keyPassword, password string) error {
	binary, err := os.Executable()
	if err != nil {
		return err
	}
	plan := network.DemoPlan(binary, filepath.Join(dataDir, "network"))
	plan.Password, plan.KeyPassword = password, keyPassword
	// The network's signing root, created here first, certifies the leaders' personal keys.
	personal, err := startPersonalSigning(filepath.Join(plan.Dir, "ca", "signing-root.p12"), keyPassword, filepath.Join(dataDir, "personal-signing"))
	if err != nil {
		return err
	}
	defer personal.Close()
	// Every node, started from here, reads the providers' file from the environment.
	if err := os.Setenv("EDMS_SIGNING_PROVIDERS", personal.ProvidersFile); err != nil {
		return err
	}
	slog.Info("starting the demo network", "dir", plan.Dir)
	n, err := network.Start(ctx, plan)
	if err != nil {
		return err
	}
	defer func() {
		if err := n.Stop(); err != nil {
			slog.Error("stopping the demo network", "err", err)
		}
	}()
	if err := seedNetworkDocuments(ctx, n.NodeOf(demo.DistrictID), keyPassword); err != nil {
		return err
	}
	printNetwork(n, password)
	printPersonalSigning(personal, n.NodeOf(demo.DistrictID).WebURL)
	<-ctx.Done()
	slog.Info("stopping the demo network")
	return nil
}

// seedNetworkDocuments seeds the district's documents into its node's database, as
// the node's own steps would: signed with its keys, exchange work queued for the
// node's link.
func seedNetworkDocuments(ctx context.Context, district *network.Node, keyPassword string) error {
	pool, err := store.Open(ctx, district.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	keys := &docsign.Keyring{Dir: district.KeysDir, Password: keyPassword, Revocation: signing.RevocationAuto}
	// The services' job queue is never started here: it only inserts, and the node's
	// process works the jobs.
	services, err := newNode(ctx, pool, &httpConfig{}, keys, nil)
	if err != nil {
		return err
	}
	if err := demo.SetSigningAccount(ctx, pool); err != nil {
		return err
	}
	return demo.SeedNodeDocuments(ctx, services.documents, district.Agencies)
}

func printNetwork(n *network.Network, password string) {
	fmt.Printf("\nedms demo network is ready (accounts' password %q for new accounts):\n\n", password)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	for _, h := range n.Hubs() {
		fmt.Fprintf(w, "  hub %s\tadmin %s\texchange %s\n", h.Name, h.AdminURL, h.ExchangeURL)
	}
	fmt.Fprintln(w, "\n  node\tweb\tusername\tname\trole\tagency")
	for _, nd := range n.Nodes() {
		first := true
		for _, a := range demo.Accounts {
			if !slices.Contains(nd.Agencies, a.Agency) {
				continue
			}
			name, url := "", ""
			if first {
				name, url, first = nd.Name, nd.WebURL, false
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\t%s\t%s\t%s\n", name, url, a.Username, a.FullName, a.Role.Label(), a.Agency)
		}
		if first {
			fmt.Fprintf(w, "  %s\t%s\t(no accounts)\t\t\t%v\n", nd.Name, nd.WebURL, nd.Agencies)
		}
	}
	w.Flush()
	fmt.Println("\nLogs: " + filepath.Join(n.Plan.Dir, "{hubs,nodes}/<name>/*.log") + ". Press Ctrl+C to stop.")
}

// runSingleDemo serves the whole demo network from one process and one database.
func runSingleDemo(ctx context.Context, db *dbConfig, hc *httpConfig, keys *docsign.Keyring, password string) error {
	if keys.Dir == "" {
		keys.Dir = filepath.Join(db.dataDir, "keys")
	}
	if err := hc.validate(); err != nil {
		return err
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := demo.Seed(ctx, pool, password); err != nil {
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
	personal, err := startPersonalSigning(filepath.Join(keys.Dir, "ca", "demo-root.p12"), keys.Password, filepath.Join(db.dataDir, "personal-signing"))
	if err != nil {
		return err
	}
	defer personal.Close()
	if err := demo.SetSigningAccount(ctx, pool); err != nil {
		return err
	}
	if n.providers, err = personal.Registry(); err != nil {
		return err
	}
	return n.serve(ctx, pool, hc, func(url string) {
		printDemoLogins(url, password)
		printPersonalSigning(personal, url)
		fmt.Println("\nPress Ctrl+C to stop.")
	})
}

// startPersonalSigning starts the demo's fake remote-signing provider and makes the
// agent's token in dir, for keys certified by the demo root kept at caPath.
func startPersonalSigning(caPath, keyPassword, dir string) (*demo.PersonalSigning, error) {
	ca, err := demo.LoadOrCreateCA(caPath, pki.DemoRootName, keyPassword)
	if err != nil {
		return nil, err
	}
	return demo.StartPersonalSigning(ca, dir)
}

// printPersonalSigning tells how the demo's leaders sign with their own keys.
func printPersonalSigning(p *demo.PersonalSigning, origin string) {
	fmt.Printf("\nPersonal signatures (each official signs with their own key):\n")
	fmt.Printf("  - %s signs remotely: on a document waiting for his signature choose \"Ký số từ xa\" (%s),\n"+
		"    PIN %s; the OTP \"sent by SMS\" is shown at %s\n", demo.RemoteSigner, demo.ProviderName, demo.SigningPIN, p.OTPPage())
	if p.Token == nil {
		fmt.Println("  - SoftHSM2 is not installed: no USB token for edms agent (install softhsm2 and run the demo again).")
	} else {
		fmt.Printf("  - %s signs with a USB token (SoftHSM2, PIN %s): start the agent on this computer with\n"+
			"      %s\n    and choose \"Ký bằng USB token\" on the document.\n", demo.AgentSigner, p.Token.PIN, agentCommand(p.Token, origin))
	}
	fmt.Println("  - The demo agencies still allow signing with server-held keys (\"Khóa do máy chủ giữ\"), labelled on every\n" +
		"    document as for demonstration only; an administrator can require personal keys on the agency page.")
}

// agentCommand is how to start edms agent on the demo's token, paired with origin.
func agentCommand(t *demo.Token, origin string) string {
	binary, err := os.Executable()
	if err != nil {
		binary = "edms"
	}
	return fmt.Sprintf("SOFTHSM2_CONF=%s %s agent -module %s -token-label %s -origin %s", t.Conf, binary, t.Module, t.Label, origin)
}

func printDemoLogins(url, password string) {
	fmt.Printf("\nedms demo is ready: %s\n\nSign in with any of these (password %q for new accounts):\n\n", url, password)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  username\tname\trole\tagency")
	for _, a := range demo.Accounts {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", a.Username, a.FullName, a.Role.Label(), a.Agency)
	}
	w.Flush()
}
