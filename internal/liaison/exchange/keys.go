package exchange

import (
	"os"
	"strings"
	"sync"
	"time"

	"edms/internal/signing"
	"edms/internal/signing/docsign"
)

// CachedKeys opens each agency's PKCS#12 key once and keeps it while the file is
// unchanged (same size and modification time), so that replacing a key file takes
// effect on the next package. Decrypting the file (PBKDF2) for every status cost a
// tenth of a node's CPU per received document. A key on a token (a .pkcs11 file) is
// opened each time, as the keyring does.
type CachedKeys struct {
	Keyring docsign.Keyring

	mu     sync.Mutex
	opened map[string]cachedKey
}

type cachedKey struct {
	id      *signing.Identity
	size    int64
	modTime time.Time
}

// Agency returns the agency's identity; closing it is a no-op when it is cached.
func (c *CachedKeys) Agency(organID string) (*signing.Identity, error) {
	p12 := c.Keyring.AgencyPath(organID)
	info, err := os.Stat(p12)
	if err != nil || onToken(p12) {
		return c.Keyring.Agency(organID)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.opened[organID]; ok && k.size == info.Size() && k.modTime.Equal(info.ModTime()) {
		return shared(k.id), nil
	}
	id, err := c.Keyring.Agency(organID)
	if err != nil {
		return nil, err
	}
	if c.opened == nil {
		c.opened = map[string]cachedKey{}
	}
	c.opened[organID] = cachedKey{id: id, size: info.Size(), modTime: info.ModTime()}
	return shared(id), nil
}

// onToken reports whether the keyring would open a token instead of the file.
func onToken(p12 string) bool {
	_, err := os.Stat(strings.TrimSuffix(p12, ".p12") + ".pkcs11")
	return err == nil
}

// shared is a copy of a cached identity that its user may close without closing it.
func shared(id *signing.Identity) *signing.Identity {
	return &signing.Identity{Signer: id.Signer, Certificate: id.Certificate, Chain: id.Chain}
}
