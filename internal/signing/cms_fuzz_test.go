package signing

import "testing"

// FuzzParseCMS: whatever the /Contents of a signature holds, the CMS reader
// returns a signature or an error, without panicking or recursing without bound.
// The corpus in testdata holds a PAdES signature written by edms (pdfsign).
func FuzzParseCMS(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x30, 0x80, 0x00, 0x00, 0x00, 0x00})
	f.Add([]byte{0x30, 0x84, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		sig, err := parseCMS(data)
		if err == nil && sig.signer == nil {
			t.Fatal("a parsed CMS without a signer")
		}
	})
}
