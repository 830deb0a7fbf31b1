package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"edms/internal/liaison/wire"
)

// refusalCase is a case made of packages the target must all refuse with code.
type refusalCase struct {
	code     string
	variants func(s *session) []variant
}

func (c refusalCase) run(s *session, ctx context.Context) Result {
	return refusals(c.code, c.variants(s), s.sendAsHub(ctx, ""))
}

var (
	notEdXML             = refusalCase{wire.CodeInvalid, (*session).notEdXMLVariants}
	doctype              = refusalCase{wire.CodeInvalid, (*session).doctypeVariants}
	attachmentErrors     = refusalCase{wire.CodeInvalid, (*session).attachmentVariants}
	unsignedCase         = refusalCase{wire.CodeUnsigned, (*session).unsignedVariants}
	tampered             = refusalCase{wire.CodeBadSignature, (*session).tamperedVariants}
	untrustedSigners     = refusalCase{wire.CodeUntrustedSigner, (*session).untrustedVariants}
	otherAgencySignature = refusalCase{wire.CodeSenderMismatch, (*session).otherAgencyVariants}
	wrapping             = refusalCase{wire.CodeBadSignature, (*session).wrappingVariants}
)

// testDocument is a new document from T1 to the test agency, unsigned.
func (s *session) testDocument(subject string) ([]byte, error) {
	return s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, subject).unsigned(time.Now())
}

// Group 6: malformed and oversized.

func (s *session) notEdXMLVariants() []variant {
	signed, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử XML hỏng").signed(s.kit.Agencies["t1"], time.Now())
	return []variant{
		{name: "thân rỗng", body: []byte{}},
		{name: "không phải XML", body: []byte("Đây không phải là một gói tin edXML.")},
		newVariant("XML hỏng", signed[:len(signed)/2], err),
		{name: "XML không phải edXML", body: []byte(`<?xml version="1.0" encoding="UTF-8"?><html><body>thử</body></html>`)},
	}
}

// missingFieldVariants drop each mandatory field from a package signed after.
func (s *session) missingFieldVariants() []variant {
	var out []variant
	for _, field := range mandatoryFields {
		unsigned, err := s.testDocument("Kiểm thử thiếu trường " + field.name)
		if err != nil {
			return []variant{newVariant(field.name, nil, err)}
		}
		body, err := signInvalid(field.drop(unsigned), s.kit.Agencies["t1"])
		out = append(out, newVariant(field.name, body, err))
	}
	return out
}

// missingFields checks each refusal names the field, by its last path element.
func (s *session) missingFields(ctx context.Context) Result {
	var wrong []string
	for _, v := range s.missingFieldVariants() {
		if v.err != nil {
			return fail("không dựng được gói %q: %v", v.name, v.err)
		}
		_, err := s.post(ctx, s.target, v.body, "", "")
		var refusal *wire.Refusal
		field := v.name[strings.LastIndex(v.name, "/")+1:]
		switch {
		case refusedWith(err, wire.CodeInvalid) != "":
			wrong = append(wrong, v.name+": "+refusedWith(err, wire.CodeInvalid))
		case errors.As(err, &refusal) && !strings.Contains(refusal.Message, field):
			wrong = append(wrong, fmt.Sprintf("%s: lời từ chối không nêu trường (%s)", v.name, refusal.Message))
		}
	}
	if len(wrong) > 0 {
		return fail("%s", strings.Join(wrong, "; "))
	}
	return pass("%d trường bắt buộc: đều bị từ chối với %s nêu tên trường", len(mandatoryFields), wire.CodeInvalid)
}

func (s *session) attachmentVariants() []variant {
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử tệp đính kèm hỏng")
	unsigned, err := doc.unsigned(time.Now())
	if err != nil {
		return []variant{newVariant("tệp đính kèm", nil, err)}
	}
	missing, err := signInvalid(withoutAttachment(unsigned), s.kit.Agencies["t1"])
	signed, signErr := sign(unsigned, s.kit.Agencies["t1"])
	return []variant{newVariant("manifest không có tệp", missing, err), newVariant("base64 hỏng", badBase64(signed), signErr)}
}

func (s *session) doctypeVariants() []variant {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử DOCTYPE").signed(s.kit.Agencies["t1"], time.Now())
	return []variant{newVariant("DOCTYPE với thực thể", withDoctype(body), err)}
}

// oversized declares a body far beyond any limit (and, with MaxPackage, sends one
// byte over it), then cuts an upload midway and checks nothing was kept.
func (s *session) oversized(ctx context.Context) Result {
	status, eb, err := s.declareHuge(ctx)
	if err != nil || status != http.StatusRequestEntityTooLarge {
		return fail("Content-Length 1 TiB: %d %s %v, cần 413 trước khi đọc thân", status, eb.Code, err)
	}
	detail := "Content-Length 1 TiB: 413"
	if s.cfg.MaxPackage > 0 {
		body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử vượt giới hạn").signed(s.kit.Agencies["t1"], time.Now())
		if err != nil {
			return fail("%v", err)
		}
		over := append(body, bytes.Repeat([]byte("\n"), int(max(0, s.cfg.MaxPackage+1-int64(len(body)))))...)
		if problem := refusedWith(s.sendAsHub(ctx, "")(over), wire.CodeTooLarge); problem != "" {
			return fail("vượt giới hạn một byte: %s", problem)
		}
		detail += "; vượt một byte: " + wire.CodeTooLarge
	}
	if problem := s.cutMidway(ctx); problem != "" {
		return fail("%s; tải lên bị cắt: %s", detail, problem)
	}
	return pass("%s; tải lên bị cắt: không lưu gì", detail)
}

// declareHuge announces a 1 TiB body and sends none of it.
func (s *session) declareHuge(ctx context.Context) (int, wire.ErrorBody, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	defer pw.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.cfg.Target, "/")+wire.PathPackages, pr)
	if err != nil {
		return 0, wire.ErrorBody{}, err
	}
	req.ContentLength = 1 << 40
	req.Header.Set(wire.HeaderVersion, wire.Version)
	req.Header.Set(wire.HeaderPackageID, "conformance-huge-"+s.make.run)
	resp, err := s.target.HTTP.Do(req)
	if err != nil {
		return 0, wire.ErrorBody{}, err
	}
	defer resp.Body.Close()
	var eb wire.ErrorBody
	decodeJSON(resp.Body, &eb)
	return resp.StatusCode, eb, nil
}

// cutMidway sends half a package and breaks the connection, then the whole
// package under the same id, which must be new to the target.
func (s *session) cutMidway(ctx context.Context) string {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử tải lên bị cắt").signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return err.Error()
	}
	packageID := wire.DefaultPackageID(body)
	pr, pw := io.Pipe()
	go func() {
		pw.Write(body[:len(body)/2])
		pw.CloseWithError(errors.New("conformance: upload cut midway"))
	}()
	_, err = s.target.Send(ctx, wire.Outgoing{Body: pr, Length: int64(len(body)), PackageID: packageID})
	if err == nil {
		return "nửa gói tin được nhận"
	}
	receipt, err := s.deliver(ctx, "6.5", body, packageID)
	if problem := accepted(receipt, err, body); problem != "" {
		return "gửi lại cả gói: " + problem
	}
	return ""
}

// Group 7: signatures.

func (s *session) unsignedVariants() []variant {
	unsigned, err := s.testDocument("Kiểm thử không ký")
	if err != nil {
		return []variant{newVariant("không ký", nil, err)}
	}
	withPlaceholder, err := placeholder(unsigned)
	return []variant{{name: "không có Signature", body: unsigned}, newVariant("Signature giữ chỗ", withPlaceholder, err)}
}

func (s *session) tamperedVariants() []variant {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử sửa sau khi ký").signed(s.kit.Agencies["t1"], time.Now())
	return []variant{
		newVariant("sửa trích yếu", changeSubject(body), err),
		newVariant("sửa một byte tệp đính kèm", changeAttachmentByte(body), err),
	}
}

func (s *session) untrustedVariants() []variant {
	var out []variant
	for name, signer := range map[string]string{"CA không tin cậy": "rogue-t1", "chứng thư hết hạn": "expired-t1", "chứng thư bị thu hồi": "revoked-t1"} {
		body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử người ký không tin cậy").signed(s.kit.Agencies[signer], time.Now())
		out = append(out, newVariant(name, body, err))
	}
	return out
}

func (s *session) otherAgencyVariants() []variant {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử chữ ký của cơ quan khác").signed(s.kit.Agencies["t2"], time.Now())
	return []variant{newVariant("ký bởi T2, From = T1", body, err)}
}

func (s *session) wrappingVariants() []variant {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử bọc chữ ký").signed(s.kit.Agencies["t1"], time.Now())
	return []variant{
		newVariant("Signature thứ hai", secondSignature(body), err),
		newVariant("Reference theo Id", referenceByID(body), err),
		newVariant("thêm MessageHeader không ký", extraMessageHeader(body), err),
		newVariant("MessageHeader đã ký bị dời đi", movedHeader(body), err),
	}
}
