package docs

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// packages lists the queued packages of one business type, oldest first.
func packages(t *testing.T, f *fixture, business int) []SendPackageArgs {
	t.Helper()
	var out []SendPackageArgs
	for _, p := range queuedJobs[SendPackageArgs](t, f.pool) {
		if p.Business == business {
			out = append(out, p)
		}
	}
	return out
}

const provinceOrganID = "000.00.00.H55"

// sent walks a draft addressed to recipients to sent.
func (f *fixture) sent(t *testing.T, subject string, recipients ...Recipient) *Record {
	t.Helper()
	ctx := context.Background()
	id := f.draft(t, TypeCongVan, subject, func(in *DraftInput) { in.Recipients = recipients })
	f.toSigned(t, id)
	_, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
	must(t, f.svc.Send(ctx, f.in(f.clerk), id, ""))
	d, err := f.svc.Get(ctx, f.in(f.clerk), id)
	must(t, err)
	return d
}

var province = Recipient{OrganID: provinceOrganID, Name: "UBND tỉnh Thái Nguyên"}

// applyStatus applies one status package from the province in its own transaction.
func (f *fixture) applyStatus(t *testing.T, u StatusUpdate) (bool, error) {
	t.Helper()
	var applied bool
	err := store.InTx(context.Background(), f.pool, func(tx pgx.Tx) error {
		var err error
		applied, err = f.svc.ApplyStatusTx(context.Background(), tx, u)
		return err
	})
	return applied, err
}

// trackingOf returns the tracking of one recipient of a document.
func (f *fixture) trackingOf(t *testing.T, docID int64, organID string) RecipientTracking {
	t.Helper()
	all, err := Tracking(context.Background(), f.pool, docID)
	must(t, err)
	for _, r := range all {
		if r.OrganID == organID {
			return r
		}
	}
	t.Fatalf("document %d has no recipient %s in %+v", docID, organID, all)
	return RecipientTracking{}
}

func TestStatusesApplyInOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, vietnam)
	type status struct {
		code    EventCode
		minutes int // after t0
		applied bool
	}
	for _, c := range []struct {
		name      string
		statuses  []status
		want      RecipientStatus
		wantStale []bool // per history row, in order
	}{
		{"05 then an older 03", []status{{EventInProgress, 10, true}, {EventRegistered, 5, false}}, RecipientInProgress, []bool{false, true}},
		{"06 then a late 03", []status{{EventCompleted, 10, true}, {EventRegistered, 20, false}}, RecipientCompleted, []bool{false, true}},
		{"a repeated status", []status{{EventArrived, 1, true}, {EventArrived, 1, false}}, RecipientArrived, []bool{false}},
		{"05 again, newer", []status{{EventInProgress, 1, true}, {EventInProgress, 2, true}}, RecipientInProgress, []bool{false, false}},
		{"05 again, older", []status{{EventInProgress, 2, true}, {EventInProgress, 1, false}}, RecipientInProgress, []bool{false, true}},
		{"in order", []status{{EventArrived, 1, true}, {EventRegistered, 2, true}, {EventAssigned, 3, true}, {EventCompleted, 4, true}},
			RecipientCompleted, []bool{false, false, false, false}},
		{"a return ends the delivery", []status{{EventRejected, 2, true}, {EventArrived, 1, false}}, RecipientRejected, []bool{false, true}},
		{"an answer with nothing asked", []status{{EventChangeAccepted, 1, false}}, RecipientSending, []bool{true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := f.sent(t, "Về việc "+c.name, province)
			for i, s := range c.statuses {
				applied, err := f.applyStatus(t, StatusUpdate{To: "000.00.21.H55", ExternalID: d.ExternalID, Recipient: provinceOrganID,
					Code: string(s.code), Note: c.name, At: t0.Add(time.Duration(s.minutes) * time.Minute)})
				must(t, err)
				if applied != s.applied {
					t.Errorf("status %d (%s) applied %v, want %v", i, s.code, applied, s.applied)
				}
			}
			got := f.trackingOf(t, d.ID, provinceOrganID)
			if got.Status != c.want {
				t.Errorf("status %s, want %s", got.Status, c.want)
			}
			var stale []bool
			for _, h := range got.History {
				stale = append(stale, h.Stale)
			}
			if len(stale) != len(c.wantStale) {
				t.Fatalf("history %+v, want stale flags %v", got.History, c.wantStale)
			}
			for i := range stale {
				if stale[i] != c.wantStale[i] {
					t.Errorf("history %+v, want stale flags %v", got.History, c.wantStale)
				}
			}
		})
	}
}

func TestStatusForAnUnknownDocumentOrRecipient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.sent(t, "Về việc kiểm tra trạng thái lạ", province)
	at := time.Now()
	if _, err := f.applyStatus(t, StatusUpdate{To: "000.00.21.H55", ExternalID: "000.00.21.H55,2026/01/01,99/UBND",
		Recipient: provinceOrganID, Code: "03", At: at}); !errors.Is(err, ErrUnknownDocument) {
		t.Fatalf("status for an unknown document: %v", err)
	}
	if _, err := f.applyStatus(t, StatusUpdate{SenderAgencyID: f.commune, ExternalID: d.ExternalID,
		Recipient: provinceOrganID, Code: "03", At: at}); !errors.Is(err, ErrUnknownDocument) {
		t.Fatalf("status for a document of another agency: %v", err)
	}
	if _, err := f.applyStatus(t, StatusUpdate{SenderAgencyID: f.district, ExternalID: d.ExternalID,
		Recipient: "000.99.99.H55", Code: "03", At: at}); !errors.Is(err, ErrUnknownRecipient) {
		t.Fatalf("status from an agency that is not a recipient: %v", err)
	}
	if _, err := f.applyStatus(t, StatusUpdate{SenderAgencyID: f.district, ExternalID: d.ExternalID,
		Recipient: provinceOrganID, Code: "13", At: at}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a code a recipient does not report: %v", err)
	}
	if tr, err := TrackingByExternalID(context.Background(), f.pool, "000.00.21.H55", d.ExternalID); err != nil || len(tr) != 1 || tr[0].OrganID != provinceOrganID {
		t.Fatalf("tracking by DocumentId: %+v, %v", tr, err)
	}
	if _, err := TrackingByExternalID(context.Background(), f.pool, "000.21.21.H55", d.ExternalID); !errors.Is(err, ErrUnknownDocument) {
		t.Fatalf("tracking of a document another agency sent: %v", err)
	}
}

// A local hand-off feeds the sender's tracking through the same rule, with history.
func TestHandOffStatusesKeepHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	commune := Recipient{AgencyID: f.commune, OrganID: "000.21.21.H55", Name: "UBND xã Yên Ninh"}
	d := f.sent(t, "Về việc báo cáo tiến độ giải ngân", commune)
	copyID := f.copyIn(t, f.commune, d.ID)
	_, err := f.svc.Register(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, copyID, "")
	must(t, err)
	got := f.trackingOf(t, d.ID, commune.OrganID)
	if got.Status != RecipientRegistered || len(got.History) != 2 ||
		got.History[0].Code != EventArrived || got.History[1].Code != EventRegistered || got.History[1].Stale {
		t.Fatalf("tracking after registration: %+v", got)
	}
}

// copyIn returns the copy an agency of this node received of an outgoing document.
func (f *fixture) copyIn(t *testing.T, agencyID, outgoingID int64) int64 {
	t.Helper()
	var id int64
	must(t, f.pool.QueryRow(context.Background(), `SELECT id FROM documents WHERE agency_id = $1 AND source_document_id = $2
		ORDER BY id DESC LIMIT 1`, agencyID, outgoingID).Scan(&id))
	return id
}

// Every status code a page shows has its Vietnamese name.
func TestEveryStatusCodeHasALabel(t *testing.T) {
	t.Parallel()
	for _, c := range []EventCode{EventArrived, EventRejected, EventRegistered, EventAssigned, EventInProgress, EventCompleted,
		StatusRecallRequest, EventChangeAccepted, EventChangeRefused} {
		if c.Label() == "" {
			t.Errorf("status %s has no label", c)
		}
	}
	for code, st := range eventRecipientStatus {
		if _, ranked := statusRank[st]; !ranked {
			t.Errorf("status %s (%s) has no rank", code, st)
		}
	}
}
