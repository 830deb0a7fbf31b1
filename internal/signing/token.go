package signing

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/ThalesGroup/crypto11"
)

// TokenConfig locates a signing key on a PKCS#11 token (a USB token or an HSM).
// The private key never leaves the token: signing calls C_Sign through crypto11.
type TokenConfig struct {
	Module     string // path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so
	TokenLabel string
	PIN        string
	KeyLabel   string // CKA_LABEL of the key and its certificate
	KeyID      []byte // CKA_ID, alternative to KeyLabel
}

// ParseTokenURI reads an RFC 7512 PKCS#11 URI such as
// "pkcs11:token=edms;object=leader?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234".
// Supported attributes: token, object, id; query: module-path, pin-value,
// pin-source (file:/path, read at parse time).
func ParseTokenURI(uri string) (TokenConfig, error) {
	rest, ok := strings.CutPrefix(uri, "pkcs11:")
	if !ok {
		return TokenConfig{}, fmt.Errorf("signing: %q is not a pkcs11: URI", redactPIN(uri))
	}
	path, query, _ := strings.Cut(rest, "?")
	var cfg TokenConfig
	for _, attr := range splitNonEmpty(path, ";") {
		if err := cfg.setURIAttribute(attr); err != nil {
			return TokenConfig{}, err
		}
	}
	for _, attr := range splitNonEmpty(query, "&") {
		if err := cfg.setURIAttribute(attr); err != nil {
			return TokenConfig{}, err
		}
	}
	if cfg.Module == "" || cfg.TokenLabel == "" {
		return TokenConfig{}, errors.New("signing: a PKCS#11 URI needs token= and module-path=")
	}
	return cfg, nil
}

func (cfg *TokenConfig) setURIAttribute(attr string) error {
	k, raw, _ := strings.Cut(attr, "=")
	v, err := url.PathUnescape(raw)
	if err != nil {
		return fmt.Errorf("signing: bad PKCS#11 URI attribute %q", k)
	}
	switch k {
	case "token":
		cfg.TokenLabel = v
	case "object":
		cfg.KeyLabel = v
	case "id":
		cfg.KeyID = []byte(v)
	case "module-path":
		cfg.Module = v
	case "pin-value":
		cfg.PIN = v
	case "pin-source":
		pin, err := os.ReadFile(strings.TrimPrefix(v, "file:"))
		if err != nil {
			return fmt.Errorf("signing: read PKCS#11 PIN source: %w", err)
		}
		cfg.PIN = strings.TrimSpace(string(pin))
	case "type", "manufacturer", "model", "serial", "library-description", "library-manufacturer", "library-version", "slot-id", "slot-description", "slot-manufacturer":
		// informative attributes that do not narrow our search
	default:
		return fmt.Errorf("signing: unsupported PKCS#11 URI attribute %q", k)
	}
	return nil
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, part := range strings.Split(s, sep) {
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

func redactPIN(uri string) string {
	i := strings.Index(uri, "pin-value=")
	if i < 0 {
		return uri
	}
	end := strings.IndexAny(uri[i:], "&;")
	if end < 0 {
		return uri[:i] + "pin-value=***"
	}
	return uri[:i] + "pin-value=***" + uri[i+end:]
}

// OpenToken logs into the token and returns the identity of the key pair it holds
// with its certificate (stored on the token under the same label or id). Close the
// identity to end the session. A token that is not present fails with
// ErrTokenNotFound.
func OpenToken(cfg TokenConfig) (*Identity, error) {
	if _, err := os.Stat(cfg.Module); err != nil {
		return nil, fmt.Errorf("signing: PKCS#11 module: %w", err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: cfg.PIN})
	if err != nil {
		if strings.Contains(err.Error(), "could not find PKCS#11 token") {
			return nil, fmt.Errorf("%w: no token labelled %q in %s", ErrTokenNotFound, cfg.TokenLabel, cfg.Module)
		}
		return nil, fmt.Errorf("signing: open PKCS#11 token %q: %w", cfg.TokenLabel, err)
	}
	id, err := identityOnToken(ctx, cfg)
	if err != nil {
		ctx.Close()
		return nil, err
	}
	id.closer = ctx
	return id, nil
}

func identityOnToken(ctx *crypto11.Context, cfg TokenConfig) (*Identity, error) {
	var label []byte
	if cfg.KeyLabel != "" {
		label = []byte(cfg.KeyLabel)
	}
	if len(label) == 0 && len(cfg.KeyID) == 0 {
		return nil, errors.New("signing: name the key on the token (object= or id=)")
	}
	signers, err := ctx.FindKeyPairs(cfg.KeyID, label)
	if err != nil {
		return nil, fmt.Errorf("signing: find key on token %q: %w", cfg.TokenLabel, err)
	}
	if len(signers) != 1 {
		return nil, fmt.Errorf("%w: token %q has %d key pairs labelled %q, want exactly one", ErrTokenNotFound, cfg.TokenLabel, len(signers), cfg.KeyLabel)
	}
	signer := signers[0]
	cert, err := ctx.FindCertificate(cfg.KeyID, label, nil)
	if err != nil {
		return nil, fmt.Errorf("signing: find certificate on token %q: %w", cfg.TokenLabel, err)
	}
	if cert == nil {
		return nil, fmt.Errorf("%w: token %q has no certificate labelled %q", ErrTokenNotFound, cfg.TokenLabel, cfg.KeyLabel)
	}
	return NewIdentity(signer, cert, nil)
}
