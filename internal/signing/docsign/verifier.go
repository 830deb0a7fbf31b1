package docsign

import (
	"context"
	"io"
	"strings"

	"edms/internal/docs"
	"edms/internal/signing"
)

// Verifier checks the signatures of received documents for the docs service
// (docs.SignatureVerifier) against the node's trust anchors.
type Verifier struct {
	Trust *signing.TrustStore
}

var _ docs.SignatureVerifier = Verifier{}

// VerifyPDF reports valid only when every signature is valid and trusted, naming the
// signers; otherwise it lists what is wrong, for the clerk deciding to return it.
func (v Verifier) VerifyPDF(_ context.Context, pdf io.ReaderAt, size int64) (docs.SignatureCheck, error) {
	rep, err := signing.Verify(signing.NewDocument(pdf, size), v.Trust)
	switch {
	case err != nil:
		return docs.SignatureCheck{}, err
	case len(rep.Signatures) == 0:
		return docs.SignatureCheck{Status: docs.SignatureUnsigned, Summary: "Văn bản không có chữ ký số."}, nil
	case !rep.Valid():
		problems := rep.Problems
		for _, s := range rep.Signatures {
			problems = append(problems, s.Problems...)
			if s.ModifiedAfterSigning {
				problems = append(problems, "văn bản đã bị sửa sau khi "+s.Signer+" ký")
			}
		}
		return docs.SignatureCheck{Status: docs.SignatureInvalid, Summary: strings.Join(problems, "; ")}, nil
	}
	signers := make([]string, len(rep.Signatures))
	for i, s := range rep.Signatures {
		signers[i] = s.Signer
	}
	return docs.SignatureCheck{Status: docs.SignatureValid, Summary: "Ký bởi " + strings.Join(signers, ", ")}, nil
}
