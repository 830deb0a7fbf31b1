package conformance

import (
	"bytes"
	"context"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/testenv"
)

const testAgency = "000.00.00.H99"

// newTestKit initialises a kit in a temporary directory whose target CA is the
// kit's own CA, and loads it.
func newTestKit(t *testing.T) *Kit {
	t.Helper()
	dir := t.TempDir()
	if err := Init(InitOptions{Dir: dir, TargetOrgan: testAgency, CRLAddr: "127.0.0.1:0"}); err != nil {
		t.Fatal(err)
	}
	ca, err := os.ReadFile(filepath.Join(dir, fileCA))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, fileTargetCA), ca, 0o644); err != nil {
		t.Fatal(err)
	}
	kit, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return kit
}

// offlineSession is a session that builds packages but reaches no target.
func offlineSession(kit *Kit) *session {
	return &session{kit: kit, make: newFactory(time.Now()), cfg: Config{TestAgency: testAgency}}
}

// judge reads a package as a receiver trusting the kit's CA does and returns the
// protocol's refusal, nil when it would be accepted.
func judge(kit *Kit, body []byte) *wire.Refusal {
	roots := x509.NewCertPool()
	roots.AddCert(kit.CA)
	pkg, err := liaison.Read(bytes.NewReader(body), liaison.Options{Roots: roots, RequireSignature: true})
	return wire.Judge(pkg, err)
}

func TestInitMakesTheCertificatesTheCatalogueNeeds(t *testing.T) {
	kit := newTestKit(t)
	roots := x509.NewCertPool()
	roots.AddCert(kit.CA)
	verify := func(cert *x509.Certificate, usage x509.ExtKeyUsage) error {
		_, err := cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}})
		return err
	}
	for name, organ := range map[string]string{"t1": OrganT1, "t2": OrganT2, "rogue-t1": OrganT1, "expired-t1": OrganT1, "revoked-t1": OrganT1} {
		if got := wire.SignerOrganID(kit.Agencies[name].Chain[0]); got != organ {
			t.Errorf("%s names %q as UID, want %q", name, got, organ)
		}
	}
	for name, wantErr := range map[string]bool{"kit": false, "member": false, "rogue-tls": true, "expired-tls": true, "revoked-tls": false} {
		leaf, err := x509.ParseCertificate(kit.TLS[name].Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if err := verify(leaf, usage); (err != nil) != wantErr {
				t.Errorf("%s as TLS certificate (usage %v): %v, want an error: %t", name, usage, err, wantErr)
			}
		}
	}
	crl, err := x509.ParseRevocationList(kit.CRL)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(kit.CA); err != nil {
		t.Fatalf("the CRL is not signed by the kit CA: %v", err)
	}
	revoked := map[string]bool{}
	for _, e := range crl.RevokedCertificateEntries {
		revoked[e.SerialNumber.String()] = true
	}
	revokedTLS, _ := x509.ParseCertificate(kit.TLS["revoked-tls"].Certificate[0])
	for _, cert := range []*x509.Certificate{revokedTLS, kit.Agencies["revoked-t1"].Chain[0]} {
		if !revoked[cert.SerialNumber.String()] || len(cert.CRLDistributionPoints) != 1 {
			t.Errorf("%s is not revoked by the CRL it points to", cert.Subject)
		}
	}
	if revoked[kit.Agencies["t1"].Chain[0].SerialNumber.String()] {
		t.Error("T1's certificate is revoked")
	}
}

// TestVariantsAreWhatTheirCaseSays reads every package of the refusal cases as a
// receiver does (liaison.Read with the kit CA as trust anchor, wire.Judge) and
// checks it earns the case's code; the well-formed ones must be accepted.
func TestVariantsAreWhatTheirCaseSays(t *testing.T) {
	kit := newTestKit(t)
	s := offlineSession(kit)
	cases := map[string]refusalCase{
		"6.1": notEdXML, "6.2": {wire.CodeInvalid, (*session).missingFieldVariants}, "6.3": attachmentErrors, "6.4": doctype,
		"7.1": unsignedCase, "7.2": tampered, "7.3": untrustedSigners, "7.4": otherAgencySignature, "7.5": wrapping,
	}
	for id, c := range cases {
		t.Run(id, func(t *testing.T) {
			for _, v := range c.variants(s) {
				if v.err != nil {
					t.Fatalf("%s: %v", v.name, v.err)
				}
				refusal := judge(kit, v.body)
				if v.name == "chứng thư bị thu hồi" {
					// liaison does not check revocation: the CRL test above covers it.
					continue
				}
				if refusal == nil || refusal.Code != c.code {
					t.Errorf("%s: judged %+v, want %s", v.name, refusal, c.code)
				}
			}
		})
	}
}

func TestMissingFieldRefusalsNameTheField(t *testing.T) {
	kit := newTestKit(t)
	for _, v := range offlineSession(kit).missingFieldVariants() {
		if v.err != nil {
			t.Fatalf("%s: %v", v.name, v.err)
		}
		refusal := judge(kit, v.body)
		field := v.name[strings.LastIndex(v.name, "/")+1:]
		if refusal == nil || refusal.Code != wire.CodeInvalid || !strings.Contains(refusal.Message, field) {
			t.Errorf("without %s: %+v", v.name, refusal)
		}
	}
}

func TestWellFormedPackagesAreAccepted(t *testing.T) {
	kit := newTestKit(t)
	s := offlineSession(kit)
	doc := s.make.newDocument(OrganT1, []string{testAgency}, "Kiểm thử")
	signed, err := doc.signed(kit.Agencies["t1"], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := doc.unsigned(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	lenientSigned, err := sign(lenient(unsigned), kit.Agencies["t1"])
	if err != nil {
		t.Fatalf("the lenient variant cannot be signed: %v", err)
	}
	if !bytes.Contains(lenientSigned, []byte("<qcvn:PromulgationDate>")) || !bytes.Contains(lenientSigned, []byte("ext:Note")) {
		t.Fatal("the lenient variant does not rewrite the package")
	}
	status, err := status(OrganT1, responseFor(doc.pkg.Header), "13", "Thu hồi", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	signedStatus, err := sign(status, kit.Agencies["t1"])
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string][]byte{"document": signed, "lenient": lenientSigned, "status 13": signedStatus}
	for name, d := range map[string]*document{"revoke": changeOf(doc, liaison.BusinessRevoke), "update": changeOf(doc, liaison.BusinessUpdate),
		"replace": s.replacing(doc)} {
		if bodies[name], err = d.signed(kit.Agencies["t1"], time.Now()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if bodies["same DocumentId from T2"], err = sameIDFrom(doc, OrganT2).signed(kit.Agencies["t2"], time.Now()); err != nil {
		t.Fatal(err)
	}
	for name, body := range bodies {
		if refusal := judge(kit, body); refusal != nil {
			t.Errorf("%s refused: %+v", name, refusal)
		}
	}
	pkg, err := liaison.Read(bytes.NewReader(lenientSigned), liaison.Options{})
	if err != nil || len(pkg.Warnings) == 0 || pkg.Header.DocumentID != doc.documentID() {
		t.Errorf("lenient variant read as %+v, %v: want the same DocumentId with warnings", pkg, err)
	}
}

func TestFieldRuleVariantsAreInvalid(t *testing.T) {
	kit := newTestKit(t)
	s := offlineSession(kit)
	unsigned, err := s.testDocument("Kiểm thử")
	if err != nil {
		t.Fatal(err)
	}
	twice, err := signInvalid(duplicateTo(unsigned), kit.Agencies["t1"])
	if err != nil {
		t.Fatal(err)
	}
	code07, err := s.statusCode07()
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"To twice": twice, "status 07": code07} {
		if refusal := judge(kit, body); refusal == nil || refusal.Code != wire.CodeInvalid {
			t.Errorf("%s judged %+v, want %s", name, refusal, wire.CodeInvalid)
		}
	}
}

// TestXmlsec1AgreesOnSignatures has xmlsec1 verify the kit's signed package and
// refuse the ones changed after signing.
func TestXmlsec1AgreesOnSignatures(t *testing.T) {
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	kit := newTestKit(t)
	s := offlineSession(kit)
	body, err := s.make.newDocument(OrganT1, []string{testAgency}, "Kiểm thử xmlsec1").signed(kit.Agencies["t1"], time.Now())
	if err != nil {
		t.Fatal(err)
	}
	verify := func(body []byte) ([]byte, error) {
		path := filepath.Join(t.TempDir(), "package.edxml")
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
		return exec.Command(xmlsec1, "--verify", "--trusted-pem", filepath.Join(kit.Dir, fileCA), path).CombinedOutput()
	}
	if out, err := verify(body); err != nil {
		t.Fatalf("xmlsec1 refuses the kit's package: %v\n%s", err, out)
	}
	for name, changed := range map[string][]byte{"subject": changeSubject(body), "attachment": changeAttachmentByte(body)} {
		if bytes.Equal(changed, body) {
			t.Fatalf("%s: nothing changed", name)
		}
		if out, err := verify(changed); err == nil {
			t.Errorf("xmlsec1 accepts the package with its %s changed:\n%s", name, out)
		}
	}
}

func TestJournalKeepsPackagesAcrossRuns(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, dirSent), 0o755)
	j, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := JournalEntry{Run: "A", PackageID: "p-old", ReceiptID: "r-1", SentAt: time.Now().AddDate(0, 0, -3)}
	recent := JournalEntry{Run: "B", PackageID: "p-new", ReceiptID: "r-2", SentAt: time.Now()}
	if err := j.Record(old, []byte("<old/>")); err != nil {
		t.Fatal(err)
	}
	if err := j.Record(recent, []byte("<new/>")); err != nil {
		t.Fatal(err)
	}
	reopened, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := reopened.OldestBefore(time.Now().AddDate(0, 0, -1))
	if !ok || got.PackageID != "p-old" || got.ReceiptID != "r-1" {
		t.Fatalf("OldestBefore = %+v, %t", got, ok)
	}
	if body, err := reopened.Body(got); err != nil || string(body) != "<old/>" {
		t.Fatalf("Body = %q, %v", body, err)
	}
	if _, ok := reopened.OldestBefore(time.Now().AddDate(0, 0, -7)); ok {
		t.Fatal("an entry older than a week was found")
	}
}

func TestWriteTable(t *testing.T) {
	var out bytes.Buffer
	err := WriteTable(&out, []Result{{"1.1", Pass, "node"}, {"2.2", Skip, needsRelay}, {"4.1", Fail, "được chấp nhận"}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[2], "2.2") || !strings.Contains(lines[2], "SKIP") || lines[4] != "1 PASS, 1 FAIL, 1 SKIP" {
		t.Fatalf("table:\n%s", out.String())
	}
}

// TestUnreachableTarget runs the kit against a port where nothing listens: one
// FAIL row (11.5) and every other row skipped.
func TestUnreachableTarget(t *testing.T) {
	kit := newTestKit(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	results, failed, err := Run(context.Background(), Config{Dir: kit.Dir, Target: "https://" + closed, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if !failed || len(results) != len(catalogue) {
		t.Fatalf("failed %t with %d rows", failed, len(results))
	}
	for _, r := range results {
		if want := map[bool]Outcome{true: Fail, false: Skip}[r.ID == "11.5"]; r.Outcome != want {
			t.Errorf("%s: %s, want %s", r.ID, r.Outcome, want)
		}
	}
}

// TestLargePackageStreamsFromAFile signs a package with a 2 MB attachment into a
// file and checks that it is what a receiver accepts, with the SHA-256 returned.
func TestLargePackageStreamsFromAFile(t *testing.T) {
	kit := newTestKit(t)
	doc := offlineSession(kit).make.newDocument(OrganT1, []string{testAgency}, "Kiểm thử tệp lớn")
	path, sum, length, err := doc.signedFile(t.TempDir(), kit.Agencies["t1"], time.Now(), 2<<20)
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(body)) != length || wire.DefaultPackageID(body) != sum {
		t.Fatalf("length %d and SHA-256 %s do not describe the file (%d bytes)", length, sum, len(body))
	}
	if refusal := judge(kit, body); refusal != nil {
		t.Fatalf("refused: %+v", refusal)
	}
	pkg, err := liaison.Read(bytes.NewReader(body), liaison.Options{})
	if err != nil || len(pkg.Attachments) != 1 || pkg.Attachments[0].Size != 2<<20 {
		t.Fatalf("read back: %+v, %v", pkg, err)
	}
}
