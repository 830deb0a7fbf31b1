package docs

import (
	"context"
	"strings"
	"testing"

	"edms/internal/notify"
)

// TestStepsNotifyWhoWaits: returning a draft notifies its drafter, submitting it for
// signature notifies the signer named on it, and the signer's e-mail is queued in the
// same transaction.
func TestStepsNotifyWhoWaits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.pool.Exec(ctx, `UPDATE users SET email = 'chutich@phuluong.gov.vn' WHERE id = $1`, f.leader); err != nil {
		t.Fatal(err)
	}
	id := f.draft(t, "cong_van", "Đôn đốc nộp báo cáo quý", func(in *DraftInput) {
		in.Signer = SignerInfo{Position: "Chủ tịch", FullName: "Phạm Quốc Việt", UserID: f.leader}
	})
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Return(ctx, f.in(f.unitHead), id, "Bổ sung thời hạn"))
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))

	drafter, err := notify.List(ctx, f.pool, f.specialist, 10)
	must(t, err)
	if len(drafter) != 1 || drafter[0].Kind != notify.Returned || !strings.Contains(drafter[0].Text, "Bổ sung thời hạn") || *drafter[0].DocumentID != id {
		t.Errorf("the drafter's notifications: %+v", drafter)
	}
	signer, err := notify.List(ctx, f.pool, f.leader, 10)
	must(t, err)
	if len(signer) != 1 || signer[0].Kind != notify.ToSign || signer[0].Text != "Văn bản chờ bạn ký: Đôn đốc nộp báo cáo quý" {
		t.Errorf("the signer's notifications: %+v", signer)
	}
	mails := queuedJobs[notify.EmailArgs](t, f.pool)
	if len(mails) != 1 || mails[0].To != "chutich@phuluong.gov.vn" {
		t.Errorf("queued e-mails: %+v", mails)
	}
}
