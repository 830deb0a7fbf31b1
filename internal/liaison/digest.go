package liaison

import (
	"crypto/sha1"
	"crypto/sha256"
	"hash"
)

// documentHash hashes the canonical document with SHA-256 and, until the header
// shows that no signature needs it, with SHA-1 (older software still signs with
// SHA-1 digests; the signature comes before the attachments, so the cost is only
// paid for packages signed that way).
type documentHash struct {
	sha256 hash.Hash
	sha1   hash.Hash // nil once not needed
}

func newDocumentHash() *documentHash {
	return &documentHash{sha256: sha256.New(), sha1: sha1.New()}
}

func (d *documentHash) Write(p []byte) (int, error) {
	d.sha256.Write(p)
	if d.sha1 != nil {
		d.sha1.Write(p)
	}
	return len(p), nil
}
