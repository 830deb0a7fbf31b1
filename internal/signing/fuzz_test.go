package signing

import (
	"bytes"
	"testing"
)

// FuzzLaterChanges appends arbitrary bytes, seeded with the incremental
// updates of the proof corpus, to a signed document and verifies the result:
// the reader and the change analysis must end without a panic, and within the
// fuzzer's time and memory limits, whatever the update holds.
func FuzzLaterChanges(f *testing.F) {
	p := demoPKI(f)
	signed := signPerson(f, p, makePDF(f, 1, 0))
	base := newSignedBase(f, signed)
	for _, c := range corpus() {
		f.Add(c.build(f, base)[len(signed):])
	}
	trust := NewTrustStore(p.root.Cert)
	f.Fuzz(func(t *testing.T, update []byte) {
		data := append(bytes.Clone(signed), update...)
		rep, err := Verify(bytesDoc(data), trust)
		if err == nil && len(rep.Signatures) > 0 && rep.Signatures[0].Valid() && !bytes.Contains(update, []byte("%%EOF")) && len(update) > 0 {
			t.Errorf("bytes after the signed revision that form no revision must not leave the signature valid")
		}
	})
}
