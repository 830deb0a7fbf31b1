package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// Group 1: directory and health.

func (s *session) directory(ctx context.Context) Result {
	health, err := s.target.Health(ctx)
	if err != nil || health.Status != "ok" || health.Version != wire.Version {
		return fail("health: %+v, %v", health, err)
	}
	entries, err := s.target.Directory(ctx)
	if err != nil {
		return fail("directory: %v", err)
	}
	var organs []string
	for _, e := range entries {
		organs = append(organs, e.OrganID)
	}
	switch {
	case !slices.Contains(organs, s.cfg.TestAgency):
		return fail("danh bạ không có cơ quan thử nghiệm %s: %v", s.cfg.TestAgency, organs)
	case health.Role == "node" && (slices.Contains(organs, OrganT1) || slices.Contains(organs, OrganT2)):
		return fail("một nút chỉ liệt kê cơ quan của mình, danh bạ có cả T1/T2: %v", organs)
	}
	return pass("%s %q, %d cơ quan trong danh bạ", health.Role, health.Name, len(entries))
}

// Group 2: sending.

func (s *session) sendNew(ctx context.Context) Result {
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử gửi văn bản mới")
	body, err := doc.signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	receipt, err := s.deliver(ctx, "2.1", body, "")
	if problem := accepted(receipt, err, body); problem != "" {
		return fail("%s", problem)
	}
	if receipt.DocumentID != doc.documentID() {
		return fail("biên nhận cho DocumentId %q, đã gửi %q", receipt.DocumentID, doc.documentID())
	}
	s.first, s.firstBody, s.firstReply = doc, body, receipt
	return pass("biên nhận %s, SHA-256 khớp", receipt.ReceiptID)
}

// sendBack asks the test agency to send to T1 and waits for its document.
func (s *session) sendBack(ctx context.Context) Result {
	reply, err := s.requestReply(ctx, "2.4")
	if err != nil {
		return fail("%v", err)
	}
	s.reply = reply
	return pass("nhận %s, chữ ký của %s hợp lệ", reply.DocumentID, s.cfg.TestAgency)
}

// requestReply sends a TEST-SEND-BACK document and waits for the test agency's
// reply to T1, which must be signed by the test agency.
func (s *session) requestReply(ctx context.Context, caseID string) (*liaison.MessageHeader, error) {
	doc, _, err := s.sendDocument(ctx, caseID, subjectSendBack+" đề nghị gửi văn bản trả lời")
	if err != nil {
		return nil, fmt.Errorf("gửi yêu cầu: %w", err)
	}
	replies, ok := await(ctx, s.cfg.Wait, func() ([]arrival, bool) {
		got := s.hub.matching(func(a arrival) bool { return isReplyTo(a, s.cfg.TestAgency, doc.documentID()) })
		return got, len(got) > 0
	})
	if !ok {
		return nil, fmt.Errorf("sau %s chưa nhận được văn bản trả lời từ %s gửi T1", s.cfg.Wait, s.cfg.TestAgency)
	}
	if r := replies[0].Refusal; r != nil {
		return nil, fmt.Errorf("văn bản trả lời không hợp lệ: %s %s", r.Code, r.Message)
	}
	return replies[0].Pkg.Header, nil
}

// isReplyTo tells a document package from the test agency to T1 that answers the
// document documentID: the autopilot names it in the reply's subject (replySubject).
func isReplyTo(a arrival, from, documentID string) bool {
	return a.Pkg != nil && a.Pkg.Kind == liaison.KindDocument && a.Pkg.Header.From.OrganID == from &&
		slices.ContainsFunc(a.Pkg.Header.To, func(o liaison.Organization) bool { return o.OrganID == OrganT1 }) &&
		a.Pkg.Header.Subject == replySubject(documentID)
}

func (s *session) lenientPackage(ctx context.Context) Result {
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử gói tin theo cách viết khác")
	unsigned, err := doc.unsigned(time.Now())
	if err != nil {
		return fail("%v", err)
	}
	body, err := sign(lenient(unsigned), s.kit.Agencies["t1"])
	if err != nil {
		return fail("%v", err)
	}
	receipt, err := s.deliver(ctx, "2.5", body, "")
	if problem := accepted(receipt, err, body); problem != "" {
		return fail("tiền tố khác, DocumentId cuối, ngày dd/MM/yyyy, phần tử lạ: %s", problem)
	}
	return pass("chấp nhận, biên nhận %s", receipt.ReceiptID)
}

func (s *session) protocolVersion(ctx context.Context) Result {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử phiên bản giao thức").signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	var wrong []string
	for _, version := range []string{"", "99"} {
		header := http.Header{"Content-Type": {"application/xml"}, wire.HeaderPackageID: {wire.DefaultPackageID(body)}}
		if version != "" {
			header.Set(wire.HeaderVersion, version)
		}
		status, eb, err := s.rawPost(ctx, body, header)
		if err != nil || status != http.StatusBadRequest || eb.Code != wire.CodeUnsupportedVersion {
			wrong = append(wrong, fmt.Sprintf("phiên bản %q: %d %s %v", version, status, eb.Code, err))
		}
	}
	if len(wrong) > 0 {
		return fail("%s", strings.Join(wrong, "; "))
	}
	return pass("thiếu và sai phiên bản đều bị từ chối với %s", wire.CodeUnsupportedVersion)
}

// Group 3: duplicates and resends.

func (s *session) needsFirst() (Result, bool) {
	if s.first == nil {
		return skip("cần 2.1 thành công"), false
	}
	return Result{}, true
}

func (s *session) resend(ctx context.Context) Result {
	if r, ok := s.needsFirst(); !ok {
		return r
	}
	again, err := s.post(ctx, s.target, s.firstBody, s.firstReply.PackageID, "")
	if problem := duplicateOf(s.firstReply, again, err); problem != "" {
		return fail("%s", problem)
	}
	return pass("trùng, biên nhận %s", again.ReceiptID)
}

func (s *session) resigned(ctx context.Context) Result {
	if r, ok := s.needsFirst(); !ok {
		return r
	}
	body, err := s.first.signed(s.kit.Agencies["t1"], s.firstReply.ReceivedAt.Add(time.Second))
	if err != nil {
		return fail("%v", err)
	}
	again, err := s.post(ctx, s.target, body, s.firstReply.PackageID, "")
	if problem := duplicateOf(s.firstReply, again, err); problem != "" {
		return fail("ký lại, cùng mã gói: %s", problem)
	}
	return pass("ký lại, cùng mã gói: trùng, biên nhận %s", again.ReceiptID)
}

func (s *session) changedAttachment(ctx context.Context) Result {
	if r, ok := s.needsFirst(); !ok {
		return r
	}
	changed := *s.first
	changed.note += " (bản sửa)"
	body, err := changed.signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	again, err := s.post(ctx, s.target, body, s.firstReply.PackageID, "")
	if problem := duplicateOf(s.firstReply, again, err); problem != "" {
		return fail("tệp đính kèm khác, cùng mã gói: %s", problem)
	}
	if again.SHA256 != s.firstReply.SHA256 {
		return fail("biên nhận mang SHA-256 của bản sau, không phải bản đầu được giữ")
	}
	return pass("trùng, bản đầu được giữ")
}

// newKeys sends packages whose duplicate key differs from a first one's in one part
// each. It uses a document of its own: the T2 copy's statuses answer the same
// DocumentId, and 2.1's document must keep only its own statuses (8.1).
func (s *session) newKeys(ctx context.Context) Result {
	base, first, err := s.sendDocument(ctx, "3.4", "Kiểm thử khóa trùng lặp")
	if err != nil || first.Duplicate {
		return fail("gói đầu: %+v, %v", first, err)
	}
	update := func(n int) *document {
		d := changeOf(base, liaison.BusinessUpdate)
		d.pkg.Business.Reason = fmt.Sprintf("Cập nhật lần %d", n)
		return d
	}
	cases := []struct {
		name   string
		doc    *document
		signer string
	}{
		{"cùng DocumentId từ T2", sameIDFrom(base, OrganT2), "t2"},
		{"cập nhật (Bussiness 2)", update(1), "t1"},
		{"cập nhật lần hai, mã gói mới", update(2), "t1"},
	}
	seen := map[string]string{first.ReceiptID: "gói đầu"}
	for _, c := range cases {
		body, err := c.doc.signed(s.kit.Agencies[c.signer], time.Now())
		if err != nil {
			return fail("%s: %v", c.name, err)
		}
		receipt, err := s.deliver(ctx, "3.4", body, "")
		if problem := accepted(receipt, err, body); problem != "" {
			return fail("%s: %s", c.name, problem)
		}
		if earlier, dup := seen[receipt.ReceiptID]; dup {
			return fail("%s: cùng mã biên nhận với %s", c.name, earlier)
		}
		seen[receipt.ReceiptID] = c.name
	}
	return pass("3 khóa mới, 3 biên nhận mới (nơi nhận khác: cần đích phục vụ hai cơ quan)")
}

// sameIDFrom is doc's package sent by another agency, DocumentId unchanged.
func sameIDFrom(doc *document, organ string) *document {
	other := *doc
	header := *doc.pkg.Header
	header.From = organization(organ)
	other.pkg.Header = &header
	return &other
}

func (s *session) parallelCopies(ctx context.Context) Result {
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử 20 bản gửi song song")
	body, err := doc.signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	const copies = 20
	receipts := make([]wire.Receipt, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	for i := range copies {
		wg.Go(func() { receipts[i], errs[i] = s.post(ctx, s.target, body, "", "") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fail("%v", err)
	}
	ids, fresh := map[string]bool{}, 0
	for _, r := range receipts {
		ids[r.ReceiptID] = true
		if !r.Duplicate {
			fresh++
		}
	}
	if len(ids) != 1 || fresh != 1 {
		return fail("%d mã biên nhận, %d bản không báo trùng; cần 1 và 1", len(ids), fresh)
	}
	if err := s.journal.Record(JournalEntry{Run: s.make.run, Case: "3.5", From: OrganT1, DocumentID: doc.documentID(), PackageID: receipts[0].PackageID, ReceiptID: receipts[0].ReceiptID, SHA256: receipts[0].SHA256, SentAt: time.Now()}, body); err != nil {
		return fail("%v", err)
	}
	return pass("một biên nhận %s cho %d bản", receipts[0].ReceiptID, copies)
}

func (s *session) earlierRun(ctx context.Context) Result {
	old, ok := s.journal.OldestBefore(time.Now().AddDate(0, 0, -1))
	if !ok {
		return skip("nhật ký chưa có gói tin của lần chạy cách đây ít nhất một ngày")
	}
	body, err := s.journal.Body(old)
	if err != nil {
		return fail("%v", err)
	}
	again, err := s.post(ctx, s.target, body, old.PackageID, old.Recipient)
	if problem := duplicateOf(wire.Receipt{ReceiptID: old.ReceiptID}, again, err); problem != "" {
		return fail("gói %s gửi lúc %s: %s", old.PackageID, old.SentAt.Format(time.DateTime), problem)
	}
	return pass("gói gửi lúc %s vẫn là trùng, biên nhận %s", old.SentAt.Format(time.DateTime), again.ReceiptID)
}

// Group 4: addressing errors.

func (s *session) unknownRecipient(ctx context.Context) Result {
	body, err := s.make.newDocument(OrganT1, []string{OrganNowhere}, "Kiểm thử nơi nhận không tồn tại").signed(s.kit.Agencies["t1"], time.Now())
	return refusals(wire.CodeWrongRecipient, []variant{newVariant("gửi "+OrganNowhere, body, err)}, s.sendAsHub(ctx, ""))
}

func (s *session) transportRecipient(ctx context.Context) Result {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử nơi nhận vận chuyển").signed(s.kit.Agencies["t1"], time.Now())
	return refusals(wire.CodeWrongRecipient, []variant{newVariant("Edms-Recipient "+OrganT2, body, err)}, s.sendAsHub(ctx, OrganT2))
}

func (s *session) recipientTwice(ctx context.Context) Result {
	unsigned, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử nơi nhận lặp").unsigned(time.Now())
	if err != nil {
		return fail("%v", err)
	}
	body, err := signInvalid(duplicateTo(unsigned), s.kit.Agencies["t1"])
	return refusals(wire.CodeInvalid, []variant{newVariant("To lặp", body, err)}, s.sendAsHub(ctx, ""))
}

// sendAsHub posts variants as the target's hub.
func (s *session) sendAsHub(ctx context.Context, recipient string) func([]byte) error {
	return func(body []byte) error {
		_, err := s.post(ctx, s.target, body, "", recipient)
		return err
	}
}

// Group 5: sender binding and authentication.

func (s *session) noClientCertificate(ctx context.Context) Result {
	return s.refusedAtTransport(ctx, map[string]*wire.Client{"không có chứng thư": s.clientAs("")})
}

func (s *session) badClientCertificates(ctx context.Context) Result {
	return s.refusedAtTransport(ctx, map[string]*wire.Client{
		"CA không tin cậy": s.clientAs("rogue-tls"),
		"hết hạn":          s.clientAs("expired-tls"),
		"bị thu hồi":       s.clientAs("revoked-tls"),
	})
}

// refusedAtTransport checks that each client is refused: by the TLS handshake, or
// with 401.
func (s *session) refusedAtTransport(ctx context.Context, clients map[string]*wire.Client) Result {
	body, err := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử xác thực").signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	var wrong, how []string
	for _, name := range slices.Sorted(maps.Keys(clients)) {
		_, err := s.post(ctx, clients[name], body, "", "")
		var refusal *wire.Refusal
		var temporary *wire.Temporary
		switch {
		case errors.As(err, &refusal) && refusal.Status == http.StatusUnauthorized:
			how = append(how, name+": 401")
		case errors.As(err, &temporary):
			how = append(how, name+": bắt tay TLS bị từ chối")
		case err == nil:
			wrong = append(wrong, name+": được chấp nhận")
		default:
			wrong = append(wrong, name+": "+err.Error())
		}
	}
	if len(wrong) > 0 {
		return fail("%s", strings.Join(wrong, "; "))
	}
	return pass("%s", strings.Join(how, "; "))
}

func (s *session) memberSenderMismatch(ctx context.Context) Result {
	body, err := s.make.newDocument(OrganT2, []string{s.cfg.TestAgency}, "Kiểm thử ràng buộc nơi gửi").signed(s.kit.Agencies["t2"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	_, err = s.post(ctx, s.member, body, "", "")
	var refusal *wire.Refusal
	if errors.As(err, &refusal) && refusal.Status == http.StatusUnauthorized {
		return fail("chứng thư thành viên chưa được đăng ký (edms exchange peer add -name conformance-t1 -role node ...)")
	}
	if problem := refusedWith(err, wire.CodeSenderMismatch); problem != "" {
		return fail("nút phục vụ T1 gửi From = T2: %s", problem)
	}
	if refusal.Status != http.StatusForbidden {
		return fail("từ chối đúng mã nhưng với %d, cần 403", refusal.Status)
	}
	return pass("403 %s", wire.CodeSenderMismatch)
}

func decodeJSON(r io.Reader, into any) {
	json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(into)
}

// Group 10: large attachments.

// largeAttachment is the size of 10.1's attachment.
const largeAttachment = 50 << 20

// largePackages sends a 50 MB attachment and, when the target's limit is known, a
// package just under it; each must be accepted with the SHA-256 of what was sent.
// They stream from files and are not kept in the journal.
func (s *session) largePackages(ctx context.Context) Result {
	sizes := map[string]int64{"50 MB": largeAttachment}
	if s.cfg.MaxPackage > 0 {
		// base64 (4/3, lines of 76) plus a header well under 1 MiB
		sizes["sát giới hạn"] = (s.cfg.MaxPackage - 1<<20) * 3 / 4 * 76 / 77
	}
	var done []string
	for _, name := range slices.Sorted(maps.Keys(sizes)) {
		if problem := s.sendLarge(ctx, sizes[name]); problem != "" {
			return fail("%s: %s", name, problem)
		}
		done = append(done, name)
	}
	return pass("%s: chấp nhận, SHA-256 trong biên nhận khớp", strings.Join(done, ", "))
}

func (s *session) sendLarge(ctx context.Context, pdfSize int64) string {
	dir, err := os.MkdirTemp("", "edms-conformance-")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir)
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Kiểm thử tệp đính kèm lớn")
	path, sum, length, err := doc.signedFile(dir, s.kit.Agencies["t1"], time.Now(), pdfSize)
	if err != nil {
		return err.Error()
	}
	body, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer body.Close()
	receipt, err := s.target.Send(ctx, wire.Outgoing{Body: body, Length: length, PackageID: sum})
	switch {
	case err != nil:
		return "bị từ chối: " + err.Error()
	case receipt.Duplicate:
		return "biên nhận báo trùng cho một gói mới"
	case receipt.SHA256 != sum:
		return fmt.Sprintf("SHA-256 trong biên nhận %s khác của gói %s", receipt.SHA256, sum)
	}
	return ""
}
