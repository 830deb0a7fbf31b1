package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/liaison"
	"edms/internal/liaison/axis"
	"edms/internal/liaison/hub"
	"edms/internal/liaison/wire"
	"edms/internal/signing"
)

// gatewayConfig is how a hub runs.
type gatewayConfig struct {
	listen, adminListen string
	cert, key, ca       string
	trust, name         string
	maxPackage          int64
	rescueAfter         time.Duration
	axis                axisConfig
}

// axisConfig is how a hub reaches the national axis (or a provincial LGSP speaking
// its API); without a URL the hub has no uplink.
type axisConfig struct {
	url, system, secretFile string
	prefixes                string
}

func (a axisConfig) uplink() (hub.Uplink, error) {
	if a.url == "" {
		return nil, nil
	}
	if a.system == "" || a.secretFile == "" {
		return nil, errors.New("-axis-url needs -axis-system and -axis-secret-file")
	}
	secret, err := os.ReadFile(a.secretFile)
	if err != nil {
		return nil, fmt.Errorf("axis secret: %w", err)
	}
	client := axis.NewClient(a.url, a.system, strings.TrimSpace(string(secret)))
	return axis.NewUplink("truc-quoc-gia", client, splitList(a.prefixes)...), nil
}

func addGatewayFlags(fs *flag.FlagSet) *gatewayConfig {
	c := &gatewayConfig{}
	fs.StringVar(&c.listen, "listen", envOr("EDMS_GATEWAY_LISTEN", "127.0.0.1:9443"), "mutual-TLS exchange listener (env EDMS_GATEWAY_LISTEN)")
	fs.StringVar(&c.cert, "cert", os.Getenv("EDMS_GATEWAY_CERT"), "the hub's TLS certificate (PEM), as server and as client (env EDMS_GATEWAY_CERT)")
	fs.StringVar(&c.key, "key", os.Getenv("EDMS_GATEWAY_KEY"), "the hub's TLS private key (PEM) (env EDMS_GATEWAY_KEY)")
	fs.StringVar(&c.ca, "ca", os.Getenv("EDMS_GATEWAY_CA"), "PEM bundle of the CAs of peers' client and server certificates (env EDMS_GATEWAY_CA)")
	fs.StringVar(&c.trust, "trust", os.Getenv("EDMS_GATEWAY_TRUST"), "PEM bundle of the XML-DSig trust anchors for agency signatures; default: -ca (env EDMS_GATEWAY_TRUST)")
	fs.StringVar(&c.name, "name", os.Getenv("EDMS_GATEWAY_NAME"), "the hub's name, in receipts, hops and directories (env EDMS_GATEWAY_NAME)")
	fs.StringVar(&c.adminListen, "admin-listen", envOr("EDMS_GATEWAY_ADMIN_LISTEN", "127.0.0.1:9090"),
		"plain-HTTP operator listener: /metrics and the hub page; empty: off (env EDMS_GATEWAY_ADMIN_LISTEN)")
	fs.Int64Var(&c.maxPackage, "max-package", hub.DefaultMaxPackage, "largest package accepted, in bytes (env EDMS_GATEWAY_MAX_PACKAGE)")
	fs.DurationVar(&c.rescueAfter, "rescue-after", hub.DefaultRescueAfter,
		"a forward left running by a hub instance that died is retried after this long (env EDMS_GATEWAY_RESCUE_AFTER)")
	fs.StringVar(&c.axis.url, "axis-url", os.Getenv("EDMS_AXIS_URL"),
		"base URL of the national axis (or an LGSP speaking its API), e.g. http://host:8080/XrdAdapter/adapter; empty: no uplink (env EDMS_AXIS_URL)")
	fs.StringVar(&c.axis.system, "axis-system", os.Getenv("EDMS_AXIS_SYSTEM"), "the system id the axis issued (env EDMS_AXIS_SYSTEM)")
	fs.StringVar(&c.axis.secretFile, "axis-secret-file", os.Getenv("EDMS_AXIS_SECRET_FILE"),
		"file holding the secret the axis issued; it signs every request and never travels (env EDMS_AXIS_SECRET_FILE)")
	fs.StringVar(&c.axis.prefixes, "axis-prefixes", os.Getenv("EDMS_AXIS_PREFIXES"),
		"comma-separated OrganId prefixes always routed to the axis (e.g. 000.), besides the agencies its directory lists (env EDMS_AXIS_PREFIXES)")
	return c
}

func runGateway(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "member" {
		return runGroup(ctx, "gateway member", args[1:], []command{
			{"add", "register a member node, child hub or parent hub", runGatewayMemberAdd},
			{"list", "list the members and the agencies each serves", runGatewayMemberList},
			{"remove", "remove a member", runGatewayMemberRemove},
		})
	}
	fs := newFlagSet("gateway", "[flags] | member add|list|remove",
		"Run an exchange hub: accept signed edXML packages from member nodes and hubs over mutual TLS and route them on.")
	db := addDBFlags(fs)
	gc := addGatewayFlags(fs)
	envErr := errors.Join(setFromEnv(fs, "max-package", "EDMS_GATEWAY_MAX_PACKAGE"),
		setFromEnv(fs, "rescue-after", "EDMS_GATEWAY_RESCUE_AFTER"))
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if envErr != nil {
		return envErr
	}
	if gc.cert == "" || gc.key == "" || gc.ca == "" || gc.name == "" {
		return errors.New("-cert, -key, -ca and -name are required")
	}
	cert, err := tls.LoadX509KeyPair(gc.cert, gc.key)
	if err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	peerCAs, err := loadCertPool(gc.ca)
	if err != nil {
		return err
	}
	trust, err := loadCertPool(cmp.Or(gc.trust, gc.ca))
	if err != nil {
		return err
	}
	pool, closeDB, err := db.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	uplink, err := gc.axis.uplink()
	if err != nil {
		return err
	}
	h, err := hub.New(hub.Config{Pool: pool, Name: gc.name, Cert: cert, PeerCAs: peerCAs, Trust: trust,
		Revocation: signing.NewRevocationChecker(signing.RevocationAuto), MaxPackage: gc.maxPackage, RescueAfter: gc.rescueAfter, Uplink: uplink})
	if err != nil {
		return err
	}
	return serveGateway(ctx, h, gc, cert, peerCAs)
}

// serveGateway runs the hub's job queue, exchange and operator listeners until ctx
// ends, then shuts down gracefully.
func serveGateway(ctx context.Context, h *hub.Hub, gc *gatewayConfig, cert tls.Certificate, peerCAs *x509.CertPool) error {
	jobsCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	jobs, err := h.StartJobs(jobsCtx)
	if err != nil {
		return err
	}
	defer jobs.Stop(context.WithoutCancel(ctx))
	servers := []*http.Server{{Handler: h.Handler(), TLSConfig: refuseRevokedClients(wire.ServerTLS(cert, peerCAs), h.Revocation), ReadHeaderTimeout: 10 * time.Second}}
	addrs := []string{gc.listen}
	if gc.adminListen != "" {
		servers = append(servers, &http.Server{Handler: h.AdminHandler(), ReadHeaderTimeout: 10 * time.Second})
		addrs = append(addrs, gc.adminListen)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		ln, err := net.Listen("tcp", addrs[i])
		if err != nil {
			return fmt.Errorf("cannot listen on %s: %w", addrs[i], err)
		}
		if srv.TLSConfig != nil {
			slog.Info("edms gateway listening", "name", gc.name, "url", "https://"+displayAddr(ln.Addr()))
			go func() { errc <- srv.ServeTLS(ln, "", "") }() // HTTP/2 when the peer offers it
		} else {
			slog.Info("edms gateway operator page", "url", "http://"+displayAddr(ln.Addr()))
			go func() { errc <- srv.Serve(ln) }()
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	var errs []error
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// loadCertPool reads a PEM bundle of certificates into a pool.
func loadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := liaison.PEMCertPool(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pool, nil
}

// loadCerts reads every certificate of a PEM file.
func loadCerts(path string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	certs, err := liaison.PEMCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return certs, nil
}

func runGatewayMemberAdd(ctx context.Context, args []string) error {
	fs := newFlagSet("gateway member add", "-name N -role node|hub|parent -endpoint URL -cert FILE [-agencies A,B,...]",
		"Register a peer of the hub by its TLS certificate, with the agencies it serves (a node's; a hub's are pulled from its directory).")
	db := addDBFlags(fs)
	var m hub.Member
	var certFile, agencies string
	fs.StringVar(&m.Name, "name", "", "the member's name")
	fs.StringVar(&m.Role, "role", "", "node, hub (a child hub) or parent (the parent hub)")
	fs.StringVar(&m.Endpoint, "endpoint", "", "base URL of its exchange listener, https://host:port")
	fs.StringVar(&certFile, "cert", "", "its TLS certificate (PEM); the hub recognises it by its public key")
	fs.StringVar(&agencies, "agencies", "", "comma-separated OrganIds it serves")
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		if m.Name == "" || certFile == "" {
			fs.Usage()
			return errUsage
		}
		certs, err := loadCerts(certFile)
		if err != nil {
			return err
		}
		m.Agencies = splitList(agencies)
		if _, err := hub.AddMember(ctx, pool, m, certs[0]); err != nil {
			return err
		}
		fmt.Printf("member %s (%s) added\n", m.Name, m.Role)
		return nil
	})
}

func runGatewayMemberList(ctx context.Context, args []string) error {
	fs := newFlagSet("gateway member list", "", "List the hub's members: role, endpoint, state and the agencies each serves.")
	db := addDBFlags(fs)
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		members, err := hub.ListMembers(ctx, pool)
		if err != nil {
			return err
		}
		for _, m := range members {
			state := "enabled"
			if !m.Enabled {
				state = "disabled"
			}
			fmt.Printf("%s\t%s\t%s\t%s\t%s\n", m.Name, m.Role, m.Endpoint, state, strings.Join(m.Agencies, ","))
		}
		return nil
	})
}

func runGatewayMemberRemove(ctx context.Context, args []string) error {
	fs := newFlagSet("gateway member remove", "-name N", "Remove a member of the hub and the agencies it serves.")
	db := addDBFlags(fs)
	name := fs.String("name", "", "the member's name")
	return runWithDB(ctx, fs, db, args, func(pool *pgxpool.Pool) error {
		if err := hub.RemoveMember(ctx, pool, *name); err != nil {
			return err
		}
		fmt.Printf("member %s removed\n", *name)
		return nil
	})
}
