package remote

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
)

// DefaultTimeout bounds each request to a provider whose Config has no Timeout.
const DefaultTimeout = 30 * time.Second

// KindCSC is the Config.Kind of a Cloud Signature Consortium API v2 provider.
const KindCSC = "csc"

// Config of one provider; a JSON file (array of these) is given to `edms serve -signing-providers FILE`.
type Config struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Kind            string   `json:"kind"`              // "csc"
	BaseURL         string   `json:"base_url"`          // ".../csc/v2"
	ClientID        string   `json:"client_id"`         // OAuth2 client credentials (oauth2/token), "" when the provider needs none
	ClientSecret    string   `json:"client_secret"`     // the secret itself, or
	ClientSecretEnv string   `json:"client_secret_env"` // the environment variable holding it
	CAFile          string   `json:"ca_file"`           // extra roots (PEM) for the provider's TLS, optional
	Timeout         Duration `json:"timeout"`           // per request, "30s"; default DefaultTimeout
}

// Duration is a time.Duration written in JSON as a Go duration string ("15s");
// it is the type of Config.Timeout, which its errors name.
type Duration time.Duration

// UnmarshalJSON reads a duration string such as "15s" or "1m30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	err := json.Unmarshal(b, &s)
	v, perr := time.ParseDuration(s)
	if err != nil || perr != nil {
		return fmt.Errorf("timeout %s is not a duration such as \"30s\"", b)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string such as "30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// LoadConfig reads the providers file: a JSON array of Config, checked field by field.
func LoadConfig(path string) ([]Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("remote: unable to read the signing providers file: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cs []Config
	if err := dec.Decode(&cs); err != nil {
		return nil, fmt.Errorf("remote: %s is not a JSON array of providers: %w", path, err)
	}
	seen := map[string]bool{}
	for i, c := range cs {
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("remote: %s, provider %d: %w", path, i+1, err)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("remote: %s, provider %d: id %q is used twice", path, i+1, c.ID)
		}
		seen[c.ID] = true
	}
	return cs, nil
}

// validate names the first field that is missing or wrong.
func (c Config) validate() error {
	switch {
	case c.ID == "":
		return fmt.Errorf("id is required")
	case c.Name == "":
		return fmt.Errorf("provider %q: name is required", c.ID)
	case c.Kind != KindCSC:
		return fmt.Errorf("provider %q: kind %q is not supported (want %q)", c.ID, c.Kind, KindCSC)
	case c.ClientSecret != "" && c.ClientSecretEnv != "":
		return fmt.Errorf("provider %q: give client_secret or client_secret_env, not both", c.ID)
	case c.Timeout < 0:
		return fmt.Errorf("provider %q: timeout must be positive", c.ID)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("provider %q: base_url %q is not an http(s) URL", c.ID, c.BaseURL)
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("provider %q: base_url %q must be https (PINs travel on it); http is for loopback only", c.ID, c.BaseURL)
	}
	return nil
}

func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// clientSecret resolves the secret, from the environment when so configured.
func (c Config) clientSecret() (string, error) {
	if c.ClientSecretEnv == "" {
		return c.ClientSecret, nil
	}
	s := os.Getenv(c.ClientSecretEnv)
	if s == "" {
		return "", fmt.Errorf("remote: provider %q: client_secret_env %s is not set", c.ID, c.ClientSecretEnv)
	}
	return s, nil
}

// New builds the provider a Config describes: Kind "csc" gives the CSC v2 client.
func New(c Config) (Provider, error) {
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	return newCSC(c)
}

// Registry holds the configured providers by ID, in file order.
type Registry struct {
	byID  map[string]Provider
	order []Provider
}

// NewRegistry builds every provider of the file.
func NewRegistry(cs []Config) (*Registry, error) {
	r := &Registry{byID: map[string]Provider{}}
	for _, c := range cs {
		if _, dup := r.byID[c.ID]; dup {
			return nil, fmt.Errorf("remote: provider id %q is used twice", c.ID)
		}
		p, err := New(c)
		if err != nil {
			return nil, err
		}
		r.byID[c.ID] = p
		r.order = append(r.order, p)
	}
	return r, nil
}

// Get returns the provider with that ID. A nil Registry (no providers file) has none.
func (r *Registry) Get(id string) (Provider, bool) {
	if r == nil {
		return nil, false
	}
	p, ok := r.byID[id]
	return p, ok
}

// List returns the providers in file order.
func (r *Registry) List() []Provider {
	if r == nil {
		return nil
	}
	return append([]Provider(nil), r.order...)
}
