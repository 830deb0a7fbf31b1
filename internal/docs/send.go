package docs

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Send issues the sealed document to its recipients. A recipient that is an agency of
// this same node receives it at once (hand-off: a new incoming document sharing the
// stored files); any other recipient gets an exchange.send_package job, inserted in
// this transaction. A secret document never travels electronically: its recipients
// are marked as sent on paper. Sending a replacement marks the replaced document as
// replaced and tells the external recipients so (business type 3, with the reason).
func (s *Service) Send(ctx context.Context, a Actor, docID int64, note string) error {
	return s.transitionOutgoing(ctx, a, docID, "send", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		recipients, err := Recipients(ctx, tx, d.ID)
		if err != nil {
			return err
		}
		if len(recipients) == 0 {
			return invalid("Văn bản chưa có nơi nhận.", "document %d has no recipients", d.ID)
		}
		business, reason := BusinessNew, ""
		if d.ReplacesID != 0 {
			replaced, err := s.markReplaced(ctx, tx, a, d)
			if err != nil {
				return err
			}
			business, reason = BusinessReplace, replacementReason(replaced, note)
		}
		for _, r := range recipients {
			if err := s.deliver(ctx, tx, d, r.Recipient, business, reason); err != nil {
				return err
			}
		}
		return nil
	})
}

// replacementReason tells the recipients which document the replacement replaces, and
// why when the clerk said so.
func replacementReason(replaced *Record, note string) string {
	reason := "Thay thế văn bản số " + replaced.NumberSymbol()
	if note = strings.TrimSpace(note); note != "" {
		reason += ": " + note
	}
	return reason
}

func (s *Service) deliver(ctx context.Context, tx pgx.Tx, d *Record, r Recipient, business int, reason string) error {
	switch {
	case d.Secrecy.Secret():
		return setRecipientStatus(ctx, tx, d.ID, r.AgencyID, r.OrganID, RecipientSent, "Văn bản mật: gửi bản giấy")
	case r.AgencyID != 0:
		if err := setRecipientStatus(ctx, tx, d.ID, r.AgencyID, r.OrganID, RecipientSent, ""); err != nil {
			return err
		}
		return s.handOff(ctx, tx, d, r.AgencyID)
	default:
		return s.queuePackage(ctx, tx, d.ID, r.OrganID, business, reason)
	}
}

// handOff creates the incoming copy of d in a local agency: same metadata, same files
// (stored once), state received, event 01.
func (s *Service) handOff(ctx context.Context, tx pgx.Tx, d *Record, agencyID int64) error {
	in := d.Document
	now := s.now()
	in.ID, in.AgencyID, in.Direction, in.IncomingState, in.OutgoingState = 0, agencyID, Incoming, InReceived, ""
	in.CreatedBy, in.UnitID, in.ArrivalDate, in.Recipients, in.DueDate = 0, 0, &now, nil, nil
	if err := insertDocument(ctx, tx, &in, "", d.ID); err != nil {
		return err
	}
	if d.ReplacesID != 0 {
		if err := s.supersede(ctx, tx, &in, `source_document_id = $2`, d.ReplacesID); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO document_files (document_id, kind, version, blob_id, file_name, media_type, note)
		SELECT $2, f.kind, 1, f.blob_id, f.file_name, f.media_type, ''
		FROM document_files f WHERE f.document_id = $1
		  AND (f.kind = 'attachment' OR (f.kind = 'main' AND f.version = (SELECT max(version) FROM document_files
			WHERE document_id = $1 AND kind = 'main')))`, d.ID, in.ID); err != nil {
		return fmt.Errorf("docs: unable to hand the files over: %w", err)
	}
	rec := &Record{Document: in, SourceDocumentID: d.ID}
	return s.arrived(ctx, tx, Actor{AgencyID: agencyID}, rec)
}

// markReplaced moves the document d replaces to replaced. The drafter who linked it
// could see it (CreateDraft checks); the clerk sending d may not, and need not: the
// move is a consequence of sending d, made by the system in d's agency.
func (s *Service) markReplaced(ctx context.Context, tx pgx.Tx, a Actor, d *Record) (*Record, error) {
	old, err := s.lockDocument(ctx, tx, Actor{AgencyID: d.AgencyID}, d.ReplacesID)
	if err != nil {
		return nil, err
	}
	if old.OutgoingState != OutSent {
		return nil, invalid("Văn bản bị thay thế không còn ở trạng thái đã phát hành.", "replaced document %d is %s", old.ID, old.OutgoingState)
	}
	return old, s.moveState(ctx, tx, a, outgoing, old, "replace", fmt.Sprintf("Thay thế bằng văn bản %s", d.NumberSymbol()))
}

// Recall withdraws a sent document (thu hồi): it and its metadata are frozen in the
// recalled state; local recipients' copies are withdrawn at once (their answer 15 is
// recorded with them), other recipients get a recall through the exchange and answer
// with status 15 or 16.
func (s *Service) Recall(ctx context.Context, a Actor, docID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.transitionOutgoing(ctx, a, docID, "recall", reason, needsText(reason, "Nhập lý do thu hồi văn bản.", func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if err := s.withdrawLocalCopies(ctx, tx, d, reason); err != nil {
			return err
		}
		return s.askExternalRecipients(ctx, tx, d, BusinessRevoke, reason)
	}))
}

// withdrawLocalCopies moves the copies handed off to agencies of this node to
// recalled, each recipient answering 15 in the sender's tracking; a copy already
// filed answers 16, as a recipient through the exchange would.
func (s *Service) withdrawLocalCopies(ctx context.Context, tx pgx.Tx, d *Record, reason string) error {
	copies, err := localCopies(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	for _, c := range copies {
		if err := askRecipient(ctx, tx, d.ID, Recipient{AgencyID: c.AgencyID}, BusinessRevoke); err != nil {
			return err
		}
		code, note := EventChangeAccepted, reason
		if c.State == InFiled {
			code, note = EventChangeRefused, handledNote
		} else if err := s.transitionTx(ctx, tx, Actor{AgencyID: c.AgencyID}, incoming, c.ID, "recalled", reason, nil); err != nil {
			return err
		}
		if _, err := applyRecipientEvent(ctx, tx, recipientEvent{DocumentID: d.ID, AgencyID: c.AgencyID,
			Code: code, At: s.now(), Note: note}); err != nil {
			return err
		}
	}
	return nil
}

// localCopy is an incoming copy handed off from an outgoing document of this node.
type localCopy struct {
	ID, AgencyID int64
	State        IncomingState
}

// localCopies lists the copies of an outgoing document still in circulation.
func localCopies(ctx context.Context, tx pgx.Tx, docID int64) ([]localCopy, error) {
	rows, err := tx.Query(ctx, `SELECT id, agency_id, incoming_state FROM documents WHERE source_document_id = $1
		AND incoming_state NOT IN ('rejected', 'recalled', 'replaced') ORDER BY id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to find the copies: %w", err)
	}
	copies, err := pgx.CollectRows(rows, pgx.RowToStructByPos[localCopy])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the copies: %w", err)
	}
	return copies, nil
}

// askExternalRecipients sends a change (recall or update) to every recipient outside
// this node, which answers later with 15 or 16. A secret document never travels.
func (s *Service) askExternalRecipients(ctx context.Context, tx pgx.Tx, d *Record, business int, reason string) error {
	if d.Secrecy.Secret() {
		return nil
	}
	recipients, err := Recipients(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	for _, r := range recipients {
		if r.AgencyID != 0 {
			continue
		}
		if err := askRecipient(ctx, tx, d.ID, r.Recipient, business); err != nil {
			return err
		}
		if err := s.queuePackage(ctx, tx, d.ID, r.OrganID, business, reason); err != nil {
			return err
		}
	}
	return nil
}
