package docsign_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/store/storetest"
	"edms/internal/testenv"

	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestIssuedDocumentCarriesBothSignatures drafts a plan on the form, runs it through
// the outgoing lifecycle with real keys, and checks the issued PDF with the project's
// verifier, pdfsig and qpdf: the leader's and the agency's signatures valid and
// trusted, the number and date stamped in between.
func TestIssuedDocumentCarriesBothSignatures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	if err := demo.Seed(ctx, pool, "PhuLuong@2026"); err != nil {
		t.Fatal(err)
	}
	keys := docsign.Keyring{Dir: t.TempDir(), Password: "test-keys"}
	if err := demo.ProvisionKeys(ctx, pool, keys); err != nil {
		t.Fatal(err)
	}
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	svc := &docs.Service{Pool: pool, Access: enforcer, Signing: &docsign.Hook{Keys: keys, Layout: docsign.FormLayout}}
	actor := func(username string) docs.Actor { return districtActor(t, pool, username) }
	kh, _ := docs.LookupType(docs.TypeKeHoach)
	draft, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương",
		Type: kh, Subject: "Kiểm tra công tác văn thư, lưu trữ năm 2027",
		Body:     "Thực hiện Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư, Ủy ban nhân dân huyện ban hành kế hoạch kiểm tra như sau.\n\nCác xã, thị trấn tự kiểm tra và báo cáo kết quả trước ngày 15 tháng 12.",
		ToPlaces: []string{"UBND các xã, thị trấn", "Phòng Nội vụ"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := svc.CreateDraft(ctx, actor("chuyenvien.tckh"), docs.DraftInput{
		Document: docs.Document{Type: docs.TypeKeHoach, Subject: "Kiểm tra công tác văn thư, lưu trữ năm 2027", Place: "Phú Lương"},
		File:     docs.FileInput{Name: "ke-hoach.pdf", MediaType: docs.MediaPDF, Content: bytes.NewReader(draft)}})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		who  string
		step func(docs.Actor) error
	}{
		{"chuyenvien.tckh", func(a docs.Actor) error { return svc.Submit(ctx, a, id, "") }},
		{"truongphong.tckh", func(a docs.Actor) error { return svc.Approve(ctx, a, id, "") }},
		{"truongphong.tckh", func(a docs.Actor) error { return svc.SubmitForSignature(ctx, a, id, "") }},
		{"chutich.huyen", func(a docs.Actor) error { return svc.Sign(ctx, a, id, docs.SignInput{}) }},
		{"vanthu.huyen", func(a docs.Actor) error { _, err := svc.Issue(ctx, a, id, ""); return err }},
		{"vanthu.huyen", func(a docs.Actor) error { return svc.Seal(ctx, a, id, "") }},
	}
	for _, s := range steps {
		if err := s.step(actor(s.who)); err != nil {
			t.Fatalf("%s: %v", s.who, err)
		}
	}
	rec, err := svc.Get(ctx, actor("vanthu.huyen"), id)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.LeaderSigned || !rec.AgencySigned {
		t.Fatalf("signed flags: leader %v, agency %v", rec.LeaderSigned, rec.AgencySigned)
	}
	path := writeMainFile(t, svc, id)

	trust, err := signing.LoadTrustStore(keys.TrustDir())
	if err != nil {
		t.Fatal(err)
	}
	doc, f, err := signing.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	report, err := signing.Verify(doc, trust)
	if err != nil {
		t.Fatal(err)
	}
	if !report.Valid() || len(report.Signatures) != 2 {
		t.Fatalf("verifier: %+v", report)
	}
	if report.Signatures[0].Signer != "Nguyễn Văn Nghĩa" || !strings.Contains(report.Signatures[1].Signer, "Phú Lương") {
		t.Errorf("signers: %q, %q", report.Signatures[0].Signer, report.Signatures[1].Signer)
	}
	for _, s := range report.Signatures {
		if !s.PAdES || s.SubFilter != "ETSI.CAdES.detached" {
			t.Errorf("the lifecycle must sign PAdES (ETSI.CAdES.detached with signing-certificate-v2): %+v", s)
		}
	}
	if len(report.IssueStamps) == 0 || !strings.Contains(strings.Join(report.IssueStamps, " "), "Số: 01/KH-UBND") {
		t.Errorf("issue stamps: %v", report.IssueStamps)
	}
	check, err := docsign.Verifier{Trust: trust}.VerifyPDF(ctx, f, doc.Size())
	if err != nil || check.Status != docs.SignatureValid || !strings.Contains(check.Summary, "Nguyễn Văn Nghĩa") {
		t.Errorf("the received-document verifier says %+v, %v", check, err)
	}
	checkWithPdfsig(t, keys.TrustDir(), path)
	if out, err := exec.Command(testenv.LookTool(t, "qpdf"), "--check", path).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
	if dir := os.Getenv("EDMS_SCREENSHOT_DIR"); dir != "" {
		exec.Command("pdftoppm", "-png", "-r", "70", path, filepath.Join(dir, "issued")).Run()
	}
}

func writeMainFile(t *testing.T, svc *docs.Service, id int64) string {
	t.Helper()
	files, err := docs.Files(context.Background(), svc.Pool, id)
	if err != nil {
		t.Fatal(err)
	}
	var latest docs.File
	for _, f := range files {
		if f.Kind == docs.KindMain && f.Version >= latest.Version {
			latest = f
		}
	}
	var buf bytes.Buffer
	if _, err := docs.CopyBlob(context.Background(), svc.Pool, latest.BlobID, &buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "issued.pdf")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkWithPdfsig validates both signatures with poppler, trusting the demo root in a
// temporary NSS database.
func checkWithPdfsig(t *testing.T, trustDir, path string) {
	t.Helper()
	certutil := testenv.LookTool(t, "certutil")
	pdfsig := testenv.LookTool(t, "pdfsig")
	nss := t.TempDir()
	for _, args := range [][]string{
		{"-N", "-d", "sql:" + nss, "--empty-password"},
		{"-A", "-d", "sql:" + nss, "-n", "edms-demo-root", "-t", "CT,C,C", "-i", filepath.Join(trustDir, "edms-demo-root.pem")},
	} {
		if out, err := exec.Command(certutil, args...).CombinedOutput(); err != nil {
			t.Fatalf("certutil: %v\n%s", err, out)
		}
	}
	out, err := exec.Command(pdfsig, "-nssdir", "sql:"+nss, path).CombinedOutput()
	if err != nil {
		t.Fatalf("pdfsig: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "Signature is Valid."); n != 2 {
		t.Errorf("pdfsig found %d valid signatures, want 2:\n%s", n, out)
	}
	if n := strings.Count(string(out), "Certificate is Trusted."); n != 2 {
		t.Errorf("pdfsig trusts %d certificates, want 2:\n%s", n, out)
	}
}

// districtActor is the demo user acting in the demo's district agency.
func districtActor(t *testing.T, pool *pgxpool.Pool, username string) docs.Actor {
	t.Helper()
	ctx := context.Background()
	u, err := org.UserByUsername(ctx, pool, username)
	if err != nil {
		t.Fatal(err)
	}
	district, err := org.AgencyByOrganID(ctx, pool, demo.DistrictID)
	if err != nil {
		t.Fatal(err)
	}
	return docs.Actor{UserID: u.ID, AgencyID: district.ID}
}
