package docs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"edms/internal/signing"
	"edms/internal/signing/pki"
)

// signingVerifier is the production wiring of SignatureVerifier: package signing's
// verifier with the node's trust anchors.
type signingVerifier struct{ trust *signing.TrustStore }

func (v signingVerifier) VerifyPDF(_ context.Context, pdf io.ReaderAt, size int64) (SignatureCheck, error) {
	rep, err := signing.Verify(signing.NewDocument(pdf, size), v.trust)
	switch {
	case err != nil:
		return SignatureCheck{}, err
	case len(rep.Signatures) == 0:
		return SignatureCheck{Status: SignatureUnsigned, Summary: "Văn bản không có chữ ký số."}, nil
	case !rep.Valid():
		problems := rep.Problems
		for _, s := range rep.Signatures {
			problems = append(problems, s.Problems...)
		}
		return SignatureCheck{Status: SignatureInvalid, Summary: strings.Join(problems, "; ")}, nil
	}
	return SignatureCheck{Status: SignatureValid, Summary: "Ký bởi " + rep.Signatures[0].Signer}, nil
}

// signedPDF returns a PDF signed by a person certified by root.
func signedPDF(t *testing.T, root *pki.Authority, text string) []byte {
	t.Helper()
	cred, err := root.IssuePerson(pki.Options{Subject: pki.Subject{CommonName: "Lê Văn Thành", Title: "Chủ tịch",
		Organization: "Ủy ban nhân dân tỉnh Thái Nguyên"}})
	must(t, err)
	id, err := signing.NewIdentity(cred.Key, cred.Cert, cred.Chain)
	must(t, err)
	in := minimalPDF(text)
	var out bytes.Buffer
	must(t, (&signing.Signer{Identity: id}).SignPerson(signing.NewDocument(bytes.NewReader(in), int64(len(in))), &out,
		signing.PersonSignature{PersonBlock: signing.PersonBlock{Position: "CHỦ TỊCH", FullName: "Lê Văn Thành"}, Page: 1,
			Rect: signing.Rect{LLX: 330, LLY: 420, URX: 540, URY: 540}}))
	return out.Bytes()
}

func TestReceivedSignaturesAreChecked(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	root, err := pki.NewRootCA("Test root CA")
	must(t, err)
	f.svc.Verifier = signingVerifier{trust: signing.NewTrustStore(root.Cert)}
	signed := signedPDF(t, root, "Cong van so 45")
	tampered := bytes.Clone(signed)
	i := bytes.Index(tampered, []byte("Cong van so 45"))
	tampered[i] = 'K' // inside the signed byte range
	cases := []struct {
		name    string
		content []byte
		want    SignatureStatus
	}{
		{"signed", signed, SignatureValid},
		{"altered after signing", tampered, SignatureInvalid},
		{"not signed", minimalPDF("Cong van so 46"), SignatureUnsigned},
	}
	var first int64
	for n, c := range cases {
		r := f.receive(t, "Công văn "+c.name, string(rune('1'+n)), func(in *ReceiveInput) {
			in.Main = FileInput{Name: "cv.pdf", MediaType: MediaPDF, Content: bytes.NewReader(c.content)}
		})
		d, err := f.svc.Get(ctx, f.in(f.clerk), r.DocumentID)
		must(t, err)
		if n == 0 {
			first = d.ID
		}
		if d.Signature.Status != c.want {
			t.Fatalf("%s: signature check %+v, want %s", c.name, d.Signature, c.want)
		}
		_, err = f.svc.Register(ctx, f.in(f.clerk), r.DocumentID, "")
		if c.want == SignatureInvalid {
			var e *Error
			if !errors.As(err, &e) || !strings.Contains(e.Message, "trả lại nơi gửi") {
				t.Fatalf("registering an altered document: %v", err)
			}
			must(t, f.svc.Reject(ctx, f.in(f.clerk), r.DocumentID, "Chữ ký số không hợp lệ"))
			continue
		}
		must(t, err)
	}
	if d, _ := f.svc.Get(ctx, f.in(f.clerk), first); !strings.Contains(d.Signature.Summary, "Lê Văn Thành") {
		t.Fatalf("summary of a valid signature %q", d.Signature.Summary)
	}
}
