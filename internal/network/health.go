package network

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"edms/internal/liaison/wire"
)

// webHealthy checks a node's /healthz (the database is reachable).
func webHealthy(baseURL string) func(context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/healthz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s/healthz answered %d", baseURL, resp.StatusCode)
		}
		return nil
	}
}

// exchangeHealthy checks an exchange endpoint's health over mutual TLS with the
// harness's identity. The harness is no registered peer, so an endpoint that
// answers 401 to unknown peers is up as well: TLS was accepted and it answered.
func (n *Network) exchangeHealthy(baseURL string) func(context.Context) error {
	client := n.harness.Client(baseURL)
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		h, err := client.Health(ctx)
		var refusal *wire.Refusal
		switch {
		case errors.As(err, &refusal) && refusal.Status == http.StatusUnauthorized:
			return nil
		case err != nil:
			return err
		case h.Status != "ok":
			return fmt.Errorf("%s health is %q", baseURL, h.Status)
		}
		return nil
	}
}

// allOf passes when every check passes.
func allOf(checks ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		for _, check := range checks {
			if err := check(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}
