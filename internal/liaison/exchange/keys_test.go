package exchange

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
)

func TestCachedKeysReopenAReplacedKeyFile(t *testing.T) {
	root, err := pki.NewRootCA("CA thử nghiệm")
	if err != nil {
		t.Fatal(err)
	}
	keys := &CachedKeys{Keyring: docsign.Keyring{Dir: t.TempDir(), Password: "mật khẩu"}}
	path := keys.Keyring.AgencyPath("000.00.00.H01")
	issue := func(name string) {
		t.Helper()
		cred, err := root.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: name}})
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o700)
		}
		if err == nil {
			err = cred.WritePKCS12(path, keys.Keyring.Password)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	subject := func() string {
		t.Helper()
		id, err := keys.Agency("000.00.00.H01")
		if err != nil {
			t.Fatal(err)
		}
		defer id.Close()
		return id.Certificate.Subject.CommonName
	}

	issue("UBND xã Yên Ninh")
	first := subject()
	if again := subject(); again != first || first != "UBND xã Yên Ninh" {
		t.Fatalf("opened %q then %q, want the same agency twice", first, again)
	}
	issue("UBND thị trấn Đu")
	later := time.Now().Add(time.Minute) // a modification time the cache has not seen, however coarse the clock
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if replaced := subject(); replaced != "UBND thị trấn Đu" {
		t.Fatalf("after the key file was replaced the cache still signs as %q", replaced)
	}
	if _, err := keys.Agency("000.00.00.H99"); err == nil {
		t.Fatal("an agency without a key file opened a key")
	}
}
