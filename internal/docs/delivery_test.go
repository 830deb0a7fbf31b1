package docs

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"edms/internal/store"
)

var ministry = Recipient{OrganID: "000.00.00.G12", Name: "Bộ Nội vụ"}

// sealed walks a new document addressed to recipients up to the agency signature.
func (f *fixture) sealed(t *testing.T, subject string, recipients []Recipient) int64 {
	t.Helper()
	ctx := context.Background()
	id := f.draft(t, TypeCongVan, subject, func(in *DraftInput) { in.Recipients = recipients })
	f.toSigned(t, id)
	_, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
	return id
}

func (f *fixture) recipientState(t *testing.T, docID int64, organID string) RecipientState {
	t.Helper()
	recipients, err := Recipients(context.Background(), f.pool, docID)
	must(t, err)
	for _, r := range recipients {
		if r.OrganID == organID {
			return r
		}
	}
	t.Fatalf("document %d has no recipient %s", docID, organID)
	return RecipientState{}
}

// failingQueue inserts through the real client until it has inserted `allow` jobs,
// then fails, as a queue that breaks in the middle of a step.
type failingQueue struct {
	JobInserter
	allow int
}

func (q *failingQueue) InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	if q.allow == 0 {
		return nil, errors.New("queue unavailable")
	}
	q.allow--
	return q.JobInserter.InsertTx(ctx, tx, args, opts)
}

// TestSendQueuesOnePackagePerExternalRecipientInItsTransaction: each recipient outside
// the node gets exactly one exchange.send_package job, inserted in the send's
// transaction; the local recipient gets its copy at once and no job; a send that
// fails or rolls back leaves no job at all.
func TestSendQueuesOnePackagePerExternalRecipientInItsTransaction(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	commune := Recipient{AgencyID: f.commune, OrganID: "000.21.21.H55", Name: "UBND xã Yên Ninh"}
	id := f.sealed(t, "Về việc tổng kết công tác năm 2026", []Recipient{commune, province, ministry})

	if err := f.svc.Send(ctx, f.in(f.specialist), id, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("send without the permission: %v", err)
	}
	real := f.svc.Queue
	f.svc.Queue = &failingQueue{JobInserter: real, allow: 1}
	if err := f.svc.Send(ctx, f.in(f.clerk), id, ""); err == nil {
		t.Fatal("a send whose second job could not be queued succeeded")
	}
	if jobs := queuedJobs[SendPackageArgs](t, f.pool); len(jobs) != 0 {
		t.Fatalf("failed sends left jobs behind: %+v", jobs)
	}
	if d, err := f.svc.Get(ctx, f.in(f.clerk), id); err != nil || d.OutgoingState != OutSealed {
		t.Fatalf("after the failed send: %v, %v", d.OutgoingState, err)
	}

	f.svc.Queue = real
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	jobs := queuedJobs[SendPackageArgs](t, f.pool)
	if len(jobs) != 2 || jobs[0].Recipient != province.OrganID || jobs[1].Recipient != ministry.OrganID {
		t.Fatalf("packages queued %+v, want one for the province and one for the ministry", jobs)
	}
	for _, j := range jobs {
		if j.DocumentID != id || j.Business != BusinessNew || j.PackageID == "" {
			t.Errorf("package %+v", j)
		}
		if st := f.recipientState(t, id, j.Recipient); st.Status != RecipientSending {
			t.Errorf("%s is %s, want sending", j.Recipient, st.Status)
		}
	}
	if jobs[0].PackageID == jobs[1].PackageID {
		t.Error("two recipients share a package id")
	}
	if st := f.recipientState(t, id, commune.OrganID); st.Status != RecipientArrived {
		t.Errorf("the local commune is %s, want arrived at once", st.Status)
	}
	var queue string
	must(t, f.pool.QueryRow(ctx, `SELECT DISTINCT queue FROM river_job WHERE kind = $1`, SendPackageArgs{}.Kind()).Scan(&queue))
	if queue != QueueExchange {
		t.Errorf("packages queued on %q", queue)
	}
}

// TestStatusEventsTravelBackForExchangedDocumentsOnly: a document that came from
// another installation answers its sender with send_status jobs carrying the code,
// the sender and its DocumentId; a hand-off on this node updates the sender's
// tracking at once and queues nothing.
func TestStatusEventsTravelBackForExchangedDocumentsOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	r := f.receive(t, "Về việc kiểm tra công tác văn thư", "77", nil)
	_, err := f.svc.Register(ctx, f.in(f.clerk), r.DocumentID, "")
	must(t, err)
	d, err := f.svc.Get(ctx, f.in(f.clerk), r.DocumentID)
	must(t, err)
	statuses := queuedJobs[SendStatusArgs](t, f.pool)
	if len(statuses) != 2 || statuses[0].Code != "01" || statuses[1].Code != "03" {
		t.Fatalf("statuses %+v, want 01 and 03", statuses)
	}
	for _, st := range statuses {
		if st.AgencyID != f.district || st.DocumentID != r.DocumentID || st.To != "000.00.00.H55" ||
			st.ResponseFor != d.ExternalID || st.PackageID == "" || st.At.IsZero() {
			t.Errorf("status %+v", st)
		}
	}

	// A status that used all its attempts stays in the document's audit trail.
	must(t, store.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		return f.svc.StatusUndelivered(ctx, tx, statuses[1], "hub unreachable after 25 attempts")
	}))
	var code, reason string
	must(t, f.pool.QueryRow(ctx, `SELECT detail->>'code', detail->>'reason' FROM audit_log
		WHERE action = 'document.status_undelivered' AND object_id = $1 AND agency_id = $2`, strconv.FormatInt(r.DocumentID, 10), f.district).Scan(&code, &reason))
	if code != "03" || reason != "hub unreachable after 25 attempts" {
		t.Errorf("undelivered status recorded as %s: %q", code, reason)
	}

	commune := Recipient{AgencyID: f.commune, OrganID: "000.21.21.H55", Name: "UBND xã Yên Ninh"}
	id := f.sealed(t, "Về việc giao chỉ tiêu", []Recipient{commune})
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	var copyID int64
	must(t, f.pool.QueryRow(ctx, `SELECT id FROM documents WHERE source_document_id = $1`, id).Scan(&copyID))
	_, err = f.svc.Register(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, copyID, "")
	must(t, err)
	if st := f.recipientState(t, id, commune.OrganID); st.Status != RecipientRegistered {
		t.Errorf("the sender sees the commune as %s, want registered", st.Status)
	}
	if after := queuedJobs[SendStatusArgs](t, f.pool); len(after) != len(statuses) {
		t.Fatalf("a hand-off queued statuses: %+v", after[len(statuses):])
	}
}

// TestDeliveryOutcomesAndResend: the link's outcomes show on the recipient; a failed
// delivery is sent again by the clerk with the same package id, and only by someone
// who could send it.
func TestDeliveryOutcomesAndResend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.sealed(t, "Về việc báo cáo số liệu", []Recipient{province, ministry})
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	first := queuedJobs[SendPackageArgs](t, f.pool)

	inTx := func(fn func(tx pgx.Tx) error) error { return store.InTx(ctx, f.pool, fn) }
	must(t, inTx(func(tx pgx.Tx) error { return f.svc.MarkSent(ctx, tx, id, province.OrganID, "HUB-0001") }))
	if st := f.recipientState(t, id, province.OrganID); st.Status != RecipientSent || st.ReceiptID != "HUB-0001" {
		t.Fatalf("after MarkSent: %+v", st)
	}
	if err := inTx(func(tx pgx.Tx) error { return f.svc.MarkSent(ctx, tx, id, "000.99.99.H55", "HUB-0002") }); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkSent for someone who is not a recipient: %v", err)
	}
	must(t, inTx(func(tx pgx.Tx) error {
		_, err := f.svc.ApplyStatusTx(ctx, tx, StatusUpdate{SenderAgencyID: f.district, ExternalID: mustGet(t, f, id).ExternalID,
			Recipient: province.OrganID, Code: string(EventRegistered)})
		return err
	}))
	must(t, inTx(func(tx pgx.Tx) error { return f.svc.MarkSent(ctx, tx, id, province.OrganID, "HUB-0003") }))
	if st := f.recipientState(t, id, province.OrganID); st.Status != RecipientRegistered || st.ReceiptID != "HUB-0003" {
		t.Fatalf("a late acknowledgement overwrote a later status: %+v", st)
	}

	const reason = "Trục liên thông không nhận gói tin: hết số lần thử"
	must(t, inTx(func(tx pgx.Tx) error { return f.svc.MarkFailed(ctx, tx, id, ministry.OrganID, reason) }))
	if st := f.recipientState(t, id, ministry.OrganID); st.Status != RecipientFailed || st.Note != reason {
		t.Fatalf("after MarkFailed: %+v", st)
	}

	communeClerk := Actor{UserID: f.communeClerk, AgencyID: f.commune}
	if err := f.svc.Resend(ctx, communeClerk, id, ministry.OrganID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resend by the clerk of another agency: %v", err)
	}
	if err := f.svc.Resend(ctx, f.in(f.specialist), id, ministry.OrganID); !errors.Is(err, ErrForbidden) {
		t.Fatalf("resend by the drafter, who may not send: %v", err)
	}
	if err := f.svc.Resend(ctx, f.in(f.clerk), id, province.OrganID); !errors.Is(err, ErrIllegalTransition) {
		t.Fatalf("resend of a delivery that did not fail: %v", err)
	}
	if err := f.svc.Resend(ctx, f.in(f.clerk), id, "000.99.99.H55"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("resend to someone who is not a recipient: %v", err)
	}
	if jobs := queuedJobs[SendPackageArgs](t, f.pool); len(jobs) != 2 {
		t.Fatalf("refused resends queued jobs: %+v", jobs)
	}
	must(t, f.svc.Resend(ctx, f.in(f.clerk), id, ministry.OrganID))
	jobs := queuedJobs[SendPackageArgs](t, f.pool)
	if len(jobs) != 3 || jobs[2].Recipient != ministry.OrganID || jobs[2].PackageID != first[1].PackageID || jobs[2].Business != BusinessNew {
		t.Fatalf("after the resend: %+v, want the ministry's package %s again", jobs, first[1].PackageID)
	}
	if st := f.recipientState(t, id, ministry.OrganID); st.Status != RecipientSending || st.Note != "" {
		t.Fatalf("after the resend: %+v", st)
	}
}

func mustGet(t *testing.T, f *fixture, id int64) *Record {
	t.Helper()
	d, err := f.svc.Get(context.Background(), f.in(f.clerk), id)
	must(t, err)
	return d
}
