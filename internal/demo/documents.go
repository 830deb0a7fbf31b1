package demo

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"edms/internal/docs"
	"edms/internal/org"
)

// SeedDocuments puts a few documents of the article's district at every step of the
// lifecycles, signed for real when the service has a signing hook: a plan issued and
// sent to the communes (and being handled at Yên Ninh), a letter waiting for the
// chairman's signature, a report waiting for the head of unit, and a decision of the
// province registered and waiting for the chairman's assignment. Every agency of the
// demo lives in the service's database. It does nothing when the database already
// holds documents.
func SeedDocuments(ctx context.Context, svc *docs.Service) error {
	return SeedNodeDocuments(ctx, svc, AgencyIDs())
}

// SeedNodeDocuments seeds the documents of SeedDocuments into one installation of a
// network, which hosts the agencies given: nothing unless it hosts the district;
// recipients it does not host are addressed through the exchange (the service then
// queues their packages), and the plan is handled at Yên Ninh only when Yên Ninh is
// hosted too.
func SeedNodeDocuments(ctx context.Context, svc *docs.Service, hosted []string) error {
	var n int
	if err := svc.Pool.QueryRow(ctx, `SELECT count(*) FROM documents`).Scan(&n); err != nil || n > 0 {
		return err
	}
	if !slices.Contains(hosted, DistrictID) {
		return nil
	}
	s := &seeder{ctx: ctx, svc: svc, hosted: hosted}
	s.issuedPlan()
	s.letterToSign()
	s.reportInReview()
	s.decisionFromProvince()
	return s.err
}

// seeder runs a sequence of service calls, stopping at the first error.
type seeder struct {
	ctx    context.Context
	svc    *docs.Service
	hosted []string // organ ids of the agencies in this database
	err    error
}

func (s *seeder) actor(username, organID string) docs.Actor {
	if s.err != nil {
		return docs.Actor{}
	}
	u, err := org.UserByUsername(s.ctx, s.svc.Pool, username)
	if err != nil {
		s.err = fmt.Errorf("demo: %s: %w", username, err)
		return docs.Actor{}
	}
	a, err := org.AgencyByOrganID(s.ctx, s.svc.Pool, organID)
	if err != nil {
		s.err = fmt.Errorf("demo: %s: %w", organID, err)
		return docs.Actor{}
	}
	return docs.Actor{UserID: u.ID, AgencyID: a.ID}
}

// do runs one step unless an earlier one failed.
func (s *seeder) do(what string, step func() error) {
	if s.err == nil {
		if err := step(); err != nil {
			s.err = fmt.Errorf("demo: %s: %w", what, err)
		}
	}
}

// draft composes a district draft on the form and creates it as the specialist.
func (s *seeder) draft(t docs.TypeCode, subject, body string, recipients ...string) int64 {
	var id int64
	s.do("draft "+subject, func() error {
		typ, _ := docs.LookupType(t)
		d := docs.Document{Type: t, Subject: subject, Content: body, Place: "Phú Lương", PageCount: 1}
		var places []string
		for _, organID := range recipients {
			a, err := org.AgencyByOrganID(s.ctx, s.svc.Pool, organID)
			if err != nil {
				return err
			}
			r := docs.Recipient{AgencyID: a.ID, OrganID: a.OrganID, Name: a.Name}
			if !slices.Contains(s.hosted, organID) {
				r.AgencyID = 0 // on another node: the document travels through the hub
			}
			d.Recipients = append(d.Recipients, r)
			places = append(places, a.Name)
		}
		pdf, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân huyện Phú Lương", Type: typ,
			Subject: subject, Body: body, ToPlaces: places})
		if err != nil {
			return err
		}
		id, err = s.svc.CreateDraft(s.ctx, s.actor("chuyenvien.tckh", DistrictID), docs.DraftInput{Document: d,
			File: docs.FileInput{Name: "du-thao.pdf", MediaType: docs.MediaPDF, Content: bytes.NewReader(pdf)}})
		return err
	})
	return id
}

// toSignature takes a draft through review to the chairman's desk.
func (s *seeder) toSignature(id int64) {
	specialist, head := s.actor("chuyenvien.tckh", DistrictID), s.actor("truongphong.tckh", DistrictID)
	s.do("submit", func() error { return s.svc.Submit(s.ctx, specialist, id, "Kính trình Trưởng phòng xem xét.") })
	s.do("approve", func() error { return s.svc.Approve(s.ctx, head, id, "Nội dung phù hợp.") })
	s.do("submit for signature", func() error {
		return s.svc.SubmitForSignature(s.ctx, head, id, "Kính trình Chủ tịch ký ban hành.")
	})
}

func (s *seeder) issuedPlan() {
	id := s.draft(docs.TypeKeHoach, "Kiểm tra công tác văn thư, lưu trữ năm 2027 tại các xã, thị trấn",
		"Thực hiện Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư, Ủy ban nhân dân huyện ban hành kế hoạch kiểm tra công tác văn thư, lưu trữ năm 2027 như sau.\n\n"+
			"Các xã, thị trấn tự kiểm tra việc quản lý văn bản đi, văn bản đến, lập hồ sơ và giao nộp hồ sơ vào lưu trữ cơ quan; báo cáo kết quả về Ủy ban nhân dân huyện (qua Phòng Nội vụ) trước ngày 15 tháng 12.",
		YenNinhID, DuTownID, GiangTien)
	s.toSignature(id)
	chairman, clerk := s.actor("chutich.huyen", DistrictID), s.actor("vanthu.huyen", DistrictID)
	s.do("sign", func() error { return s.svc.Sign(s.ctx, chairman, id, docs.SignInput{Note: "Đồng ý ban hành."}) })
	s.do("issue", func() error { _, err := s.svc.Issue(s.ctx, clerk, id, ""); return err })
	s.do("seal", func() error { return s.svc.Seal(s.ctx, clerk, id, "") })
	s.do("send", func() error { return s.svc.Send(s.ctx, clerk, id, "") })
	if slices.Contains(s.hosted, YenNinhID) {
		s.handleAtYenNinh()
	}
}

// handleAtYenNinh registers the plan at Yên Ninh and starts handling it.
func (s *seeder) handleAtYenNinh() {
	clerk, chair := s.actor("vanthu.yenninh", YenNinhID), s.actor("chutich.yenninh", YenNinhID)
	officer := s.actor("chuyenvien.yenninh", YenNinhID)
	var id int64
	s.do("find the copy at Yên Ninh", func() error {
		page, err := s.svc.Inbox(s.ctx, clerk, "", 10)
		if err != nil || len(page.Items) == 0 {
			return fmt.Errorf("no incoming copy: %v", err)
		}
		id = page.Items[0].ID
		return nil
	})
	s.do("register", func() error { _, err := s.svc.Register(s.ctx, clerk, id, ""); return err })
	s.do("submit to the leader", func() error { return s.svc.SubmitToLeader(s.ctx, clerk, id, "") })
	deadline := docs.DateInVietnam(time.Now()).AddDate(0, 0, 5)
	s.do("assign", func() error {
		return s.svc.Assign(s.ctx, chair, id, []docs.AssignmentInput{{Role: docs.RoleLead, UserID: officer.UserID, Deadline: &deadline}},
			"Giao đồng chí Sơn chủ trì tự kiểm tra, báo cáo đúng hạn.")
	})
	s.do("progress", func() error {
		as, err := docs.Assignments(s.ctx, s.svc.Pool, id)
		if err != nil || len(as) == 0 {
			return fmt.Errorf("no assignment: %v", err)
		}
		return s.svc.ReportProgress(s.ctx, officer, as[0].ID, 30, "Đang rà soát sổ đăng ký văn bản năm 2026.")
	})
}

func (s *seeder) letterToSign() {
	id := s.draft(docs.TypeCongVan, "Đôn đốc thu ngân sách nhà nước quý IV năm 2026",
		"Để hoàn thành dự toán thu ngân sách nhà nước năm 2026, Ủy ban nhân dân huyện đề nghị Ủy ban nhân dân các xã, thị trấn tập trung chỉ đạo thu các khoản thu còn tồn đọng, báo cáo kết quả trước ngày 20 tháng 12 năm 2026.",
		YenNinhID, DuTownID)
	s.toSignature(id)
}

func (s *seeder) reportInReview() {
	id := s.draft(docs.TypeBaoCao, "Tình hình thực hiện dự toán ngân sách 11 tháng năm 2026",
		"Phòng Tài chính - Kế hoạch báo cáo tình hình thực hiện dự toán thu, chi ngân sách huyện 11 tháng năm 2026 như sau.",
		ProvinceID)
	specialist := s.actor("chuyenvien.tckh", DistrictID)
	s.do("submit report", func() error { return s.svc.Submit(s.ctx, specialist, id, "Kính trình Trưởng phòng.") })
}

// decisionFromProvince registers a paper decision of the province at the district,
// with the deadline the province asks for (proposed to the chairman who assigns it).
func (s *seeder) decisionFromProvince() {
	clerk := s.actor("vanthu.huyen", DistrictID)
	issued := time.Now().AddDate(0, 0, -2)
	issued = time.Date(issued.Year(), issued.Month(), issued.Day(), 0, 0, 0, 0, time.UTC)
	requested := issued.AddDate(0, 0, 15) // the province asks for the districts' plans within 15 days
	var id int64
	s.do("receive", func() error {
		r, err := s.svc.Receive(s.ctx, clerk, docs.ReceiveInput{Document: docs.Document{Type: docs.TypeQuyetDinh,
			CodeNumber: "2150", CodeNotation: "QĐ-UBND", IssuedDate: &issued, Place: "Thái Nguyên",
			Subject:       "Giao chỉ tiêu chuyển đổi số năm 2027 cho các huyện, thành phố",
			IssuerOrganID: ProvinceID, IssuerName: "Ủy ban nhân dân tỉnh Thái Nguyên", PageCount: 3, Paper: true, DueDate: &requested,
			Signer: docs.SignerInfo{Competence: "KT. CHỦ TỊCH", Position: "Phó Chủ tịch", FullName: "Trịnh Việt Hùng"}}})
		id = r.DocumentID
		return err
	})
	s.do("register", func() error { _, err := s.svc.Register(s.ctx, clerk, id, "Bản giấy, đã quét"); return err })
	s.do("submit to the chairman", func() error {
		return s.svc.SubmitToLeader(s.ctx, clerk, id, "Kính trình Chủ tịch cho ý kiến chỉ đạo.")
	})
}
