package docs

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"testing"
)

// TestSetIdentifier: the administrator sets a member's identifier (9 to 12 digits,
// or none), which is audited; anything else is refused with a sentence saying what
// an identifier is, and nobody else may set it.
func TestSetIdentifier(t *testing.T) {
	t.Parallel()
	p := newPersonalFixture(t)
	ctx := context.Background()
	admin := p.withAdmin(t)

	must(t, p.svc.SetIdentifier(ctx, p.in(admin), p.leader, " 001085012345 "))
	if id, err := p.svc.Identifier(ctx, p.in(p.leader), p.leader); err != nil || id != "001085012345" {
		t.Errorf("the leader's identifier: %q, %v", id, err)
	}
	if n := p.count(t, `SELECT count(*) FROM audit_log WHERE action = 'user.identifier_changed' AND object_id = $1`, fmt.Sprint(p.leader)); n != 1 {
		t.Errorf("%d audit entries for the identifier", n)
	}
	for _, bad := range []string{"12345678", "0010850123456", "00108501234x", "CCCD:001085012345"} {
		err := p.svc.SetIdentifier(ctx, p.in(admin), p.leader, bad)
		wantMessage(t, err, ErrInvalid, "Mã định danh cá nhân (số CCCD/CMND) phải gồm từ 9 đến 12 chữ số, hoặc để trống.")
	}
	if err := p.svc.SetIdentifier(ctx, p.in(p.leader), p.leader, "001085099999"); !errors.Is(err, ErrForbidden) {
		t.Errorf("the leader sets his own identifier: %v", err)
	}
	if err := p.svc.SetIdentifier(ctx, p.in(admin), p.communeLeader, "001085099999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the administrator sets the identifier of another agency's member: %v", err)
	}
	must(t, p.svc.SetIdentifier(ctx, p.in(admin), p.leader, ""))
	if id, err := p.svc.Identifier(ctx, p.in(admin), p.leader); err != nil || id != "" {
		t.Errorf("the cleared identifier: %q, %v", id, err)
	}
}

// TestParseCertificates reads a DER certificate, and a PEM bundle as the leaf
// followed by its issuers; anything else is refused.
func TestParseCertificates(t *testing.T) {
	t.Parallel()
	leaf, issuer := personalCertificate(t, "Phạm Quốc Việt", 1), personalCertificate(t, "CA trung gian", 2)
	cert, chain, err := parseCertificates(leaf.Raw)
	if err != nil || !cert.Equal(leaf) || len(chain) != 0 {
		t.Errorf("DER: %v, chain %d, %v", cert.Subject, len(chain), err)
	}
	var bundle bytes.Buffer
	for _, c := range [][]byte{leaf.Raw, issuer.Raw} {
		must(t, pem.Encode(&bundle, &pem.Block{Type: "CERTIFICATE", Bytes: c}))
	}
	cert, chain, err = parseCertificates(bundle.Bytes())
	if err != nil || !cert.Equal(leaf) || len(chain) != 1 || !chain[0].Equal(issuer) {
		t.Errorf("PEM bundle: %v, chain %d, %v", cert.Subject, len(chain), err)
	}
	for _, bad := range [][]byte{[]byte("not a certificate"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("x")})} {
		if _, _, err := parseCertificates(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
