package agent

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Pairings are the edms origins allowed to talk to the agent: those given on the
// command line and those stored by `edms agent pair` in File, read again on every
// request so that pairing takes effect without a restart.
type Pairings struct {
	Fixed []string // normalised origins
	File  string   // one origin a line; "" for none
}

// DefaultOriginsFile is os.UserConfigDir()/edms-agent/origins.
func DefaultOriginsFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("agent: unable to find the user configuration folder: %w", err)
	}
	return filepath.Join(dir, "edms-agent", "origins"), nil
}

// NormalizeOrigin turns "https://edms.example/path" into "https://edms.example":
// scheme and host (with port) in lower case. Only http and https origins are accepted.
func NormalizeOrigin(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("agent: %q is not an http(s) origin such as https://edms.example", s)
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// Allowed reports whether origin (the request's Origin header) is paired.
func (p Pairings) Allowed(origin string) bool {
	if origin == "" {
		return false
	}
	origin = strings.ToLower(origin)
	if slices.Contains(p.Fixed, origin) {
		return true
	}
	stored, err := p.stored()
	return err == nil && slices.Contains(stored, origin)
}

func (p Pairings) stored() ([]string, error) {
	if p.File == "" {
		return nil, nil
	}
	f, err := os.Open(p.File)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("agent: read the paired origins: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if o, err := NormalizeOrigin(sc.Text()); err == nil {
			out = append(out, o)
		}
	}
	return out, sc.Err()
}

// Pair stores origin in File (once) and returns its normalised form.
func (p Pairings) Pair(origin string) (string, error) {
	o, err := NormalizeOrigin(origin)
	if err != nil {
		return "", err
	}
	stored, err := p.stored()
	if err != nil {
		return "", err
	}
	if slices.Contains(stored, o) {
		return o, nil
	}
	if err := os.MkdirAll(filepath.Dir(p.File), 0o700); err != nil {
		return "", fmt.Errorf("agent: create the configuration folder: %w", err)
	}
	f, err := os.OpenFile(p.File, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("agent: open the paired origins: %w", err)
	}
	if _, err := fmt.Fprintln(f, o); err != nil {
		f.Close()
		return "", fmt.Errorf("agent: store the paired origin: %w", err)
	}
	return o, f.Close()
}

// CheckLoopback refuses a listen address that is not on the loopback interface:
// the agent must never be reachable from another machine.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("agent: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q (use 127.0.0.1:PORT)", ErrNotLoopback, addr)
	}
	return nil
}

// ErrNotLoopback refuses a listen address other machines could reach.
var ErrNotLoopback = errors.New("agent: the agent listens only on a loopback address")
