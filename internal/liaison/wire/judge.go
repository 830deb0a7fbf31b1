package wire

import (
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net/http"

	"edms/internal/liaison"
)

// oidUID is the LDAP userId attribute (0.9.2342.19200300.100.1.1) in which an
// agency certificate carries the agency's OrganId (mã định danh).
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// SignerOrganID is the OrganId an agency certificate names in its subject's UID, or
// "" when it names none.
func SignerOrganID(cert *x509.Certificate) string {
	for _, attr := range cert.Subject.Names {
		if attr.Type.Equal(oidUID) {
			if s, ok := attr.Value.(string); ok {
				return s
			}
		}
	}
	return ""
}

// Judge turns the outcome of reading a package (liaison.Read with trust anchors and
// RequireSignature) into the protocol's refusal, or nil when the package may be
// accepted: signed by a certificate that chains to a trust anchor and that names
// the package's sender (From/OrganId) as its UID.
func Judge(pkg *liaison.Package, readErr error) *Refusal {
	if readErr != nil {
		return judgeReadError(pkg, readErr)
	}
	sig := pkg.Signature
	switch sig.State {
	case liaison.SignatureNone, liaison.SignaturePlaceholder:
		return refuse(CodeUnsigned, "Gói tin không có chữ ký số của cơ quan gửi.")
	case liaison.SignatureUntrusted:
		return refuse(CodeUntrustedSigner, "Không kiểm tra được chứng thư của người ký gói tin: "+problem(sig))
	case liaison.SignatureInvalid:
		return judgeSignatureProblem(sig.Problem)
	}
	from := Sender(pkg)
	if signer := SignerOrganID(sig.Chain[0]); signer != from {
		return refuse(CodeSenderMismatch, fmt.Sprintf("Gói tin gửi từ %s nhưng được ký bằng chứng thư của %q.", from, signer))
	}
	return nil
}

// Sender is the OrganId a package says it comes from.
func Sender(pkg *liaison.Package) string {
	if pkg.Kind == liaison.KindStatus && pkg.Status != nil {
		return pkg.Status.From.OrganID
	}
	if pkg.Header != nil {
		return pkg.Header.From.OrganID
	}
	return ""
}

func judgeReadError(pkg *liaison.Package, err error) *Refusal {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &Refusal{Status: http.StatusRequestEntityTooLarge, ErrorBody: ErrorBody{CodeTooLarge,
			fmt.Sprintf("Gói tin vượt quá giới hạn %d byte.", tooLarge.Limit)}}
	}
	var lerr *liaison.Error
	if errors.As(err, &lerr) && lerr.Rule == liaison.RuleSignature {
		if pkg != nil {
			switch pkg.Signature.State {
			case liaison.SignatureNone, liaison.SignaturePlaceholder:
				return refuse(CodeUnsigned, "Gói tin không có chữ ký số của cơ quan gửi.")
			case liaison.SignatureUntrusted:
				return refuse(CodeUntrustedSigner, "Không kiểm tra được chứng thư của người ký gói tin: "+problem(pkg.Signature))
			}
		}
		return judgeSignatureProblem(lerr.Err)
	}
	return refuse(CodeInvalid, "Gói edXML không hợp lệ: "+err.Error())
}

// judgeSignatureProblem tells a signer that no trust anchor vouches for (unknown
// authority, expired, revoked) from a signature that does not verify.
func judgeSignatureProblem(problem error) *Refusal {
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	if errors.As(problem, &unknown) || errors.As(problem, &invalid) {
		return refuse(CodeUntrustedSigner, "Chứng thư của người ký gói tin không được tin cậy: "+problem.Error())
	}
	return refuse(CodeBadSignature, "Chữ ký số của gói tin không hợp lệ: "+fmt.Sprint(problem))
}

func problem(sig liaison.SignatureInfo) string {
	if sig.Problem == nil {
		return "không rõ"
	}
	return sig.Problem.Error()
}

func refuse(code, message string) *Refusal {
	return &Refusal{Status: http.StatusBadRequest, ErrorBody: ErrorBody{Code: code, Message: message}}
}

// RevokedSigner is the refusal of a package whose signer's verified chain holds a
// revoked certificate (the subject's), which Judge cannot see: it checks no CRL or OCSP.
func RevokedSigner(subject string) *Refusal {
	return refuse(CodeUntrustedSigner, fmt.Sprintf("Chứng thư %q trong chuỗi chứng thư của người ký gói tin đã bị thu hồi.", subject))
}
