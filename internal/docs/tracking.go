package docs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// The sender's tracking of an outgoing document: each recipient's current status and
// the history of every status it reported (document_recipient_events). Statuses may
// arrive out of order through the exchange, so a status applies only when it moves
// the recipient forward: codes rank 01 < 03 < 04 < 05 < 06, a return (02) and an
// accepted recall end the delivery; a status that ranks lower than the one applied,
// or the same with an older Timestamp, stays in the history marked stale (a late 03
// never overwrites a 06). The same (code, Timestamp) is recorded once. The answers
// 15/16 answer the change (recall, update) the sender last asked of that recipient.

// statusRank orders the delivery statuses; a status missing here ranks 0 (pending,
// sent, and what the sending side records before any answer).
var statusRank = map[RecipientStatus]int{
	RecipientArrived: 1, RecipientRegistered: 2, RecipientAssigned: 3, RecipientInProgress: 4,
	RecipientCompleted: 5, RecipientRejected: 6, RecipientRecalled: 7,
}

// statusLabels names the edXML status codes in Vietnamese.
var statusLabels = map[EventCode]string{
	EventArrived: "Đã đến", EventRejected: "Từ chối tiếp nhận", EventRegistered: "Đã tiếp nhận (vào sổ)",
	EventAssigned: "Đã phân công xử lý", EventInProgress: "Đang xử lý", EventCompleted: "Đã hoàn thành",
	StatusRecallRequest: "Yêu cầu thu hồi", EventChangeAccepted: "Đồng ý thu hồi / cập nhật",
	EventChangeRefused: "Từ chối thu hồi / cập nhật",
}

// Label returns the Vietnamese name of a status code ("" for an unknown one).
func (c EventCode) Label() string { return statusLabels[c] }

// StatusUpdate is a status package about one of our outgoing documents, returned by
// one of its recipients through the exchange.
type StatusUpdate struct {
	SenderAgencyID int64     // our agency that sent the document; 0: find it by To
	To             string    // the OrganId the status is addressed to (our agency)
	ExternalID     string    // the document's edXML DocumentId (ResponseFor)
	Recipient      string    // the OrganId of the recipient that reports
	Code           string    // 01–06, 15, 16
	Note           string    // the description or reason
	ReceiptID      string    // the exchange's receipt of the status package
	At             time.Time // the status's Timestamp; zero: now
}

// ApplyStatusTx records a status package in the exchange's transaction. It reports
// whether the status changed the recipient's current status (or answered its pending
// change); a stale or repeated status is kept in the history (once) without effect.
// A document we did not send is ErrUnknownDocument, an agency that is not one of its
// recipients ErrUnknownRecipient.
func (s *Service) ApplyStatusTx(ctx context.Context, tx pgx.Tx, u StatusUpdate) (bool, error) {
	code := EventCode(u.Code)
	if _, ok := eventRecipientStatus[code]; !ok && code != EventChangeAccepted && code != EventChangeRefused {
		return false, invalid("Mã trạng thái không hợp lệ.", "status code %q is not one a recipient reports", u.Code)
	}
	if u.At.IsZero() { // a status package without its Timestamp: when it reached us
		u.At = s.now()
	}
	docID, err := findOutgoing(ctx, tx, u.SenderAgencyID, u.To, u.ExternalID)
	if err != nil {
		return false, err
	}
	return applyRecipientEvent(ctx, tx, recipientEvent{DocumentID: docID, OrganID: u.Recipient, Code: code,
		At: u.At, Note: u.Note, ReceiptID: u.ReceiptID})
}

// findOutgoing finds our outgoing document with an edXML DocumentId, sent by the
// agency senderAgencyID or, when it is 0, by our agency whose OrganId is organID.
func findOutgoing(ctx context.Context, db store.DB, senderAgencyID int64, organID, externalID string) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT id FROM documents
		WHERE agency_id = CASE WHEN $1 <> 0 THEN $1 ELSE (SELECT id FROM agencies WHERE organ_id = $2) END
		  AND direction = 'outgoing' AND external_id = $3 AND external_id <> ''
		ORDER BY id DESC LIMIT 1`, senderAgencyID, organID, externalID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("%w: no outgoing document %q of %q", ErrUnknownDocument, externalID, organID)
	}
	if err != nil {
		return 0, fmt.Errorf("docs: unable to find an outgoing document by its DocumentId: %w", err)
	}
	return id, nil
}

// recipientEvent is a status reported by one recipient of an outgoing document, found
// by its local agency id (a hand-off) or its OrganId (the exchange).
type recipientEvent struct {
	DocumentID int64
	AgencyID   int64
	OrganID    string
	Code       EventCode
	At         time.Time
	Note       string
	ReceiptID  string
}

// recipientRow is what applying a status needs to know of the recipient, locked.
type recipientRow struct {
	ord            int
	status         RecipientStatus
	at             time.Time
	changeBusiness int
	changeAnswer   string
}

// applyRecipientEvent records e in the recipient's history and applies it unless it
// is stale; it reports whether it applied. A repeat is not recorded again.
func applyRecipientEvent(ctx context.Context, tx pgx.Tx, e recipientEvent) (bool, error) {
	var r recipientRow
	err := tx.QueryRow(ctx, `SELECT ord, status, status_at, change_business, change_answer FROM document_recipients
		WHERE document_id = $1 AND ((agency_id IS NOT NULL AND agency_id = $2) OR (organ_id <> '' AND organ_id = $3))
		ORDER BY ord LIMIT 1 FOR UPDATE`, e.DocumentID, e.AgencyID, e.OrganID).
		Scan(&r.ord, &r.status, &r.at, &r.changeBusiness, &r.changeAnswer)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("%w: document %d has no recipient %d/%q", ErrUnknownRecipient, e.DocumentID, e.AgencyID, e.OrganID)
	}
	if err != nil {
		return false, fmt.Errorf("docs: unable to read the recipient: %w", err)
	}
	stale := r.isStale(e)
	tag, err := tx.Exec(ctx, `INSERT INTO document_recipient_events (document_id, recipient_ord, code, at, note, receipt_id, stale)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (document_id, recipient_ord, code, at) DO NOTHING`,
		e.DocumentID, r.ord, e.Code, e.At, e.Note, e.ReceiptID, stale)
	if err != nil {
		return false, fmt.Errorf("docs: unable to record the status: %w", err)
	}
	if tag.RowsAffected() == 0 || stale {
		return false, nil
	}
	return true, r.apply(ctx, tx, e)
}

// isStale tells a status that must not change the recipient's current state: a
// lifecycle status below the applied one (or the same, not newer), an answer when no
// change waits for one.
func (r recipientRow) isStale(e recipientEvent) bool {
	st, lifecycle := eventRecipientStatus[e.Code]
	if !lifecycle {
		return r.changeBusiness == 0 || r.changeAnswer != ""
	}
	next, cur := statusRank[st], statusRank[r.status]
	return next < cur || (next == cur && !e.At.After(r.at))
}

// apply makes a status that is not stale the recipient's current one: a lifecycle
// status becomes its status; an answer answers the pending change, and an accepted
// recall also ends the delivery.
func (r recipientRow) apply(ctx context.Context, tx pgx.Tx, e recipientEvent) error {
	st, lifecycle := eventRecipientStatus[e.Code]
	if !lifecycle && e.Code == EventChangeAccepted && r.changeBusiness == BusinessRevoke {
		st, lifecycle = RecipientRecalled, true
	}
	answer := ""
	if e.Code == EventChangeAccepted || e.Code == EventChangeRefused {
		answer = string(e.Code)
	}
	_, err := tx.Exec(ctx, `UPDATE document_recipients SET
			status = CASE WHEN $3 THEN $4 ELSE status END,
			status_at = CASE WHEN $3 THEN $5 ELSE status_at END,
			status_note = CASE WHEN $3 THEN $6 ELSE status_note END,
			change_answer = CASE WHEN $7 <> '' THEN $7 ELSE change_answer END,
			change_note = CASE WHEN $7 <> '' THEN $6 ELSE change_note END
		WHERE document_id = $1 AND ord = $2`, e.DocumentID, r.ord, lifecycle, st, e.At, e.Note, answer)
	if err != nil {
		return fmt.Errorf("docs: unable to apply status %s: %w", e.Code, err)
	}
	return nil
}

// askRecipient records that the sender asked a recipient for a change (recall or
// update): the answer (15/16) is awaited from it.
func askRecipient(ctx context.Context, tx pgx.Tx, docID int64, r Recipient, business int) error {
	_, err := tx.Exec(ctx, `UPDATE document_recipients SET change_business = $4, change_answer = '', change_note = ''
		WHERE document_id = $1 AND ((agency_id IS NOT NULL AND agency_id = $2) OR (organ_id <> '' AND organ_id = $3))`,
		docID, r.AgencyID, r.OrganID, business)
	if err != nil {
		return fmt.Errorf("docs: unable to record the change asked of %s: %w", r.Name, err)
	}
	return nil
}

// StatusEvent is one status in a recipient's history.
type StatusEvent struct {
	Code       EventCode
	At         time.Time // the status's Timestamp, or when the event happened
	RecordedAt time.Time
	Note       string
	ReceiptID  string
	Stale      bool // arrived late: kept, not applied
}

// RecipientTracking is one recipient of an outgoing document: where delivery stands,
// the change last asked of it with its answer, and its statuses in the order they
// were recorded.
type RecipientTracking struct {
	RecipientState
	ChangeBusiness int    // 0 none, BusinessRevoke, BusinessUpdate
	ChangeAnswer   string // "", "15", "16"
	ChangeNote     string // the reason of a refusal
	History        []StatusEvent
}

// ChangeLabel says in Vietnamese where the change asked of the recipient stands:
// "Chờ trả lời yêu cầu thu hồi", "Đồng ý cập nhật", "Từ chối thu hồi: lý do"; "" when
// nothing was asked.
func (t RecipientTracking) ChangeLabel() string {
	what := map[int]string{BusinessRevoke: "thu hồi", BusinessUpdate: "cập nhật"}[t.ChangeBusiness]
	switch {
	case what == "":
		return ""
	case t.ChangeAnswer == string(EventChangeAccepted):
		return "Đồng ý " + what
	case t.ChangeAnswer == string(EventChangeRefused) && t.ChangeNote != "":
		return "Từ chối " + what + ": " + t.ChangeNote
	case t.ChangeAnswer == string(EventChangeRefused):
		return "Từ chối " + what
	}
	return "Chờ trả lời yêu cầu " + what
}

// Tracking lists the recipients of an outgoing document with their change and
// history. The caller has checked that the reader may see the document.
func Tracking(ctx context.Context, db store.DB, docID int64) ([]RecipientTracking, error) {
	recipients, err := Recipients(ctx, db, docID)
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT coalesce(r.agency_id, 0), r.organ_id, r.change_business, r.change_answer, r.change_note,
			coalesce(h.history, '[]')
		FROM document_recipients r
		LEFT JOIN LATERAL (SELECT json_agg(json_build_object('Code', e.code, 'At', e.at, 'RecordedAt', e.recorded_at,
				'Note', e.note, 'ReceiptID', e.receipt_id, 'Stale', e.stale) ORDER BY e.id) AS history
			FROM document_recipient_events e WHERE e.document_id = r.document_id AND e.recipient_ord = r.ord) h ON true
		WHERE r.document_id = $1`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the tracking: %w", err)
	}
	type key struct {
		agencyID int64
		organID  string
	}
	changes := map[key]RecipientTracking{}
	var k key
	var t RecipientTracking
	_, err = pgx.ForEachRow(rows, []any{&k.agencyID, &k.organID, &t.ChangeBusiness, &t.ChangeAnswer, &t.ChangeNote, &t.History},
		func() error {
			changes[k], t = t, RecipientTracking{}
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the tracking: %w", err)
	}
	out := make([]RecipientTracking, 0, len(recipients))
	for _, r := range recipients {
		t := changes[key{r.AgencyID, r.OrganID}]
		t.RecipientState = r
		out = append(out, t)
	}
	return out, nil
}

// TrackingByExternalID is Tracking for the outgoing document with an edXML
// DocumentId sent by our agency organID, for the exchange's tracking API (which
// checks who may ask). A document we did not send is ErrUnknownDocument.
func TrackingByExternalID(ctx context.Context, db store.DB, organID, externalID string) ([]RecipientTracking, error) {
	id, err := findOutgoing(ctx, db, 0, organID, externalID)
	if err != nil {
		return nil, err
	}
	return Tracking(ctx, db, id)
}
