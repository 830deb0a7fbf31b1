// Package docsign applies the digital signatures of the outgoing document lifecycle
// with package signing: it implements docs.SigningHook. The competent person signs
// with their own key, the system stamps the number and date of issue, and the clerk
// applies the agency's signature with the agency's key, each placed where the form of
// Nghị định 30 (Phụ lục I) puts it.
//
// Keys come from a Keyring, a folder with one PKCS#12 file (or PKCS#11 token URI) per
// person and per agency. In production those are the certificates the national CAs
// issue, on tokens; the demo creates its own under its data folder.
package docsign

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"edms/internal/docs"
	"edms/internal/signing"
)

// Keyring finds signing identities in a folder:
//
//	<dir>/persons/<username>.p12      a person's key and certificate (or .pkcs11: a token URI)
//	<dir>/agencies/<organ_id>.p12     an agency's key and certificate (or .pkcs11)
//	<dir>/trust/*.pem                 trust anchors for verifying what arrives
//
// PKCS#12 files are protected by Password (never logged). Revocation is how the
// node checks the revocation status of the signatures it verifies.
type Keyring struct {
	Dir        string
	Password   string
	Revocation signing.RevocationMode
}

// ErrNoKey is returned when a person or agency has no signing key in the keyring.
var ErrNoKey = errors.New("docsign: no signing key")

// Person opens the identity of a user.
func (k Keyring) Person(username string) (*signing.Identity, error) {
	return k.open("persons", username)
}

// Agency opens the identity of an agency.
func (k Keyring) Agency(organID string) (*signing.Identity, error) {
	return k.open("agencies", organID)
}

// PersonPath is where a person's PKCS#12 file belongs.
func (k Keyring) PersonPath(username string) string {
	return filepath.Join(k.Dir, "persons", username+".p12")
}

// AgencyPath is where an agency's PKCS#12 file belongs.
func (k Keyring) AgencyPath(organID string) string {
	return filepath.Join(k.Dir, "agencies", organID+".p12")
}

// TrustDir is the folder of trust anchors.
func (k Keyring) TrustDir() string { return filepath.Join(k.Dir, "trust") }

// TrustStore loads the trust anchors with the keyring's revocation policy. The
// node gives this one store to the document page, the API and the check of
// received documents, so they all reach the same verdict.
func (k Keyring) TrustStore() (*signing.TrustStore, error) {
	trust, err := signing.LoadTrustStore(k.TrustDir())
	if err != nil {
		return nil, err
	}
	trust.Revocation = signing.NewRevocationChecker(k.Revocation)
	return trust, nil
}

// validKeyName refuses names that would leave the keyring's folders.
func validKeyName(name string) bool {
	return name != "" && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
}

func (k Keyring) open(kind, name string) (*signing.Identity, error) {
	if !validKeyName(name) {
		return nil, fmt.Errorf("docsign: bad key name %q", name)
	}
	base := filepath.Join(k.Dir, kind, name)
	if uri, err := os.ReadFile(base + ".pkcs11"); err == nil {
		cfg, err := signing.ParseTokenURI(strings.TrimSpace(string(uri)))
		if err != nil {
			return nil, err
		}
		return signing.OpenToken(cfg)
	}
	if _, err := os.Stat(base + ".p12"); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w for %s (expected %s.p12 or %s.pkcs11)", ErrNoKey, name, base, base)
	}
	return signing.LoadPKCS12(base+".p12", k.Password)
}

// Layout is where the appearances go on an A4 page, in points from the bottom left.
type Layout struct {
	Number    signing.Rect // "Số: 05/QĐ-UBND", page 1, under the agency's name
	Date      signing.Rect // "Phú Lương, ngày ... tháng ... năm ...", page 1, top right
	Signature signing.Rect // the signer's block, last page, right column
}

// FormLayout is the layout of the administrative document form of Phụ lục I, the
// one docs.ComposePDF lays drafts out on: number and date on the line under the
// header, the signer's block in the right half of the last page.
var FormLayout = Layout{Number: rectOf(docs.NumberArea), Date: rectOf(docs.DateArea), Signature: rectOf(docs.SignatureArea)}

// rectOf converts a form area into points from the bottom left, as PDF counts.
func rectOf(a docs.FormArea) signing.Rect {
	r, _ := areaOr(a.PDFArea(), signing.Rect{})
	return r
}

// Hook signs documents for the docs service. It reads no database: the service
// calls it outside its transactions with everything it needs.
type Hook struct {
	Keys   Keyring
	Layout Layout
	// Trust returns the node's current trust anchors (internal/trust replaces them at
	// run time), against which personal certificates and signatures are checked.
	Trust func() *signing.TrustStore
}

var _ docs.SigningHook = (*Hook)(nil)

// SignAsLeader applies the competent person's visible signature.
func (h *Hook) SignAsLeader(ctx context.Context, in io.Reader, out io.Writer, s docs.LeaderSignature) error {
	id, err := h.Keys.Person(s.Username)
	if err != nil {
		return keyError(err, "người ký "+s.Signer.FullName)
	}
	defer id.Close()
	sig, err := h.personSignature(s)
	if err != nil {
		return err
	}
	return transform(in, out, func(doc signing.Document, w io.Writer) error {
		signer := &signing.Signer{Identity: id, Clock: func() time.Time { return s.At }}
		return signer.SignPerson(doc, w, sig)
	})
}

// personSignature is the competent person's signature as it appears on the page:
// their block, with their signature image, where they placed it.
func (h *Hook) personSignature(s docs.LeaderSignature) (signing.PersonSignature, error) {
	image, err := h.Keys.SignatureImage(s.Username)
	if err != nil {
		return signing.PersonSignature{}, err
	}
	block := signing.PersonBlock{Position: positionLines(s.Signer), FullName: s.Signer.FullName, Signature: image, Printed: s.Printed}
	return signatureAt(block, s.Area, h.Layout.Signature), nil
}

// signatureAt places the signer's block where the signer placed it, or at the form's
// area on the last page.
func signatureAt(block signing.PersonBlock, placed *docs.Area, form signing.Rect) signing.PersonSignature {
	rect, _ := areaOr(placed, form)
	sig := signing.PersonSignature{PersonBlock: block, Rect: rect}
	if placed != nil {
		sig.Page = placed.Page
	}
	return sig
}

// positionLines is the authority line (if any) above the position, in capitals, as
// printed in the signature block: "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH".
func positionLines(s docs.SignerInfo) string {
	position := strings.ToUpper(strings.TrimSpace(s.Position))
	if c := strings.TrimSpace(s.Competence); c != "" {
		return strings.ToUpper(c) + "\n" + position
	}
	return position
}

// StampNumber writes the number and date of issue over the placeholders of the
// document's text, or into the areas the form reserves.
func (h *Hook) StampNumber(_ context.Context, in io.Reader, out io.Writer, n docs.NumberStamp) error {
	numberRect, numberSize := areaOr(n.Placement.Number, h.Layout.Number)
	dateRect, dateSize := areaOr(n.Placement.Date, h.Layout.Date)
	stamp := signing.NumberAndDate(n.CodeNumber+"/"+n.CodeNotation, numberRect, n.Place, n.IssuedDate, dateRect)
	stamp.Boxes[0].SizePt, stamp.Boxes[1].SizePt = numberSize, dateSize
	return transform(in, out, func(doc signing.Document, w io.Writer) error {
		return signing.AddIssueStamp(doc, w, stamp)
	})
}

// areaOr is the rectangle and text size of a placed area, or the form's rectangle at
// the default size.
func areaOr(a *docs.Area, form signing.Rect) (signing.Rect, float64) {
	if a == nil {
		return form, 0
	}
	return signing.Rect{LLX: a.LLX, LLY: a.LLY, URX: a.URX, URY: a.URY}, a.SizePt
}

// SealAsAgency applies the agency's signature with the seal image.
func (h *Hook) SealAsAgency(ctx context.Context, in io.Reader, out io.Writer, s docs.AgencySeal) error {
	id, err := h.Keys.Agency(s.OrganID)
	if err != nil {
		return keyError(err, "cơ quan "+s.AgencyName)
	}
	defer id.Close()
	image, err := h.Keys.SealImage(s.OrganID)
	if err != nil {
		return err
	}
	return transform(in, out, func(doc signing.Document, w io.Writer) error {
		signer := &signing.Signer{Identity: id, Clock: func() time.Time { return s.At }}
		return signer.ApplySeal(doc, w, signing.Seal{AgencyName: s.AgencyName, Image: image})
	})
}

// transform reads the whole PDF (signing needs random access), applies fn, and
// writes the result only when fn succeeds.
func transform(in io.Reader, out io.Writer, fn func(signing.Document, io.Writer) error) error {
	doc, err := readPDF(in)
	if err != nil {
		return err
	}
	var dst bytes.Buffer
	if err := fn(doc, &dst); err != nil {
		return signingError(err)
	}
	_, err = dst.WriteTo(out)
	return err
}

// readPDF reads the whole PDF into memory.
func readPDF(in io.Reader) (signing.Document, error) {
	src, err := io.ReadAll(in)
	if err != nil {
		return signing.Document{}, fmt.Errorf("docsign: unable to read the PDF: %w", err)
	}
	return signing.NewDocument(bytes.NewReader(src), int64(len(src))), nil
}

// keyError words a missing or unusable key for the person who pressed the button.
func keyError(err error, whose string) error {
	switch {
	case errors.Is(err, ErrNoKey):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chưa có chứng thư số của " + whose + "; liên hệ quản trị để cài đặt.", Detail: err.Error()}
	case errors.Is(err, signing.ErrBadPassword), errors.Is(err, signing.ErrTokenNotFound):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Không mở được khóa ký số của " + whose + "; liên hệ quản trị.", Detail: err.Error()}
	}
	return err
}

// signingError words a refusal of the signing package.
func signingError(err error) error {
	switch {
	case errors.Is(err, signing.ErrCertificateNotUsable):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chứng thư số không dùng để ký được (hết hạn, chưa có hiệu lực hoặc sai mục đích).", Detail: err.Error()}
	case errors.Is(err, signing.ErrNotPDF), errors.Is(err, signing.ErrEncrypted):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Tệp văn bản không phải PDF đọc được (hoặc đã bị mã hóa); không ký được.", Detail: err.Error()}
	case errors.Is(err, signing.ErrSignatureMismatch):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chữ ký trả về không khớp với văn bản đã chuẩn bị; văn bản không thay đổi.", Detail: err.Error()}
	case errors.Is(err, signing.ErrCertificateRevoked):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chứng thư số đã bị thu hồi.", Detail: err.Error()}
	case errors.Is(err, signing.ErrCertificateUntrusted):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Chứng thư số không do tổ chức chứng thực được tin cậy cấp.", Detail: err.Error()}
	case errors.Is(err, signing.ErrUnsafeInput):
		return &docs.Error{Kind: docs.ErrInvalid, Message: "Tệp PDF này không ký an toàn được; hãy xuất lại tệp PDF rồi trình ký.", Detail: err.Error()}
	}
	return err
}
