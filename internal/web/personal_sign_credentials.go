package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"edms/internal/signing/remote"
)

// The people's credential lists at their remote-signing providers, kept in memory
// for a short time: the document page shows them at every view, and a provider may
// be slow. A list is fetched once for all who ask at the same time, in the
// background, so that one who stops waiting (the document page, after
// signChoiceTimeout) finds it ready at the next view when the provider answers late.

const (
	// credentialsTTL is how long a fetched list is used.
	credentialsTTL = 2 * time.Minute
	// credentialsFetchLimit bounds a background fetch.
	credentialsFetchLimit = 30 * time.Second
)

// credentialCache holds the lists by provider and account; its zero value is ready.
type credentialCache struct {
	mu      sync.Mutex
	entries map[credentialKey]*credentialFetch
}

type credentialKey struct{ provider, account string }

// credentialFetch is one list, fetched or being fetched; done closes when it is.
type credentialFetch struct {
	done  chan struct{}
	creds []remote.Credential
	err   error
	at    time.Time // when fetched
}

// list returns the account's credentials at the provider, waiting for the provider
// as long as ctx allows (then remote.ErrUnavailable).
func (c *credentialCache) list(ctx context.Context, p remote.Provider, account string) ([]remote.Credential, error) {
	f := c.fetch(p, account)
	select {
	case <-f.done:
		return f.creds, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: no list of credentials yet: %w", remote.ErrUnavailable, ctx.Err())
	}
}

// fetch is the fetch of the account's list under way or fresh, else a new one.
func (c *credentialCache) fetch(p remote.Provider, account string) *credentialFetch {
	key := credentialKey{p.ID(), account}
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.entries[key]; f != nil && (f.at.IsZero() || time.Since(f.at) < credentialsTTL) {
		return f
	}
	if c.entries == nil {
		c.entries = map[credentialKey]*credentialFetch{}
	}
	f := &credentialFetch{done: make(chan struct{})}
	c.entries[key] = f
	go c.run(f, key, p, account)
	return f
}

// run asks the provider, keeps a list and forgets a failure (the next view asks again).
func (c *credentialCache) run(f *credentialFetch, key credentialKey, p remote.Provider, account string) {
	ctx, cancel := context.WithTimeout(context.Background(), credentialsFetchLimit)
	defer cancel()
	creds, err := p.Credentials(ctx, account)
	c.mu.Lock()
	f.creds, f.err, f.at = creds, err, time.Now()
	if err != nil && c.entries[key] == f {
		delete(c.entries, key)
	}
	c.mu.Unlock()
	close(f.done)
}

// forget drops the account's list, whose state (a credential locked) just changed.
func (c *credentialCache) forget(providerID, account string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, credentialKey{providerID, account})
}
