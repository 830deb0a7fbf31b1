package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/docmap"
	"edms/internal/liaison/exchange"
	"edms/internal/org"
)

// edxmlReceipt is what importing a package produced.
type edxmlReceipt struct {
	docs.Receipt
	Signature string   // the package signature's state, in Vietnamese
	Warnings  []string // lenient readings and suspicious fields
}

// receiveEdxml reads an edXML document package addressed to the principal's agency,
// with its attachments decoded to a temporary folder as they stream in, and records
// it as a received document. A package that is invalid, has a broken signature, or is
// meant for another agency is refused and nothing is kept.
func (s *Server) receiveEdxml(r *http.Request, body io.Reader) (*edxmlReceipt, error) {
	ctx := r.Context()
	dir, err := os.MkdirTemp("", "edms-edxml-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	sink := liaison.NewDirSink(dir)
	opts := liaison.Options{Sink: sink}
	if s.cfg.Trust != nil {
		opts.Roots = s.cfg.Trust.Pool()
	}
	pkg, err := liaison.Read(body, opts)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, bodyTooLarge(tooLarge.Limit)
	}
	if err != nil {
		return nil, badRequest("edxml_invalid", "Gói edXML không hợp lệ: "+err.Error())
	}
	if pkg.Kind != liaison.KindDocument {
		return nil, badRequest("edxml_not_document", "Đây là gói trạng thái, không phải gói văn bản.")
	}
	agency, err := org.AgencyByID(ctx, s.pool, principalOf(r).AgencyID)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(pkg.Header.To, func(o liaison.Organization) bool { return o.OrganID == agency.OrganID }) {
		return nil, badRequest("edxml_wrong_recipient", "Gói văn bản không gửi cho "+agency.Name+" ("+agency.OrganID+"); hãy trả lại nơi gửi.")
	}
	paths, err := sink.Commit(pkg.Attachments)
	if err != nil {
		return nil, err
	}
	var opened []io.Closer
	defer func() {
		for _, c := range opened {
			c.Close()
		}
	}()
	in, issues, err := docmap.ToReceiveInput(pkg, func(a liaison.Attachment) (io.Reader, error) {
		i := slices.IndexFunc(pkg.Attachments, func(b liaison.Attachment) bool { return b.Index == a.Index })
		f, err := os.Open(paths[i])
		if err == nil {
			opened = append(opened, f)
		}
		return f, err
	})
	if err != nil {
		return nil, badRequest("edxml_unmapped", "Không chuyển được gói thành văn bản đến: "+err.Error())
	}
	receipt, err := s.docs.Receive(ctx, s.actorOf(r), in)
	if err != nil {
		return nil, docsError(err)
	}
	out := &edxmlReceipt{Receipt: receipt, Signature: signatureStateLabels[pkg.Signature.State]}
	if pkg.Signature.Weak {
		out.Signature += " nhưng dùng thuật toán SHA-1 đã lỗi thời"
	}
	for _, w := range append(pkg.Warnings, issues...) {
		out.Warnings = append(out.Warnings, w.String())
	}
	return out, nil
}

var signatureStateLabels = map[liaison.SignatureState]string{
	liaison.SignatureNone:        "gói không có chữ ký số",
	liaison.SignaturePlaceholder: "gói không có chữ ký số (chữ ký giả lập của thư viện mẫu)",
	liaison.SignatureUntrusted:   "chữ ký nguyên vẹn nhưng chưa kiểm tra được người ký (chưa cấu hình chứng thư gốc)",
	liaison.SignatureVerified:    "chữ ký số hợp lệ, tin cậy",
	liaison.SignatureInvalid:     "chữ ký số không hợp lệ",
}

func (s *Server) apiReceiveEdxml(w http.ResponseWriter, r *http.Request) error {
	receipt, err := s.receiveEdxml(r, r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": receipt.DocumentID, "duplicates": receipt.Duplicates,
		"signature": receipt.Signature, "warnings": receipt.Warnings})
	return nil
}

func (s *Server) pageReceiveEdxml(w http.ResponseWriter, r *http.Request) error {
	f, _, err := r.FormFile("package")
	if err != nil {
		return s.afterForm(w, r, badRequest("file_missing", "Chưa chọn tệp gói edXML."), "/documents/receive", "", "")
	}
	defer f.Close()
	receipt, err := s.receiveEdxml(r, f)
	if err != nil {
		return s.afterForm(w, r, err, "/documents/receive", "", "")
	}
	message := "Đã tiếp nhận gói edXML; " + receipt.Signature + "."
	if n := len(receipt.Warnings); n > 0 {
		message += fmt.Sprintf(" Gói có %d điểm lệch chuẩn đã được chấp nhận (tệp nén đã giải nén, kiểu tệp sai nhãn...).", n)
	}
	for _, d := range receipt.Duplicates {
		message += " Cảnh báo trùng: " + d.Reason
	}
	return s.afterForm(w, r, nil, "", message, fmt.Sprintf("/documents/%d", receipt.DocumentID))
}

// exportEdxml writes an issued outgoing document as an edXML package with its current
// files, signed with the agency's key when the node has one (the exchange's packer,
// so that a downloaded package is the one the exchange sends).
func (s *Server) exportEdxml(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	rec, err := s.docs.Get(ctx, s.actorOf(r), documentID(r))
	if err != nil {
		return docsError(err)
	}
	recipients, err := docs.Recipients(ctx, s.pool, rec.ID)
	if err != nil {
		return err
	}
	for _, rc := range recipients {
		rec.Recipients = append(rec.Recipients, rc.Recipient)
	}
	packer := exchange.Packer{DB: s.pool, Keys: s.cfg.AgencyKeys}
	out, err := packer.Document(ctx, rec, nil, time.Now())
	if errors.Is(err, exchange.ErrNotExportable) {
		return badRequest("edxml_not_exportable", "Chỉ xuất được gói edXML cho văn bản đi đã cấp số, có tệp, không mật.")
	}
	if err != nil {
		return err
	}
	defer out.Close()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"%s.edxml\"", safeFileName(rec.NumberSymbol())))
	_, err = io.Copy(w, out)
	return err
}

// safeFileName keeps letters, digits and dashes of a number/symbol for a file name.
func safeFileName(s string) string {
	b := []rune{}
	for _, r := range s {
		switch {
		case r == '/':
			b = append(b, '_')
		case r == '-' || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z'):
			b = append(b, r)
		}
	}
	if len(b) == 0 {
		return "van-ban"
	}
	return filepath.Base(string(b))
}
