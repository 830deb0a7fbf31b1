package signing

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"edms/internal/signing/pki"
)

func TestTimestampFromUntrustedAuthority(t *testing.T) {
	p := demoPKI(t)
	other, err := pki.NewRootCA("some other root")
	if err != nil {
		t.Fatal(err)
	}
	tsa, err := other.NewTimestampAuthority("untrusted TSA")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(tsa)
	defer srv.Close()
	var out bytes.Buffer
	s := &Signer{Identity: identityOf(t, p.person), TSAURL: srv.URL}
	if err := s.SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{PersonBlock: PersonBlock{FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock}); err != nil {
		t.Fatal(err)
	}
	sig := verifyBytes(t, p, out.Bytes()).Signatures[0]
	if sig.Valid() || !strings.Contains(strings.Join(sig.Problems, ";"), `timestamp authority "untrusted TSA" not trusted`) {
		t.Errorf("an untrusted timestamp must be reported: %+v", sig)
	}
}
