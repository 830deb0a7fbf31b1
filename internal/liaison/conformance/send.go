package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// post sends a package as is; packageID "" uses the protocol's default.
func (s *session) post(ctx context.Context, client *wire.Client, body []byte, packageID, recipient string) (wire.Receipt, error) {
	if packageID == "" {
		packageID = wire.DefaultPackageID(body)
	}
	return client.Send(ctx, wire.Outgoing{Body: bytes.NewReader(body), Length: int64(len(body)), PackageID: packageID, Recipient: recipient})
}

// deliver sends a package the target should accept and keeps it in the journal.
func (s *session) deliver(ctx context.Context, caseID string, body []byte, packageID string) (wire.Receipt, error) {
	receipt, err := s.post(ctx, s.target, body, packageID, "")
	if err != nil {
		return receipt, err
	}
	pkg, _ := liaison.Read(bytes.NewReader(body), liaison.Options{})
	entry := JournalEntry{Run: s.make.run, Case: caseID, PackageID: receipt.PackageID, ReceiptID: receipt.ReceiptID, SHA256: receipt.SHA256, SentAt: time.Now(), DocumentID: receipt.DocumentID}
	if pkg != nil {
		entry.From = wire.Sender(pkg)
		if pkg.Business != nil {
			entry.Business = int(pkg.Business.DocType)
		}
	}
	return receipt, s.journal.Record(entry, body)
}

// sendDocument signs a new document from T1 to the test agency and delivers it.
func (s *session) sendDocument(ctx context.Context, caseID, subject string) (*document, wire.Receipt, error) {
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, subject)
	body, err := doc.signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return nil, wire.Receipt{}, err
	}
	receipt, err := s.deliver(ctx, caseID, body, "")
	return doc, receipt, err
}

// sendStatus signs a status of T1 about a document and posts it.
func (s *session) sendStatus(ctx context.Context, about liaison.ResponseFor, code, note string, at time.Time) ([]byte, wire.Receipt, error) {
	return s.sendStatusTo(ctx, "", about, code, note, at)
}

// sendStatusTo is sendStatus with the transport recipient (Edms-Recipient) a hub
// names when it delivers a recall to the node of an agency it sent the document to.
func (s *session) sendStatusTo(ctx context.Context, recipient string, about liaison.ResponseFor, code, note string, at time.Time) ([]byte, wire.Receipt, error) {
	unsigned, err := status(OrganT1, about, code, note, at)
	if err != nil {
		return nil, wire.Receipt{}, err
	}
	body, err := sign(unsigned, s.kit.Agencies["t1"])
	if err != nil {
		return nil, wire.Receipt{}, err
	}
	receipt, err := s.post(ctx, s.target, body, "", recipient)
	return body, receipt, err
}

// refusedWith checks that err is the protocol refusal code; it returns "" when so,
// or what happened instead.
func refusedWith(err error, code string) string {
	var refusal *wire.Refusal
	switch {
	case err == nil:
		return "được chấp nhận, lẽ ra phải bị từ chối với " + code
	case !errors.As(err, &refusal):
		return "lỗi thay vì từ chối " + code + ": " + err.Error()
	case refusal.Code != code:
		return fmt.Sprintf("bị từ chối với %s (%d), cần %s: %s", refusal.Code, refusal.Status, code, refusal.Message)
	}
	return ""
}

// refusals runs named variants that must all be refused with code.
func refusals(code string, variants []variant, send func([]byte) error) Result {
	var wrong []string
	for _, v := range variants {
		if v.err != nil {
			return fail("không dựng được gói %q: %v", v.name, v.err)
		}
		if problem := refusedWith(send(v.body), code); problem != "" {
			wrong = append(wrong, v.name+": "+problem)
		}
	}
	if len(wrong) > 0 {
		return fail("%s", strings.Join(wrong, "; "))
	}
	return pass("%d gói đều bị từ chối với %s", len(variants), code)
}

// variant is one malformed or wrongly signed package of a case.
type variant struct {
	name string
	body []byte
	err  error
}

func newVariant(name string, body []byte, err error) variant { return variant{name, body, err} }

// accepted checks a receipt of a package sent for the first time.
func accepted(receipt wire.Receipt, err error, body []byte) string {
	switch {
	case err != nil:
		return "bị từ chối: " + err.Error()
	case receipt.ReceiptID == "":
		return "biên nhận không có mã"
	case receipt.Duplicate:
		return "biên nhận báo trùng cho một gói mới"
	case receipt.SHA256 != wire.DefaultPackageID(body):
		return fmt.Sprintf("SHA-256 trong biên nhận %s khác của gói đã gửi", receipt.SHA256)
	}
	return ""
}

// duplicateOf checks that a resend got the first receipt back.
func duplicateOf(first wire.Receipt, again wire.Receipt, err error) string {
	switch {
	case err != nil:
		return "gửi lại bị từ chối: " + err.Error()
	case !again.Duplicate:
		return "biên nhận không báo trùng (duplicate: false)"
	case again.ReceiptID != first.ReceiptID:
		return fmt.Sprintf("mã biên nhận %s khác mã đầu tiên %s", again.ReceiptID, first.ReceiptID)
	}
	return ""
}

// rawPost posts a body with the given headers, bypassing wire.Client, and returns
// the status and decoded error body.
func (s *session) rawPost(ctx context.Context, body []byte, header http.Header) (int, wire.ErrorBody, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.Target, "/")+wire.PathPackages, bytes.NewReader(body))
	if err != nil {
		return 0, wire.ErrorBody{}, err
	}
	req.Header = header
	resp, err := s.target.HTTP.Do(req)
	if err != nil {
		return 0, wire.ErrorBody{}, err
	}
	defer resp.Body.Close()
	var eb wire.ErrorBody
	decodeJSON(resp.Body, &eb)
	return resp.StatusCode, eb, nil
}
