package signing

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"edms/internal/signing/pki"
	"edms/internal/testenv"
)

// badPDFs are inputs that must be refused with ErrNotPDF or ErrEncrypted.
func badPDFs(t *testing.T) map[string]struct {
	data []byte
	want error
} {
	good := makePDF(t, 1, 0)
	brokenXref := bytes.Clone(good)
	i := bytes.LastIndex(brokenXref, []byte("startxref\n"))
	copy(brokenXref[i+len("startxref\n"):], "99") // startxref now points into nowhere
	encrypted := filepath.Join(t.TempDir(), "enc.pdf")
	plain := writeTemp(t, "plain.pdf", good)
	run(t, testenv.LookTool(t, "qpdf"), "--encrypt", "user", "owner", "256", "--", plain, encrypted)
	return map[string]struct {
		data []byte
		want error
	}{
		"not a PDF":   {[]byte("<html>này không phải PDF</html>"), ErrNotPDF},
		"empty":       {nil, ErrNotPDF},
		"truncated":   {good[:len(good)/2], ErrNotPDF},
		"broken xref": {brokenXref, ErrNotPDF},
		"encrypted":   {readFile(t, encrypted), ErrEncrypted},
	}
}

func TestBadInputRefused(t *testing.T) {
	p := demoPKI(t)
	s := &Signer{Identity: identityOf(t, p.person)}
	for name, c := range badPDFs(t) {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.pdf")
			err := WriteFile(out, func(w io.Writer) error {
				return s.SignPerson(bytesDoc(c.data), w, PersonSignature{PersonBlock: PersonBlock{FullName: "Nguyễn Văn Nghĩa"}, Page: 1, Rect: leaderBlock})
			})
			if !errors.Is(err, c.want) {
				t.Errorf("sign: got %v, want %v", err, c.want)
			}
			assertNoFiles(t, filepath.Dir(out))
			checkVerifyRefuses(t, name, c.data, c.want, NewTrustStore(p.root.Cert))
			var stamped bytes.Buffer
			if err := AddIssueStamp(bytesDoc(c.data), &stamped, NumberAndDate("1/QĐ", issueNumberRect, "Hà Nội", time.Now(), issueDateRect)); !errors.Is(err, c.want) || stamped.Len() != 0 {
				t.Errorf("stamp: got %v and %d bytes, want %v and nothing", err, stamped.Len(), c.want)
			}
		})
	}
}

// checkVerifyRefuses expects Verify to refuse the input, except a broken
// cross-reference table: Verify reads that as viewers do (rebuilt by scanning)
// and says so in the report's warnings; signing still refuses it.
func checkVerifyRefuses(t *testing.T, name string, data []byte, want error, trust *TrustStore) {
	t.Helper()
	rep, err := Verify(bytesDoc(data), trust)
	if name != "broken xref" {
		if !errors.Is(err, want) {
			t.Errorf("verify: got %v, want %v", err, want)
		}
		return
	}
	if err != nil || len(rep.Warnings) == 0 || rep.Valid() {
		t.Errorf("verify of a broken xref: want a repaired, unsigned report, got %v %+v", err, rep)
	}
}

func assertNoFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("a failed run left files behind: %v", entries)
	}
}

func TestCertificateNotUsable(t *testing.T) {
	p := demoPKI(t)
	now := time.Now()
	cases := map[string]pki.Options{
		"expired":       {NotBefore: now.AddDate(-3, 0, 0), NotAfter: now.AddDate(-1, 0, 0)},
		"not yet valid": {NotBefore: now.AddDate(0, 1, 0), NotAfter: now.AddDate(2, 0, 0)},
	}
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			opts.Subject = pki.Subject{CommonName: "Lê Văn " + name}
			cred, err := p.root.IssuePerson(opts)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err = (&Signer{Identity: identityOf(t, cred)}).SignPerson(bytesDoc(makePDF(t, 1, 0)), &out, PersonSignature{PersonBlock: PersonBlock{FullName: "Lê Văn"}, Page: 1, Rect: leaderBlock})
			if !errors.Is(err, ErrCertificateNotUsable) || out.Len() != 0 {
				t.Errorf("got %v and %d bytes, want ErrCertificateNotUsable and nothing", err, out.Len())
			}
		})
	}
}

func TestPKCS12(t *testing.T) {
	p := demoPKI(t)
	path := filepath.Join(t.TempDir(), "agency.p12")
	if err := p.agency.WritePKCS12(path, "Mật-khẩu 2026"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPKCS12(path, "sai mật khẩu"); !errors.Is(err, ErrBadPassword) {
		t.Errorf("wrong password: got %v, want ErrBadPassword", err)
	}
	id, err := LoadPKCS12(path, "Mật-khẩu 2026")
	if err != nil {
		t.Fatal(err)
	}
	if id.Certificate.Subject.CommonName != "Ủy ban nhân dân huyện Phú Lương" || len(id.Chain) != 1 || !id.Chain[0].Equal(p.root.Cert) {
		t.Errorf("identity: %s, chain %d", id.Certificate.Subject.CommonName, len(id.Chain))
	}
	var out bytes.Buffer
	if err := (&Signer{Identity: id}).ApplyStamp(bytesDoc(makePDF(t, 1, 0)), &out, AttachmentStamp("UBND huyện Phú Lương", "12/QĐ-UBND")); err != nil {
		t.Fatal(err)
	}
	checkAll(t, p, out.Bytes(), 1)
}
