package conformance

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// rank orders the handling statuses; others rank 0.
var rank = map[string]int{"01": 1, "03": 3, "04": 4, "05": 5, "06": 6}

// Group 8: statuses.

func (s *session) arrivedAndRegistered(ctx context.Context) Result {
	if r, ok := s.needsFirst(); !ok {
		return r
	}
	got, ok := s.hub.awaitStatus(ctx, s.first.documentID(), s.cfg.Wait, "03")
	if !ok {
		return fail("sau %s chưa có 03; đã nhận: %v", s.cfg.Wait, got)
	}
	if problem := unsignedAmong(got); problem != "" {
		return fail("%s", problem)
	}
	if n01, n03 := count(got, "01"), count(got, "03"); n01 != 1 || n03 != 1 {
		return fail("%d lần 01, %d lần 03; cần mỗi mã một lần: %v", n01, n03, got)
	}
	return pass("01, 03 đã ký, ResponseFor = %s", s.first.documentID())
}

func (s *session) handledInOrder(ctx context.Context) Result {
	if r, ok := s.needsFirst(); !ok {
		return r
	}
	got, ok := s.hub.awaitStatus(ctx, s.first.documentID(), s.cfg.Wait, "06")
	if !ok {
		return fail("sau %s chưa có 06; đã nhận: %v", s.cfg.Wait, got)
	}
	if problem := unsignedAmong(got); problem != "" {
		return fail("%s", problem)
	}
	for _, code := range []string{"04", "05", "06"} {
		if n := count(got, code); n != 1 {
			return fail("%d lần %s: %v", n, code, got)
		}
	}
	if problem := rankAgainstTime(got); problem != "" {
		return fail("%s", problem)
	}
	return pass("%v", got)
}

// rankAgainstTime checks that no status of a higher rank carries an earlier
// Timestamp than one of a lower rank. Arrival order proves nothing: the transport
// is at-least-once and may reorder.
func rankAgainstTime(statuses []arrival) string {
	for _, a := range statuses {
		for _, b := range statuses {
			x, y := a.Pkg.Status, b.Pkg.Status
			if rank[x.StatusCode] < rank[y.StatusCode] && x.Timestamp.After(y.Timestamp) {
				return fmt.Sprintf("%s có Timestamp %s, sau %s của %s", x.StatusCode, x.Timestamp.Format(time.TimeOnly), y.Timestamp.Format(time.TimeOnly), y.StatusCode)
			}
		}
	}
	return ""
}

func (s *session) rejected(ctx context.Context) Result {
	doc, _, err := s.sendDocument(ctx, "8.3", "TEST-REJECT văn bản gửi nhầm")
	if err != nil {
		return fail("gửi: %v", err)
	}
	got, ok := s.hub.awaitStatus(ctx, doc.documentID(), s.cfg.Wait, "02")
	switch {
	case !ok:
		return fail("sau %s chưa có 02; đã nhận: %v", s.cfg.Wait, got)
	case count(got, "02") != 1 || count(got, "03") != 0:
		return fail("cần một 02 và không có 03: %v", got)
	}
	if reason := withCode(got, "02").Description; strings.TrimSpace(reason) != "" {
		return pass("02: %s", reason)
	}
	return fail("02 không có lý do")
}

// statusRoundTrip answers a second reply of the test agency with 01, 03, 04, 05,
// 06 as T1 and reads the target's tracking.
func (s *session) statusRoundTrip(ctx context.Context) Result {
	reply, err := s.requestReply(ctx, "8.4")
	if err != nil {
		return fail("%v", err)
	}
	at := time.Now().Add(-time.Minute)
	for i, code := range []string{"01", "03", "04", "05", "06"} {
		if _, _, err := s.sendStatus(ctx, responseFor(reply), code, "Trạng thái "+code, at.Add(time.Duration(i)*time.Second)); err != nil {
			return fail("%s: %v", code, err)
		}
	}
	t, err := s.trackingOf(ctx, reply.DocumentID)
	if err != nil {
		return fail("%v", err)
	}
	var history []string
	for _, e := range t.History {
		history = append(history, e.Code)
	}
	for _, code := range []string{"01", "03", "04", "05", "06"} {
		if !slices.Contains(history, code) {
			return fail("theo dõi: %s, lịch sử %v thiếu %s", t.State, history, code)
		}
	}
	if t.State != "06" {
		return fail("theo dõi: trạng thái %s, cần 06", t.State)
	}
	return pass("theo dõi: 06, lịch sử %v", history)
}

// staleStatus sends 05, then 03 with an older Timestamp, about the test agency's
// document, and reads the target's tracking.
func (s *session) staleStatus(ctx context.Context) Result {
	if s.reply == nil {
		return skip("cần 2.4 thành công")
	}
	about := responseFor(s.reply)
	now := time.Now()
	if _, _, err := s.sendStatus(ctx, about, "05", "Đang xử lý", now); err != nil {
		return fail("05: %v", err)
	}
	if _, _, err := s.sendStatus(ctx, about, "03", "Đã tiếp nhận", now.Add(-time.Hour)); err != nil {
		return fail("03 cũ hơn: %v", err)
	}
	t, err := s.trackingOf(ctx, s.reply.DocumentID)
	if err != nil {
		return fail("%v", err)
	}
	stale := slices.ContainsFunc(t.History, func(e wire.TrackingEntry) bool { return e.Code == "03" && e.Stale })
	if t.State != "05" || !stale {
		return fail("theo dõi: trạng thái %s, 03 đến muộn được đánh dấu: %t; cần 05 và có", t.State, stale)
	}
	return pass("trạng thái 05; 03 đến muộn được giữ trong lịch sử, không áp dụng")
}

// trackingOf is where the target's document stands at T1.
func (s *session) trackingOf(ctx context.Context, documentID string) (wire.Tracking, error) {
	all, err := s.target.Tracking(ctx, documentID)
	if err != nil {
		return wire.Tracking{}, fmt.Errorf("theo dõi %s: %w", documentID, err)
	}
	for _, t := range all {
		if t.Recipient == OrganT1 {
			return t, nil
		}
	}
	return wire.Tracking{}, fmt.Errorf("theo dõi %s không có nơi nhận %s", documentID, OrganT1)
}

func (s *session) statusErrors(ctx context.Context) Result {
	var wrong []string
	if s.reply != nil {
		if problem := s.statusResent(ctx); problem != "" {
			wrong = append(wrong, "gửi lại trạng thái: "+problem)
		}
	}
	unknown := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Văn bản không tồn tại")
	_, _, err := s.sendStatus(ctx, responseFor(unknown.pkg.Header), "03", "Đã tiếp nhận", time.Now())
	if problem := refusedWith(err, wire.CodeUnknownDocument); problem != "" {
		wrong = append(wrong, "DocumentId lạ: "+problem)
	}
	body, err := s.statusCode07()
	if err == nil {
		_, err = s.post(ctx, s.target, body, "", "")
	}
	if problem := refusedWith(err, wire.CodeInvalid); problem != "" {
		wrong = append(wrong, "mã 07: "+problem)
	}
	switch {
	case len(wrong) > 0:
		return fail("%s", strings.Join(wrong, "; "))
	case s.reply == nil:
		return pass("DocumentId lạ, mã 07: bị từ chối (gửi lại trạng thái: cần 2.4)")
	}
	return pass("gửi lại: trùng, không thêm lịch sử; DocumentId lạ, mã 07: bị từ chối")
}

// statusResent sends a status twice and checks the second is a duplicate that adds
// nothing to the tracking history.
func (s *session) statusResent(ctx context.Context) string {
	body, first, err := s.sendStatus(ctx, responseFor(s.reply), "04", "Đã phân công", time.Now())
	if err != nil {
		return err.Error()
	}
	before, err := s.trackingOf(ctx, s.reply.DocumentID)
	if err != nil {
		return err.Error()
	}
	again, err := s.post(ctx, s.target, body, first.PackageID, "")
	if problem := duplicateOf(first, again, err); problem != "" {
		return problem
	}
	after, err := s.trackingOf(ctx, s.reply.DocumentID)
	if err != nil {
		return err.Error()
	}
	if len(after.History) != len(before.History) {
		return fmt.Sprintf("lịch sử từ %d thành %d mục", len(before.History), len(after.History))
	}
	return ""
}

// statusCode07 is a signed status with the code 07, which the standard lacks,
// about 2.1's document or an unknown one.
func (s *session) statusCode07() ([]byte, error) {
	about := responseFor(s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Văn bản không tồn tại").pkg.Header)
	if s.first != nil {
		about = responseFor(s.first.pkg.Header)
	}
	unsigned, err := status(OrganT1, about, "03", "Mã không có trong tiêu chuẩn", time.Now())
	if err != nil {
		return nil, err
	}
	unsigned = bytes.Replace(unsigned, []byte("<edXML:StatusCode>03<"), []byte("<edXML:StatusCode>07<"), 1)
	return signInvalid(unsigned, s.kit.Agencies["t1"])
}

// Group 9: recall.

// recall sends status 13 about a document and waits for the answers it causes.
func (s *session) recall(ctx context.Context, about liaison.ResponseFor) ([]arrival, string, bool) {
	earlier := len(s.answersTo(about.DocumentID))
	if _, _, err := s.sendStatusTo(ctx, s.cfg.TestAgency, about, "13", "Thu hồi để kiểm thử", time.Now()); err != nil {
		return nil, "13: " + err.Error(), false
	}
	return s.awaitNewAnswers(ctx, about.DocumentID, earlier)
}

// answersTo are the 15 and 16 statuses the target sent about a document.
func (s *session) answersTo(documentID string) []arrival {
	return s.hub.matching(func(a arrival) bool {
		return a.Pkg != nil && a.Pkg.Kind == liaison.KindStatus && a.Pkg.Status.ResponseFor.DocumentID == documentID &&
			(a.Pkg.Status.StatusCode == "15" || a.Pkg.Status.StatusCode == "16")
	})
}

// awaitNewAnswers waits for answers beyond the earlier ones and returns the new.
func (s *session) awaitNewAnswers(ctx context.Context, documentID string, earlier int) ([]arrival, string, bool) {
	got, ok := await(ctx, s.cfg.Wait, func() ([]arrival, bool) {
		got := s.answersTo(documentID)
		return got, len(got) > earlier
	})
	if !ok {
		return nil, fmt.Sprintf("sau %s chưa có 15 hay 16 mới; đã nhận: %v", s.cfg.Wait, got), false
	}
	return got[earlier:], "", true
}

func (s *session) recallAccepted(ctx context.Context) Result {
	doc, _, err := s.sendDocument(ctx, "9.1", "TEST-HOLD văn bản sẽ bị thu hồi")
	if err != nil {
		return fail("gửi: %v", err)
	}
	if got, ok := s.hub.awaitStatus(ctx, doc.documentID(), s.cfg.Wait, "03"); !ok {
		return fail("sau %s chưa có 03: %v", s.cfg.Wait, got)
	}
	got, problem, ok := s.recall(ctx, responseFor(doc.pkg.Header))
	switch {
	case !ok:
		return fail("%s", problem)
	case count(got, "15") != 1 || count(got, "16") != 0:
		return fail("cần một 15: %v", got)
	}
	return pass("%v", got)
}

func (s *session) recallRefused(ctx context.Context) Result {
	if r, ok := s.needsFirst(); !ok {
		return r
	}
	if !hasCode(s.hub.statuses(s.first.documentID()), "06") {
		return skip("cần văn bản của 2.1 ở 06 (8.2)")
	}
	got, problem, ok := s.recall(ctx, responseFor(s.first.pkg.Header))
	switch {
	case !ok:
		return fail("%s", problem)
	case count(got, "16") != 1 || count(got, "15") != 0:
		return fail("cần một 16: %v", got)
	case strings.TrimSpace(withCode(got, "16").Description) == "":
		return fail("16 không có lý do")
	}
	return pass("16: %s", withCode(got, "16").Description)
}

func (s *session) recallUnknown(ctx context.Context) Result {
	unknown := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Văn bản chưa từng gửi")
	got, problem, ok := s.recall(ctx, responseFor(unknown.pkg.Header))
	switch {
	case !ok:
		return fail("%s", problem)
	case count(got, "16") != 1 || strings.TrimSpace(withCode(got, "16").Description) == "":
		return fail("cần một 16 có lý do: %v", got)
	}
	return pass("16: %s", withCode(got, "16").Description)
}

// Helpers over the statuses received.

func count(statuses []arrival, code string) int {
	n := 0
	for _, a := range statuses {
		if a.Pkg.Status.StatusCode == code {
			n++
		}
	}
	return n
}

func withCode(statuses []arrival, code string) *liaison.Status {
	for _, a := range statuses {
		if a.Pkg.Status.StatusCode == code {
			return a.Pkg.Status
		}
	}
	return &liaison.Status{}
}

// unsignedAmong names the first status whose signature the kit refused.
func unsignedAmong(statuses []arrival) string {
	for _, a := range statuses {
		if a.Refusal != nil {
			return fmt.Sprintf("trạng thái %s: %s %s", a.Pkg.Status.StatusCode, a.Refusal.Code, a.Refusal.Message)
		}
	}
	return ""
}

// changePackages sends revoke (Bussiness 1) and update (Bussiness 2) packages for
// documents held at 03, which the test agency accepts (15), and an update of 2.1's
// document at 06, which it refuses (16).
func (s *session) changePackages(ctx context.Context) Result {
	var done []string
	for _, business := range []liaison.BusinessType{liaison.BusinessRevoke, liaison.BusinessUpdate} {
		doc, _, err := s.sendDocument(ctx, "9.3", subjectHold+" văn bản sẽ được "+businessLabels[business])
		if err != nil {
			return fail("gửi: %v", err)
		}
		if got, ok := s.hub.awaitStatus(ctx, doc.documentID(), s.cfg.Wait, "03"); !ok {
			return fail("sau %s chưa có 03: %v", s.cfg.Wait, got)
		}
		if problem := s.change(ctx, doc, business, "15"); problem != "" {
			return fail("%s: %s", businessLabels[business], problem)
		}
		done = append(done, businessLabels[business]+" → 15")
	}
	if s.first != nil && hasCode(s.hub.statuses(s.first.documentID()), "06") {
		if problem := s.change(ctx, s.first, liaison.BusinessUpdate, "16"); problem != "" {
			return fail("cập nhật sau 06: %s", problem)
		}
		done = append(done, "cập nhật sau 06 → 16")
	}
	return pass("%s", strings.Join(done, "; "))
}

// change sends a change package of doc and waits for the answer want.
func (s *session) change(ctx context.Context, doc *document, business liaison.BusinessType, want string) string {
	body, err := changeOf(doc, business).signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return err.Error()
	}
	earlier := len(s.answersTo(doc.documentID()))
	if _, err := s.deliver(ctx, "9.3", body, ""); err != nil {
		return err.Error()
	}
	fresh, problem, ok := s.awaitNewAnswers(ctx, doc.documentID(), earlier)
	switch {
	case !ok:
		return problem
	case count(fresh, want) != len(fresh):
		return fmt.Sprintf("cần %s: %v", want, fresh)
	}
	return ""
}

// changeOf is a revoke or update package of doc, with a changed subject.
func changeOf(doc *document, business liaison.BusinessType) *document {
	changed := *doc
	header := *doc.pkg.Header
	header.Subject += " (đã cập nhật)"
	changed.pkg.Header = &header
	changed.pkg.Business = &liaison.Business{DocumentID: doc.documentID(), DocType: business, Reason: "Kiểm thử " + businessLabels[business]}
	if business == liaison.BusinessUpdate {
		changed.pkg.Business.DocumentInfo = &liaison.BusinessDocumentInfo{DocumentInfo: 1}
	}
	return &changed
}

// businessLabels name the change packages in the table.
var businessLabels = map[liaison.BusinessType]string{liaison.BusinessRevoke: "thu hồi", liaison.BusinessUpdate: "cập nhật"}

// replacement sends a document held at 03, then a new one replacing it
// (Bussiness 3): the new one must arrive and be registered (01, 03).
func (s *session) replacement(ctx context.Context) Result {
	old, _, err := s.sendDocument(ctx, "9.5", subjectHold+" văn bản sẽ bị thay thế")
	if err != nil {
		return fail("gửi: %v", err)
	}
	if got, ok := s.hub.awaitStatus(ctx, old.documentID(), s.cfg.Wait, "03"); !ok {
		return fail("văn bản cũ: sau %s chưa có 03: %v", s.cfg.Wait, got)
	}
	doc := s.replacing(old)
	body, err := doc.signed(s.kit.Agencies["t1"], time.Now())
	if err != nil {
		return fail("%v", err)
	}
	receipt, err := s.deliver(ctx, "9.5", body, "")
	if problem := accepted(receipt, err, body); problem != "" {
		return fail("văn bản thay thế: %s", problem)
	}
	got, ok := s.hub.awaitStatus(ctx, doc.documentID(), s.cfg.Wait, "03")
	if !ok || count(got, "01") != 1 || count(got, "03") != 1 {
		return fail("văn bản thay thế: cần một 01 và một 03: %v", got)
	}
	return pass("văn bản thay thế: 01, 03 (văn bản cũ bị thay thế: xem ở đích)")
}

// replacing is a new document that replaces old (Bussiness 3) at the test agency.
func (s *session) replacing(old *document) *document {
	doc := s.make.newDocument(OrganT1, []string{s.cfg.TestAgency}, "Văn bản thay thế "+old.documentID())
	doc.pkg.Business = &liaison.Business{DocumentID: doc.documentID(), DocType: liaison.BusinessReplace, Reason: "Kiểm thử thay thế",
		Replacements: []liaison.ReplacementInfo{{DocumentID: old.documentID(), OrganIDs: []string{s.cfg.TestAgency}}}}
	return doc
}
