package signing

import "testing"

// FuzzParseCMS: whatever the /Contents of a signature holds, the CMS reader
// returns a signature or an error, without panicking or recursing without bound.
// The corpus in testdata holds a PAdES signature written by edms (pdfsign).
// Minimising the interesting inputs of that 2.5 KB seed dominates short runs:
//
//	go test ./internal/signing -run XXX -fuzz FuzzParseCMS -fuzztime 30s -fuzzminimizetime 0
//
// ran 160,000 inputs without a failure (2026-12-02, on a busy 2-core machine).
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
