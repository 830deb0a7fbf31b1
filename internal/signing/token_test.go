package signing

import (
	"bytes"
	"errors"
	"testing"

	"edms/internal/signing/pki"
	"edms/internal/testenv"

	"github.com/ThalesGroup/crypto11"
)

// softHSMToken creates a SoftHSM2 token in a temporary folder holding a key
// generated on the token and its certificate from the demo root, and returns the
// PKCS#11 URI of that key.
func softHSMToken(t *testing.T, p testPKI) string {
	t.Helper()
	module := testenv.SoftHSMToken(t, "edms-lanh-dao", "1234")
	ctx, err := crypto11.Configure(&crypto11.Config{Path: module, TokenLabel: "edms-lanh-dao", Pin: "1234"})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	key, err := ctx.GenerateRSAKeyPairWithLabel([]byte{1}, []byte("leader"), 2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := p.root.IssueForKey(key.Public(), pki.Options{Subject: pki.Subject{CommonName: "Phạm Thị Hương", Title: "Phó Chủ tịch", Organization: "UBND xã Yên Ninh"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := ctx.ImportCertificateWithLabel([]byte{1}, []byte("leader"), cert); err != nil {
		t.Fatal(err)
	}
	return "pkcs11:token=edms-lanh-dao;object=leader?module-path=" + module + "&pin-value=1234"
}

func TestPKCS11Token(t *testing.T) {
	p := demoPKI(t)
	uri := softHSMToken(t, p)
	cfg, err := ParseTokenURI(uri)
	if err != nil {
		t.Fatal(err)
	}
	id, err := OpenToken(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer id.Close()
	id.Chain = append(id.Chain, p.root.Cert)
	var out bytes.Buffer
	err = (&Signer{Identity: id}).SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{
		PersonBlock: PersonBlock{Position: "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH", FullName: "Phạm Thị Hương"}, Page: 1, Rect: leaderBlock,
	})
	if err != nil {
		t.Fatal(err)
	}
	rep := checkAll(t, p, out.Bytes(), 1)
	if rep.Signatures[0].Signer != "Phạm Thị Hương" {
		t.Errorf("signer %q", rep.Signatures[0].Signer)
	}

	absent := cfg
	absent.TokenLabel = "token-da-rut-ra"
	if _, err := OpenToken(absent); !errors.Is(err, ErrTokenNotFound) {
		t.Errorf("absent token: got %v, want ErrTokenNotFound", err)
	}
	wrongKey := cfg
	wrongKey.KeyLabel = "khong-co"
	if _, err := OpenToken(wrongKey); !errors.Is(err, ErrTokenNotFound) {
		t.Errorf("absent key: got %v, want ErrTokenNotFound", err)
	}
}

func TestParseTokenURI(t *testing.T) {
	cfg, err := ParseTokenURI("pkcs11:token=UBND%20x%C3%A3;object=seal;type=private?module-path=/m.so&pin-value=99")
	if err != nil || cfg.TokenLabel != "UBND xã" || cfg.KeyLabel != "seal" || cfg.Module != "/m.so" || cfg.PIN != "99" {
		t.Errorf("got %+v, %v", cfg, err)
	}
	for _, bad := range []string{"token=x", "pkcs11:object=x?module-path=/m.so", "pkcs11:token=x;color=red?module-path=/m.so"} {
		if _, err := ParseTokenURI(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := redactPIN("pkcs11:token=x?pin-value=1234&module-path=/m"); got != "pkcs11:token=x?pin-value=***&module-path=/m" {
		t.Errorf("redactPIN: %q", got)
	}
}
