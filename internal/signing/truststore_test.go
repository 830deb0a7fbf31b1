package signing

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrustStoreSkipsBadFiles: files Go cannot use as certificates are named and
// skipped; the good anchor still verifies signatures.
func TestTrustStoreSkipsBadFiles(t *testing.T) {
	p := demoPKI(t)
	dir := p.trustDir(t)
	bad := map[string][]byte{
		"broken.pem":  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER at all")}),
		"key.pem":     pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}}),
		"garbage.der": []byte("\x30\x03\x02\x01"),
	}
	for name, data := range bad {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	trust, err := LoadTrustStore(dir)
	if err != nil {
		t.Fatalf("one bad file must not stop the trust store: %v", err)
	}
	skipped := strings.Join(trust.Skipped(), "\n")
	for _, want := range []string{"broken.pem: certificate 1 cannot be parsed", "key.pem: block 1 is a PRIVATE KEY, not a certificate", "garbage.der: not a DER certificate"} {
		if !strings.Contains(skipped, want) {
			t.Errorf("skipped files: want %q in\n%s", want, skipped)
		}
	}
	rep, err := Verify(bytesDoc(signPerson(t, p, makePDF(t, 1, 0))), trust)
	if err != nil || !rep.Valid() {
		t.Fatalf("verification with the good anchor: %v %+v", err, rep)
	}

	onlyBad := t.TempDir()
	os.WriteFile(filepath.Join(onlyBad, "broken.pem"), bad["broken.pem"], 0o644)
	if _, err := LoadTrustStore(onlyBad); err == nil || !strings.Contains(err.Error(), "broken.pem") {
		t.Errorf("a folder without a usable certificate: want an error naming the file, got %v", err)
	}
}

// TestTrustStoreReplace: a replaced store decides every later verification with the
// new anchors, through the same pointer its holders keep.
func TestTrustStoreReplace(t *testing.T) {
	p := demoPKI(t)
	trust, err := LoadTrustStore(p.trustDir(t))
	if err != nil {
		t.Fatal(err)
	}
	anchors := trust.Anchors()
	doc := signPerson(t, p, makePDF(t, 1, 0))
	trust.Replace(nil)
	if rep, err := Verify(bytesDoc(doc), trust); err != nil || rep.Valid() {
		t.Fatalf("verified with no anchor: %v", err)
	}
	trust.Replace(anchors)
	if rep, err := Verify(bytesDoc(doc), trust); err != nil || !rep.Valid() || len(trust.Anchors()) != len(anchors) {
		t.Fatalf("verification after the anchors came back: %v", err)
	}
}
