package docs

import (
	"context"
	"errors"
	"testing"
)

// TestToTrinhFlowAndInternalDistribution: a specialist's tờ trình goes up to the agency
// leader through the unit head, is returned with a reason, resubmitted and approved by
// signature; the leader then sends it to a unit and a person of the agency, who now
// see it, are notified, and read and handle it while the sender follows them. Nobody
// outside sees or sends it.
func TestToTrinhFlowAndInternalDistribution(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeToTrinh, "Tờ trình về việc mua sắm máy tính cho Văn phòng", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, "Kính trình"))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, "Đồng ý"))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, "Kính trình Chủ tịch"))
	must(t, f.svc.ReturnFromSigner(ctx, f.in(f.leader), id, "Bổ sung báo giá."))
	if got := mustGet(t, f, id).OutgoingState; got != OutReturned {
		t.Fatalf("returned tờ trình is %s", got)
	}
	if err := f.svc.Distribute(ctx, f.in(f.leader), id, InternalInput{UnitIDs: []int64{f.unitTP}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("sending an undecided tờ trình: %v", err)
	}
	f.toSigned(t, id)

	if _, err := f.svc.Get(ctx, f.in(f.tpSpecialist), id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Phòng Tư pháp sees the tờ trình before it is sent: %v", err)
	}
	if err := f.svc.Distribute(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, id, InternalInput{UserIDs: []int64{f.communeLeader}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("another agency sends it: %v", err)
	}
	if err := f.svc.Distribute(ctx, f.in(f.leader), id, InternalInput{UserIDs: []int64{f.communeLeader}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("sending to someone of another agency: %v", err)
	}
	must(t, f.svc.Distribute(ctx, f.in(f.leader), id, InternalInput{UnitIDs: []int64{f.unitTP}, UserIDs: []int64{f.clerk}, Note: "Để biết và phối hợp."}))
	must(t, f.svc.Distribute(ctx, f.in(f.leader), id, InternalInput{UnitIDs: []int64{f.unitTP}})) // once per recipient

	for _, u := range []int64{f.tpSpecialist, f.tpHead} {
		if _, err := f.svc.Get(ctx, f.in(u), id); err != nil {
			t.Errorf("a member of the recipient unit cannot see the document: %v", err)
		}
	}
	var notified int
	must(t, f.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE document_id = $1 AND kind = 'internal'`, id).Scan(&notified))
	if notified != 3 { // both members of Phòng Tư pháp and the clerk
		t.Errorf("%d notifications, want 3", notified)
	}
	received, err := f.svc.InternalReceived(ctx, f.in(f.tpSpecialist))
	must(t, err)
	if len(received) != 1 || received[0].Document.ID != id || received[0].Recipients != 2 || received[0].SentBy != f.leader {
		t.Fatalf("received %+v", received)
	}
	must(t, f.svc.MarkInternalRead(ctx, f.in(f.tpSpecialist), id))
	must(t, f.svc.MarkInternalHandled(ctx, f.in(f.tpHead), id, "Phòng đã phối hợp."))
	if err := f.svc.MarkInternalHandled(ctx, f.in(f.unitHead), id, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("someone it was not sent to reports it handled: %v", err)
	}
	sent, err := f.svc.InternalSent(ctx, f.in(f.leader))
	must(t, err)
	if len(sent) != 1 || sent[0].Read != 1 || sent[0].Handled != 1 {
		t.Fatalf("sent %+v", sent)
	}
	recipients, err := f.svc.InternalRecipients(ctx, f.in(f.leader), id)
	must(t, err)
	if len(recipients) != 2 || recipients[0].UnitID != f.unitTP || recipients[0].ReadBy != f.tpSpecialist ||
		recipients[0].HandledBy != f.tpHead || recipients[0].HandledNote != "Phòng đã phối hợp." || recipients[1].ReadAt != nil {
		t.Errorf("recipients %+v", recipients)
	}
	if _, err := f.svc.InternalRecipients(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("another agency reads the tracking: %v", err)
	}
}
