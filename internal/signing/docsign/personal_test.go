package docsign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

// instance is one edms node: its own pool, trust store (with its own revocation
// cache) and clock, on the shared database and keyring.
type instance struct {
	svc   *docs.Service
	mu    sync.Mutex
	ahead time.Duration // how far the node's clock runs ahead
}

func newInstance(t *testing.T, url string, keys docsign.Keyring) *instance {
	t.Helper()
	pool := storetest.NewPool(t, url)
	enforcer, err := access.NewEnforcer(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := keys.TrustStore()
	if err != nil {
		t.Fatal(err)
	}
	trust.Revocation = signing.NewRevocationChecker(signing.RevocationAuto)
	in := &instance{}
	hook := &docsign.Hook{Keys: keys, Layout: docsign.FormLayout, Trust: func() *signing.TrustStore { return trust }}
	in.svc = &docs.Service{Pool: pool, Access: enforcer, Signing: hook, Now: func() time.Time {
		in.mu.Lock()
		defer in.mu.Unlock()
		return time.Now().Add(in.ahead)
	}}
	return in
}

func (in *instance) runAhead(d time.Duration) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.ahead = d
}

// TestPersonalSignatureAcrossInstances: the chairman's signature is prepared on one
// node for a key the server never holds, signed by the "device" (a software key
// certified by the demo CA, with an OCSP responder), and completed on a second node
// with its own pool. A certificate of another person, a wrong value, an expired
// attempt and a revoked certificate are each refused with their message and leave
// the document as it was; the completed signature is valid for edms's verifier, the
// device and the certificate's first use are recorded, and the number stamp and the
// agency's seal still go on top.
func TestPersonalSignatureAcrossInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.NewDatabaseURL(t)
	seedPool := storetest.NewPool(t, url)
	if err := demo.Seed(ctx, seedPool, "PhuLuong@2026"); err != nil {
		t.Fatal(err)
	}
	keys := docsign.Keyring{Dir: t.TempDir(), Password: "test-keys"}
	if err := demo.ProvisionKeys(ctx, seedPool, keys); err != nil {
		t.Fatal(err)
	}
	ca, err := demo.LoadOrCreateCA(filepath.Join(keys.Dir, "ca", "demo-root.p12"), pki.DemoRootName, keys.Password)
	if err != nil {
		t.Fatal(err)
	}
	revocations := ca.NewRevocationList()
	ocsp := httptest.NewServer(revocations.OCSPHandler())
	defer ocsp.Close()
	issue := func(name string) *pki.Credential {
		c, err := ca.IssuePerson(pki.Options{Subject: pki.Subject{CommonName: name, Title: "Chủ tịch"}, OCSPServer: []string{ocsp.URL}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	first, second := newInstance(t, url, keys), newInstance(t, url, keys)
	actor := func(username string) docs.Actor { return districtActor(t, seedPool, username) }
	chairman := actor("chutich.huyen")
	id := draftForSignature(t, first.svc, actor)
	files, err := docs.Files(ctx, seedPool, id)
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(what string) {
		t.Helper()
		now, err := docs.Files(ctx, seedPool, id)
		if err != nil {
			t.Fatal(err)
		}
		d, err := second.svc.Get(ctx, chairman, id)
		if err != nil {
			t.Fatal(err)
		}
		if now[0].ID != files[0].ID || d.OutgoingState != docs.OutPendingSignature || d.LeaderSigned {
			t.Errorf("%s changed the document: file %d (was %d), state %s, leader signed %v", what, now[0].ID, files[0].ID, d.OutgoingState, d.LeaderSigned)
		}
	}
	refused := func(what string, err error, message string) {
		t.Helper()
		if err == nil || docs.UserMessage(err) != message {
			t.Errorf("%s: want %q, got %v", what, message, err)
		}
		unchanged(what)
	}
	own := issue("Nguyễn Văn Nghĩa")
	remote := func(c *pki.Credential) docs.PersonalKey {
		return docs.PersonalKey{Device: docs.DeviceRemote, Provider: "smartca", CredentialID: "cred-" + c.Cert.SerialNumber.String(),
			Certificate: c.Cert, Chain: c.Chain}
	}
	device := func(c *pki.Credential, digest []byte) []byte {
		value, err := c.Key.Sign(rand.Reader, digest, crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		return value
	}

	_, err = first.svc.PrepareSignature(ctx, chairman, id, docs.SignInput{}, remote(issue("Lê Văn An")))
	refused("another person's certificate", err, "Chứng thư số này không phải của Nguyễn Văn Nghĩa.")

	pending, err := first.svc.PrepareSignature(ctx, chairman, id, docs.SignInput{}, remote(own))
	if err != nil {
		t.Fatal(err)
	}
	unchanged("preparing")
	err = second.svc.CompleteSignature(ctx, chairman, pending.ID, device(issue("Nguyễn Văn Nghĩa"), pending.Digest))
	refused("a value by another key", err, "Chữ ký trả về không khớp với văn bản đã chuẩn bị; văn bản không thay đổi.")

	second.runAhead(docs.PendingSignatureTTL + time.Minute)
	err = second.svc.CompleteSignature(ctx, chairman, pending.ID, device(own, pending.Digest))
	refused("an expired attempt", err, "Phiên ký đã hết hạn (quá 10 phút); hãy ký lại.")
	second.runAhead(0)

	revoked := issue("Nguyễn Văn Nghĩa")
	pendingRevoked, err := first.svc.PrepareSignature(ctx, chairman, id, docs.SignInput{}, remote(revoked))
	if err != nil {
		t.Fatal(err)
	}
	revocations.Revoke(revoked.Cert, time.Now().Add(-time.Minute))
	err = second.svc.CompleteSignature(ctx, chairman, pendingRevoked.ID, device(revoked, pendingRevoked.Digest))
	refused("a certificate revoked since the preparation", err, "Chứng thư số đã bị thu hồi.")

	pending, err = first.svc.PrepareSignature(ctx, chairman, id, docs.SignInput{}, remote(own))
	if err != nil {
		t.Fatal(err)
	}
	if err := second.svc.CompleteSignature(ctx, chairman, pending.ID, device(own, pending.Digest)); err != nil {
		t.Fatalf("completing on the second instance: %v", err)
	}
	d, err := first.svc.Get(ctx, chairman, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.OutgoingState != docs.OutSigned || !d.LeaderSigned || d.Signer.FullName != "Nguyễn Văn Nghĩa" {
		t.Fatalf("after completion: state %s, leader signed %v, signer %q", d.OutgoingState, d.LeaderSigned, d.Signer.FullName)
	}
	signedFiles, err := docs.Files(ctx, seedPool, id)
	if err != nil {
		t.Fatal(err)
	}
	if signedFiles[0].SignatureDevice != docs.DeviceRemote {
		t.Errorf("the signed version records device %q", signedFiles[0].SignatureDevice)
	}
	certs, err := first.svc.PersonCertificates(ctx, chairman, chairman.UserID)
	if err != nil || len(certs) != 1 || certs[0].Source != docs.CertificateFirstUse || certs[0].Serial != strings.ToUpper(own.Cert.SerialNumber.Text(16)) {
		t.Errorf("the chairman's certificates: %+v, %v", certs, err)
	}
	trust, err := signing.LoadTrustStore(keys.TrustDir())
	if err != nil {
		t.Fatal(err)
	}
	report := verifyCurrent(t, seedPool, id, trust)
	if !report.Valid() || len(report.Signatures) != 1 || report.Signatures[0].Signer != "Nguyễn Văn Nghĩa" || !report.Signatures[0].PAdES {
		t.Fatalf("the personal signature for the verifier: %+v", report)
	}

	clerk := actor("vanthu.huyen")
	if _, err := second.svc.Issue(ctx, clerk, id, ""); err != nil {
		t.Fatal(err)
	}
	if err := first.svc.Seal(ctx, clerk, id, ""); err != nil {
		t.Fatal(err)
	}
	report = verifyCurrent(t, seedPool, id, trust)
	if !report.Valid() || len(report.Signatures) != 2 || len(report.IssueStamps) == 0 {
		t.Fatalf("after the number and the seal: %+v", report)
	}
	if report.Signatures[0].Signer != "Nguyễn Văn Nghĩa" || !strings.Contains(report.Signatures[1].Signer, "Phú Lương") {
		t.Errorf("signers: %q, %q", report.Signatures[0].Signer, report.Signatures[1].Signer)
	}
	sealed, err := docs.Files(ctx, seedPool, id)
	if err != nil {
		t.Fatal(err)
	}
	if sealed[0].SignatureDevice != "" || sealed[2].SignatureDevice != docs.DeviceRemote {
		t.Errorf("devices of the sealed, stamped and signed versions: %q, %q, %q",
			sealed[0].SignatureDevice, sealed[1].SignatureDevice, sealed[2].SignatureDevice)
	}
	checkWithPdfsig(t, keys.TrustDir(), writeMainFile(t, first.svc, id))
}

// draftForSignature drafts a plan and brings it to the chairman's signature.
func draftForSignature(t *testing.T, svc *docs.Service, actor func(string) docs.Actor) int64 {
	t.Helper()
	ctx := context.Background()
	kh, _ := docs.LookupType(docs.TypeKeHoach)
	draft, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương",
		Type: kh, Subject: "Chuyển đổi số trong cơ quan năm 2027",
		Body: "Ủy ban nhân dân huyện ban hành kế hoạch chuyển đổi số trong các cơ quan, đơn vị.", ToPlaces: []string{"Các phòng, ban"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := svc.CreateDraft(ctx, actor("chuyenvien.tckh"), docs.DraftInput{
		Document: docs.Document{Type: docs.TypeKeHoach, Subject: "Chuyển đổi số trong cơ quan năm 2027", Place: "Phú Lương"},
		File:     docs.FileInput{Name: "ke-hoach.pdf", MediaType: docs.MediaPDF, Content: bytes.NewReader(draft)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Submit(ctx, actor("chuyenvien.tckh"), id, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.Approve(ctx, actor("truongphong.tckh"), id, ""); err != nil {
		t.Fatal(err)
	}
	if err := svc.SubmitForSignature(ctx, actor("truongphong.tckh"), id, ""); err != nil {
		t.Fatal(err)
	}
	return id
}

// verifyCurrent verifies the document's current main version.
func verifyCurrent(t *testing.T, pool *pgxpool.Pool, id int64, trust *signing.TrustStore) *signing.Report {
	t.Helper()
	files, err := docs.Files(context.Background(), pool, id)
	if err != nil {
		t.Fatal(err)
	}
	var pdf bytes.Buffer
	if _, err := docs.CopyBlob(context.Background(), pool, files[0].BlobID, &pdf); err != nil {
		t.Fatal(err)
	}
	report, err := signing.Verify(signing.NewDocument(bytes.NewReader(pdf.Bytes()), int64(pdf.Len())), trust)
	if err != nil {
		t.Fatal(err)
	}
	return report
}
