package docs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// Changes after sending, on the receiving side. A sender that recalls (thu hồi,
// business type 1 or status 13) or updates (cập nhật, business type 2) a document it
// sent asks each recipient; the request waits on the incoming copy
// (document_change_requests) until the clerk accepts it (status 15 back: a recall
// withdraws the copy, an update applies the new metadata, each with its audit entry)
// or refuses it with a reason (16). A copy already handled refuses by itself. A
// replacement (business type 3) needs no answer: the new copy arrives and the old
// one moves to replaced, out of the lists of work.

// ChangeRequest is a recall or an update of a document we received, arriving through
// the exchange.
type ChangeRequest struct {
	AgencyID   int64  // our agency that received the document
	ExternalID string // the document's edXML DocumentId
	From       string // the sender's OrganId
	Business   int    // BusinessRevoke (also for status 13) or BusinessUpdate
	Reason     string
	Update     *Document // for BusinessUpdate: the new metadata
	ReceiptID  string    // the exchange's receipt of the request
}

// MetadataChange is what an update changes of a sent document; empty fields stay.
type MetadataChange struct {
	Subject string     `json:"subject,omitempty"`
	Urgency Urgency    `json:"urgency,omitempty"`
	DueDate *time.Time `json:"due_date,omitempty"`
}

// PendingChange is a request of the sender waiting for the clerk's answer.
type PendingChange struct {
	ID          int64
	Business    int
	Reason      string
	Change      MetadataChange
	RequestedAt time.Time
}

// Label says what the sender asks, in Vietnamese, for the banner of the document page.
func (p *PendingChange) Label() string {
	what := "thu hồi"
	if p.Business == BusinessUpdate {
		what = "cập nhật"
	}
	return "Nơi gửi yêu cầu " + what + " văn bản"
}

// handledNote is the refusal the system answers for a copy already handled.
const handledNote = "Văn bản đã được xử lý xong"

// ReceiveChangeTx records, in the exchange's transaction, a change its sender asks of
// a document we received. A copy that is not there is ErrUnknownDocument (the link
// answers 16 itself); a repeat (same receipt, or the same request still pending) is
// a no-op.
func (s *Service) ReceiveChangeTx(ctx context.Context, tx pgx.Tx, c ChangeRequest) error {
	if c.Business != BusinessRevoke && c.Business != BusinessUpdate {
		return invalid("Loại yêu cầu không hợp lệ.", "business type %d is not a change request", c.Business)
	}
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM documents WHERE agency_id = $1 AND direction = 'incoming'
		AND external_id = $2 AND external_id <> '' AND issuer_organ_id = $3 ORDER BY id DESC LIMIT 1`,
		c.AgencyID, c.ExternalID, c.From).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: no copy of %q from %q in agency %d", ErrUnknownDocument, c.ExternalID, c.From, c.AgencyID)
	}
	if err != nil {
		return fmt.Errorf("docs: unable to find the copy a change is asked of: %w", err)
	}
	return withDeferredAudit(ctx, tx, func(ctx context.Context) error {
		d, err := s.lockDocument(ctx, tx, Actor{AgencyID: c.AgencyID}, id)
		if err != nil {
			return err
		}
		var change MetadataChange
		if c.Update != nil {
			change = MetadataChange{Subject: c.Update.Subject, Urgency: c.Update.Urgency}
		}
		return s.requestChange(ctx, tx, d, c.Business, strings.TrimSpace(c.Reason), change, c.ReceiptID)
	})
}

// requestChange records a change asked of the copy d, locked by the caller, or
// answers it at once when the copy's state decides.
func (s *Service) requestChange(ctx context.Context, tx pgx.Tx, d *Record, business int, reason string, change MetadataChange, receiptID string) error {
	repeat, err := isRepeatedRequest(ctx, tx, d.ID, business, reason, change, receiptID)
	if err != nil || repeat {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE document_change_requests SET state = 'superseded', answered_at = now()
		WHERE document_id = $1 AND state = 'pending'`, d.ID); err != nil {
		return fmt.Errorf("docs: unable to supersede a change request: %w", err)
	}
	body, err := json.Marshal(change)
	if err != nil {
		return fmt.Errorf("docs: unable to encode a change: %w", err)
	}
	code, note, decided := automaticAnswer(d, business)
	state := "pending"
	if decided {
		state = map[EventCode]string{EventChangeAccepted: "accepted", EventChangeRefused: "refused"}[code]
	}
	if _, err := tx.Exec(ctx, `INSERT INTO document_change_requests
			(document_id, business, reason, changes, receipt_id, state, answered_at, answer_note)
		VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 = 'pending' THEN NULL ELSE now() END, $7)`,
		d.ID, business, reason, body, receiptID, state, note); err != nil {
		return fmt.Errorf("docs: unable to record the change request: %w", err)
	}
	if err := s.audit(ctx, tx, Actor{AgencyID: d.AgencyID}, "change_request", d.ID,
		map[string]any{"business": business, "reason": reason, "answer": string(code)}); err != nil {
		return err
	}
	if !decided {
		return nil
	}
	return s.answerSender(ctx, tx, d, code, note)
}

// isRepeatedRequest tells a request already recorded: the same receipt, or the same
// request still waiting.
func isRepeatedRequest(ctx context.Context, tx pgx.Tx, docID int64, business int, reason string, change MetadataChange, receiptID string) (bool, error) {
	body, err := json.Marshal(change)
	if err != nil {
		return false, fmt.Errorf("docs: unable to encode a change: %w", err)
	}
	var repeat bool
	err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM document_change_requests WHERE document_id = $1
		AND ((receipt_id <> '' AND receipt_id = $2)
		  OR (state = 'pending' AND business = $3 AND reason = $4 AND changes = $5::jsonb)))`,
		docID, receiptID, business, reason, body).Scan(&repeat)
	if err != nil {
		return false, fmt.Errorf("docs: unable to look for a repeated change request: %w", err)
	}
	return repeat, nil
}

// automaticAnswer is the answer a copy's state gives without the clerk: a copy
// handled to the end refuses, a copy already out of circulation agrees to a recall
// and refuses an update.
func automaticAnswer(d *Record, business int) (EventCode, string, bool) {
	switch d.IncomingState {
	case InCompleted, InFiled, InReplaced:
		return EventChangeRefused, handledNote, true
	case InRejected, InRecalled:
		if business == BusinessRevoke {
			return EventChangeAccepted, "", true
		}
		return EventChangeRefused, "Văn bản đã được trả lại hoặc đã thu hồi", true
	}
	return "", "", false
}

// answerSender sends the answer to a change to the sender: at once to a sender of
// this node (hand-off), as a status package otherwise.
func (s *Service) answerSender(ctx context.Context, tx pgx.Tx, d *Record, code EventCode, note string) error {
	if d.SourceDocumentID != 0 {
		_, err := applyRecipientEvent(ctx, tx, recipientEvent{DocumentID: d.SourceDocumentID, AgencyID: d.AgencyID,
			Code: code, At: s.now(), Note: note})
		return err
	}
	return s.queueExchange(ctx, tx, SendStatusArgs{AgencyID: d.AgencyID, DocumentID: d.ID, To: d.IssuerOrganID,
		ResponseFor: d.ExternalID, Code: string(code), Note: note, At: s.now()})
}

// PendingChangeOf returns the change waiting on a copy, or nil. The caller has
// checked that the reader may see the document.
func PendingChangeOf(ctx context.Context, db store.DB, docID int64) (*PendingChange, error) {
	return pendingChange(ctx, db, docID, "")
}

func pendingChange(ctx context.Context, db store.DB, docID int64, lock string) (*PendingChange, error) {
	var p PendingChange
	var body []byte
	err := db.QueryRow(ctx, `SELECT id, business, reason, changes, requested_at FROM document_change_requests
		WHERE document_id = $1 AND state = 'pending'`+lock, docID).Scan(&p.ID, &p.Business, &p.Reason, &body, &p.RequestedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the pending change: %w", err)
	}
	if err := json.Unmarshal(body, &p.Change); err != nil {
		return nil, fmt.Errorf("docs: change request %d has a bad body: %w", p.ID, err)
	}
	return &p, nil
}

// AcceptChange carries out the change the sender asks of a received document: a
// recall withdraws the copy (state recalled), an update applies the new metadata;
// the sender gets 15.
func (s *Service) AcceptChange(ctx context.Context, a Actor, docID int64) error {
	return s.answerChange(ctx, a, docID, func(ctx context.Context, tx pgx.Tx, d *Record, p *PendingChange) (EventCode, string, error) {
		if p.Business == BusinessRevoke {
			return EventChangeAccepted, "", s.moveState(ctx, tx, a, incoming, d, "recalled", p.Reason)
		}
		return EventChangeAccepted, "", s.applyMetadataChange(ctx, tx, a, d, p)
	})
}

// RefuseChange refuses, with a reason, the change the sender asks: the sender gets 16.
func (s *Service) RefuseChange(ctx context.Context, a Actor, docID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.answerChange(ctx, a, docID, func(_ context.Context, _ pgx.Tx, d *Record, _ *PendingChange) (EventCode, string, error) {
		if reason == "" {
			return "", "", invalid("Nhập lý do từ chối.", "refusing a change of document %d without a reason", d.ID)
		}
		return EventChangeRefused, reason, nil
	})
}

// answerChange locks the copy (if the clerk may see it) and its pending request,
// lets decide carry the answer out, and closes the request with its audit entry and
// the status for the sender.
func (s *Service) answerChange(ctx context.Context, a Actor, docID int64,
	decide func(context.Context, pgx.Tx, *Record, *PendingChange) (EventCode, string, error)) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		return withDeferredAudit(ctx, tx, func(ctx context.Context) error {
			d, err := s.lockDocument(ctx, tx, a, docID)
			if err != nil {
				return err
			}
			p, err := pendingChange(ctx, tx, d.ID, " FOR UPDATE")
			if err != nil {
				return err
			}
			if p == nil || d.Direction != Incoming {
				return invalid("Văn bản không có yêu cầu thu hồi hoặc cập nhật nào đang chờ.", "document %d has no pending change", d.ID)
			}
			if err := s.require(a, access.IncomingReceive, "văn thư"); err != nil {
				return err
			}
			code, note, err := decide(ctx, tx, d, p)
			if err != nil {
				return err
			}
			return s.closeChange(ctx, tx, a, d, p, code, note)
		})
	})
}

func (s *Service) closeChange(ctx context.Context, tx pgx.Tx, a Actor, d *Record, p *PendingChange, code EventCode, note string) error {
	state := map[EventCode]string{EventChangeAccepted: "accepted", EventChangeRefused: "refused"}[code]
	if _, err := tx.Exec(ctx, `UPDATE document_change_requests SET state = $2, answered_by = $3, answered_at = now(), answer_note = $4
		WHERE id = $1`, p.ID, state, a.UserID, note); err != nil {
		return fmt.Errorf("docs: unable to close the change request: %w", err)
	}
	if err := s.audit(ctx, tx, a, "change_"+state, d.ID, map[string]any{"business": p.Business, "reason": p.Reason, "note": note}); err != nil {
		return err
	}
	return s.answerSender(ctx, tx, d, code, note)
}

// applyMetadataChange writes an accepted update onto the copy, its audit entry
// naming each field with its old and new value. The sender's deadline is not ours:
// a due date is not applied.
func (s *Service) applyMetadataChange(ctx context.Context, tx pgx.Tx, a Actor, d *Record, p *PendingChange) error {
	next := d.Document
	changed := map[string]any{}
	if p.Change.Subject != "" && p.Change.Subject != d.Subject {
		next.Subject = p.Change.Subject
		changed["subject"] = []string{d.Subject, next.Subject}
	}
	if p.Change.Urgency != "" && p.Change.Urgency != d.Urgency {
		next.Urgency = p.Change.Urgency
		changed["urgency"] = []string{string(d.Urgency), string(next.Urgency)}
	}
	next.DueDate = nil
	if err := validateMetadata(&next, s.today(), receivedLimits); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET subject = $2, urgency = $3, updated_at = now() WHERE id = $1`,
		d.ID, next.Subject, next.Urgency); err != nil {
		return fmt.Errorf("docs: unable to apply the update: %w", err)
	}
	return s.audit(ctx, tx, a, "update", d.ID, map[string]any{"reason": p.Reason, "changes": changed})
}

// supersede moves the copy, in the replacement's agency, that the replacement
// supersedes (chosen by where, with $1 the agency) to replaced, linking both ways;
// nothing happens when no such copy is still in circulation.
func (s *Service) supersede(ctx context.Context, tx pgx.Tx, replacement *Document, where string, args ...any) error {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM documents WHERE agency_id = $1 AND direction = 'incoming'
		AND incoming_state NOT IN ('rejected', 'recalled', 'replaced') AND id <> $`+fmt.Sprint(len(args)+2)+` AND `+where+`
		ORDER BY id DESC LIMIT 1`, append(append([]any{replacement.AgencyID}, args...), replacement.ID)...).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("docs: unable to find the replaced copy: %w", err)
	}
	old, err := s.lockDocument(ctx, tx, Actor{AgencyID: replacement.AgencyID}, id)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET replaced_by_id = $2 WHERE id = $1`, old.ID, replacement.ID); err != nil {
		return fmt.Errorf("docs: unable to link the replaced copy: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET replaces_id = $2 WHERE id = $1`, replacement.ID, old.ID); err != nil {
		return fmt.Errorf("docs: unable to link the replacement: %w", err)
	}
	note := "Thay thế bằng văn bản " + cmp.Or(replacement.NumberSymbol(), replacement.Subject)
	return s.moveState(ctx, tx, Actor{AgencyID: old.AgencyID}, incoming, old, "replaced", note)
}
