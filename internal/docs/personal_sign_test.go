package docs

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// personalCertificate is a self-signed certificate naming fullName (the marking
// hook only reads its name and serial number).
func personalCertificate(t *testing.T, fullName string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: fullName},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	cert, err := x509.ParseCertificate(der)
	must(t, err)
	return cert
}

// personalFixture is a draft waiting for the leader's signature, a marking hook, a
// clock the test moves, and the leader's own certificate.
type personalFixture struct {
	*fixture
	hook  *markingHook
	doc   int64
	key   PersonalKey
	mu    sync.Mutex
	clock time.Time
}

func newPersonalFixture(t *testing.T) *personalFixture {
	t.Helper()
	p := &personalFixture{fixture: newFixture(t), clock: time.Now()}
	p.hook = p.withHook()
	p.svc.Now = func() time.Time {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.clock
	}
	ctx := context.Background()
	p.doc = p.draft(t, TypeQuyetDinh, "Quyết định ký bằng khóa cá nhân", nil)
	must(t, p.svc.Submit(ctx, p.in(p.specialist), p.doc, ""))
	must(t, p.svc.Approve(ctx, p.in(p.unitHead), p.doc, ""))
	must(t, p.svc.SubmitForSignature(ctx, p.in(p.unitHead), p.doc, ""))
	p.key = PersonalKey{Device: DeviceAgent, Certificate: personalCertificate(t, "Phạm Quốc Việt", 1)}
	return p
}

func (p *personalFixture) advance(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clock = p.clock.Add(d)
}

func (p *personalFixture) prepare(t *testing.T) *PendingSignature {
	t.Helper()
	pending, err := p.svc.PrepareSignature(context.Background(), p.in(p.leader), p.doc, SignInput{Note: "Đồng ý ban hành"}, p.key)
	must(t, err)
	return pending
}

// unchanged checks that the document still waits for its signature with the PDF it
// had (no version added, no signer recorded).
func (p *personalFixture) unchanged(t *testing.T, wantPDF File) {
	t.Helper()
	ctx := context.Background()
	d, err := p.svc.Get(ctx, p.in(p.leader), p.doc)
	must(t, err)
	if d.OutgoingState != OutPendingSignature || d.LeaderSigned || d.Signer.FullName != "" {
		t.Errorf("the document changed: state %s, leader signed %v, signer %q", d.OutgoingState, d.LeaderSigned, d.Signer.FullName)
	}
	current, err := currentPDF(ctx, p.pool, p.doc)
	must(t, err)
	if current.ID != wantPDF.ID {
		t.Errorf("the current PDF is file %d, want %d", current.ID, wantPDF.ID)
	}
}

func (p *personalFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	must(t, p.pool.QueryRow(context.Background(), sql, args...).Scan(&n))
	return n
}

func wantMessage(t *testing.T, err error, kind error, message string) {
	t.Helper()
	if !errors.Is(err, kind) || UserMessage(err) != message {
		t.Fatalf("want %v %q, got %v (%q)", kind, message, err, UserMessage(err))
	}
}

// TestPersonalSignatureCompletes prepares the leader's signature, which changes
// nothing, refuses a wrong value and anyone else, then completes it: the signed
// version is saved as by Sign, with its device, the certificate recorded on first
// use and the prepared PDF deleted.
func TestPersonalSignatureCompletes(t *testing.T) {
	t.Parallel()
	p := newPersonalFixture(t)
	ctx := context.Background()
	before, err := currentPDF(ctx, p.pool, p.doc)
	must(t, err)
	pending := p.prepare(t)
	if pending.Device != DeviceAgent || pending.Hash.String() != "SHA-256" || len(pending.Digest) != 32 ||
		pending.Label != "Quyết định — Quyết định ký bằng khóa cá nhân" {
		t.Errorf("pending signature: %+v", pending)
	}
	p.unchanged(t, before)
	if got, err := p.svc.PendingSignatureByID(ctx, p.in(p.leader), pending.ID); err != nil || got.DocumentID != p.doc {
		t.Fatalf("the signer reads their pending signature: %+v, %v", got, err)
	}
	for _, other := range []int64{p.unitHead, p.clerk} {
		if _, err := p.svc.PendingSignatureByID(ctx, p.in(other), pending.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("user %d reads another's pending signature: %v", other, err)
		}
		if err := p.svc.CompleteSignature(ctx, p.in(other), pending.ID, markingValue(pending.Digest)); !errors.Is(err, ErrNotFound) {
			t.Errorf("user %d completes another's pending signature: %v", other, err)
		}
		if err := p.svc.AbandonSignature(ctx, p.in(other), pending.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("user %d abandons another's pending signature: %v", other, err)
		}
	}
	err = p.svc.CompleteSignature(ctx, p.in(p.leader), pending.ID, []byte("not the signature"))
	wantMessage(t, err, ErrInvalid, "Chữ ký trả về không khớp với văn bản đã chuẩn bị; văn bản không thay đổi.")
	p.unchanged(t, before)

	must(t, p.svc.CompleteSignature(ctx, p.in(p.leader), pending.ID, markingValue(pending.Digest)))
	d, err := p.svc.Get(ctx, p.in(p.leader), p.doc)
	must(t, err)
	if d.OutgoingState != OutSigned || !d.LeaderSigned || d.Signer.FullName != "Phạm Quốc Việt" {
		t.Fatalf("after completion: state %s, leader signed %v, signer %q", d.OutgoingState, d.LeaderSigned, d.Signer.FullName)
	}
	if text := p.currentPDFText(t, p.doc); !strings.HasSuffix(text, "%prepared-for-chutich\n\n%signed-by-chutich-on-device\n") {
		t.Errorf("the signed PDF is not the prepared one with the value:\n%q", text[max(0, len(text)-80):])
	}
	files, err := Files(ctx, p.pool, p.doc)
	must(t, err)
	if files[0].SignatureDevice != DeviceAgent || files[1].SignatureDevice != "" {
		t.Errorf("signature devices of the versions: %q, %q", files[0].SignatureDevice, files[1].SignatureDevice)
	}
	certs, err := p.svc.PersonCertificates(ctx, p.in(p.leader), p.leader)
	must(t, err)
	if len(certs) != 1 || certs[0].Source != CertificateFirstUse || certs[0].Subject != "CN=Phạm Quốc Việt" || certs[0].Serial != "1" {
		t.Errorf("person certificates: %+v", certs)
	}
	if n := p.count(t, `SELECT count(*) FROM pending_signatures`); n != 0 {
		t.Errorf("%d pending signatures left", n)
	}
	if n := p.count(t, `SELECT count(*) FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM document_files f WHERE f.blob_id = b.id)`); n != 0 {
		t.Errorf("%d prepared PDFs left", n)
	}
	if n := p.count(t, `SELECT count(*) FROM audit_log WHERE action IN ('document.signature_prepared', 'document.signature_completed', 'document.sign')`); n != 3 {
		t.Errorf("%d audit entries of the signature, want prepared, completed, sign", n)
	}
	if err := p.svc.CompleteSignature(ctx, p.in(p.leader), pending.ID, markingValue(pending.Digest)); !errors.Is(err, ErrNotFound) {
		t.Errorf("completed twice: %v", err)
	}
}

// TestPersonalSignatureRefusals: an expired attempt, an abandoned one, a PDF
// replaced meanwhile, a certificate of another person and a revoked one are each
// refused with their message, and the document stays as it was.
func TestPersonalSignatureRefusals(t *testing.T) {
	t.Parallel()
	p := newPersonalFixture(t)
	ctx := context.Background()
	before, err := currentPDF(ctx, p.pool, p.doc)
	must(t, err)

	expired := p.prepare(t)
	p.advance(PendingSignatureTTL + time.Second)
	err = p.svc.CompleteSignature(ctx, p.in(p.leader), expired.ID, markingValue(expired.Digest))
	wantMessage(t, err, ErrInvalid, "Phiên ký đã hết hạn (quá 10 phút); hãy ký lại.")
	p.unchanged(t, before)

	abandoned := p.prepare(t) // deletes the expired attempt and its prepared PDF
	if n := p.count(t, `SELECT count(*) FROM pending_signatures`); n != 1 {
		t.Errorf("%d pending signatures after a new preparation, want only the new one", n)
	}
	must(t, p.svc.AbandonSignature(ctx, p.in(p.leader), abandoned.ID))
	if n := p.count(t, `SELECT count(*) FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM document_files f WHERE f.blob_id = b.id)`); n != 0 {
		t.Errorf("%d prepared PDFs left after abandoning", n)
	}
	err = p.svc.CompleteSignature(ctx, p.in(p.leader), abandoned.ID, markingValue(abandoned.Digest))
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("completing an abandoned signature: %v", err)
	}
	p.unchanged(t, before)

	changed := p.prepare(t)
	must(t, store.InTx(ctx, p.pool, func(tx pgx.Tx) error { // as a conversion or a concurrent step would
		_, err := addMainVersion(ctx, tx, p.doc, samplePDF(t, "Bản sửa"), p.specialist, "", DefaultMaxFileSize)
		return err
	}))
	after, err := currentPDF(ctx, p.pool, p.doc)
	must(t, err)
	err = p.svc.CompleteSignature(ctx, p.in(p.leader), changed.ID, markingValue(changed.Digest))
	if !errors.Is(err, ErrIllegalTransition) || !strings.Contains(UserMessage(err), "vừa được người khác thay đổi") {
		t.Fatalf("completing over a replaced PDF: %v", err)
	}
	p.unchanged(t, after)

	other := p.key
	other.Certificate = personalCertificate(t, "Lê Văn Hùng", 2)
	_, err = p.svc.PrepareSignature(ctx, p.in(p.leader), p.doc, SignInput{}, other)
	wantMessage(t, err, ErrInvalid, "Chứng thư số này không phải của Phạm Quốc Việt.")

	revoked := p.prepare(t)
	p.hook.revoke(p.key.Certificate)
	err = p.svc.CompleteSignature(ctx, p.in(p.leader), revoked.ID, markingValue(revoked.Digest))
	wantMessage(t, err, ErrInvalid, "Chứng thư số đã bị thu hồi.")
	p.unchanged(t, after)
}

// TestPersonalSignatureVisibility: someone who may not see (or sign) the document
// prepares nothing, and no pending signature is stored.
func TestPersonalSignatureVisibility(t *testing.T) {
	t.Parallel()
	p := newPersonalFixture(t)
	ctx := context.Background()
	_, err := p.svc.PrepareSignature(ctx, p.in(p.tpSpecialist), p.doc, SignInput{}, p.key)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("a specialist of another unit prepares a signature: %v", err)
	}
	_, err = p.svc.PrepareSignature(ctx, Actor{UserID: p.communeLeader, AgencyID: p.commune}, p.doc, SignInput{}, p.key)
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("another agency's leader prepares a signature: %v", err)
	}
	_, err = p.svc.PrepareSignature(ctx, p.in(p.unitHead), p.doc, SignInput{}, p.key)
	if !errors.Is(err, ErrForbidden) {
		t.Errorf("the unit head prepares a signature: %v", err)
	}
	if n := p.count(t, `SELECT count(*) FROM pending_signatures`); n != 0 {
		t.Errorf("%d pending signatures stored for refused preparations", n)
	}
}

// TestServerKeyRefusedByPolicy: once the agency requires personal keys, today's
// one-click Sign with the server's keyring is refused, and a personal signature
// still works; before that, Sign records the server as the device.
func TestServerKeyRefusedByPolicy(t *testing.T) {
	t.Parallel()
	p := newPersonalFixture(t)
	ctx := context.Background()
	admin := p.withAdmin(t)

	serverSigned := p.draft(t, TypeQuyetDinh, "Quyết định ký bằng khóa trên máy chủ", nil)
	p.toSigned(t, serverSigned)
	files, err := Files(ctx, p.pool, serverSigned)
	must(t, err)
	if files[0].SignatureDevice != DeviceServer {
		t.Errorf("a server signature records device %q", files[0].SignatureDevice)
	}

	if err := p.svc.SetPersonalKeysRequired(ctx, p.in(p.leader), p.district, true); !errors.Is(err, ErrForbidden) {
		t.Errorf("a leader sets the policy: %v", err)
	}
	must(t, p.svc.SetPersonalKeysRequired(ctx, p.in(admin), p.district, true))
	if required, err := p.svc.PersonalKeysRequired(ctx, p.district); err != nil || !required {
		t.Fatalf("policy after setting it: %v, %v", required, err)
	}
	before, err := currentPDF(ctx, p.pool, p.doc)
	must(t, err)
	err = p.svc.Sign(ctx, p.in(p.leader), p.doc, SignInput{})
	wantMessage(t, err, ErrInvalid, "Cơ quan yêu cầu mỗi người ký bằng khóa của chính mình (USB token hoặc ký số từ xa).")
	p.unchanged(t, before)
	pending := p.prepare(t)
	must(t, p.svc.CompleteSignature(ctx, p.in(p.leader), pending.ID, markingValue(pending.Digest)))
}

// TestSigningSettingsOfAPerson: a person sets their own remote-signing account, the
// administrator imports a certificate for them; others may do neither.
func TestSigningSettingsOfAPerson(t *testing.T) {
	t.Parallel()
	p := newPersonalFixture(t)
	ctx := context.Background()
	admin := p.withAdmin(t)

	if provider, account, err := p.svc.SigningAccount(ctx, p.leader); err != nil || provider != "" || account != "chutich" {
		t.Errorf("default signing account: %q, %q, %v", provider, account, err)
	}
	must(t, p.svc.SetSigningAccount(ctx, p.in(p.leader), p.leader, "smartca", "viet.pq"))
	if provider, account, err := p.svc.SigningAccount(ctx, p.leader); err != nil || provider != "smartca" || account != "viet.pq" {
		t.Errorf("signing account: %q, %q, %v", provider, account, err)
	}
	if err := p.svc.SetSigningAccount(ctx, p.in(p.unitHead), p.leader, "smartca", "x"); !errors.Is(err, ErrForbidden) {
		t.Errorf("another person sets the leader's account: %v", err)
	}
	if err := p.svc.ImportPersonCertificate(ctx, p.in(p.leader), p.leader, p.key.Certificate.Raw); !errors.Is(err, ErrForbidden) {
		t.Errorf("a leader imports a certificate: %v", err)
	}
	err := p.svc.ImportPersonCertificate(ctx, p.in(admin), p.leader, personalCertificate(t, "Lê Văn Hùng", 3).Raw)
	wantMessage(t, err, ErrInvalid, "Chứng thư số này không phải của Phạm Quốc Việt.")
	must(t, p.svc.ImportPersonCertificate(ctx, p.in(admin), p.leader, p.key.Certificate.Raw))
	certs, err := p.svc.PersonCertificates(ctx, p.in(admin), p.leader)
	must(t, err)
	if len(certs) != 1 || certs[0].Source != CertificateAdmin || certs[0].AddedBy != admin {
		t.Errorf("imported certificates: %+v", certs)
	}
	if _, err := p.svc.PersonCertificates(ctx, p.in(p.unitHead), p.leader); !errors.Is(err, ErrForbidden) {
		t.Errorf("another person lists the leader's certificates: %v", err)
	}
}

// withAdmin adds the district's administrator and has the service enforce the roles
// stored in the database; it returns the administrator.
func (p *personalFixture) withAdmin(t *testing.T) int64 {
	t.Helper()
	admin := p.user(t, "quantri", "Bùi Văn Quản", p.district, 0, "Quản trị")
	p.grant(t, map[int64][]access.Role{admin: {access.QuanTri}}, p.district)
	enforcer, err := access.NewEnforcer(context.Background(), p.pool)
	must(t, err)
	p.svc.Access = enforcer
	return admin
}
