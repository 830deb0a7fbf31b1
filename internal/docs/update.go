package docs

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// UpdateInput is the clerk's correction of a sent document (cập nhật): what a decree
// allows to change after issuing, with the reason. Empty fields stay as they are.
type UpdateInput struct {
	Subject       string
	Urgency       Urgency
	DueDate       *time.Time
	AddRecipients []Recipient
	Reason        string
}

// Update corrects the metadata of a sent document and tells its recipients: each
// recipient outside this node gets an update package (business type 2), each local
// copy a change request for its clerk, and each new recipient the document itself.
func (s *Service) Update(ctx context.Context, a Actor, docID int64, in UpdateInput) error {
	in.Reason = strings.TrimSpace(in.Reason)
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		return withDeferredAudit(ctx, tx, func(ctx context.Context) error {
			d, err := s.lockDocument(ctx, tx, a, docID)
			if err != nil {
				return err
			}
			if d.Direction != Outgoing || d.OutgoingState != OutSent {
				return invalid("Chỉ cập nhật được văn bản đi đã phát hành.", "document %d is not a sent outgoing document", d.ID)
			}
			if err := s.require(a, access.OutgoingSend, "văn thư"); err != nil {
				return err
			}
			if in.Reason == "" {
				return invalid("Nhập lý do cập nhật văn bản.", "updating document %d without a reason", d.ID)
			}
			change, changed, err := s.metadataChange(d, in)
			if err != nil {
				return err
			}
			if err := s.saveUpdate(ctx, tx, a, d, change, changed, in); err != nil {
				return err
			}
			return s.announceUpdate(ctx, tx, d, change, in)
		})
	})
}

// metadataChange checks the new metadata and lists what differs, by field, as
// [old, new] for the audit entry.
func (s *Service) metadataChange(d *Record, in UpdateInput) (MetadataChange, map[string]any, error) {
	var c MetadataChange
	changed := map[string]any{}
	next := Document{Type: d.Type, Subject: d.Subject, Urgency: d.Urgency, Secrecy: d.Secrecy, Recipients: in.AddRecipients}
	if subject := strings.TrimSpace(in.Subject); subject != "" && subject != d.Subject {
		c.Subject, next.Subject = subject, subject
		changed["subject"] = []string{d.Subject, subject}
	}
	if in.Urgency != "" && in.Urgency != d.Urgency {
		c.Urgency, next.Urgency = in.Urgency, in.Urgency
		changed["urgency"] = []string{string(d.Urgency), string(in.Urgency)}
	}
	if in.DueDate != nil && (d.DueDate == nil || !in.DueDate.Equal(*d.DueDate)) {
		c.DueDate, next.DueDate = in.DueDate, in.DueDate
		changed["due_date"] = []any{d.DueDate, in.DueDate}
	}
	if err := validateMetadata(&next, s.today(), draftLimits); err != nil {
		return c, nil, err
	}
	if len(changed) == 0 && len(in.AddRecipients) == 0 {
		return c, nil, invalid("Chưa có thay đổi nào để cập nhật.", "update of document %d changes nothing", d.ID)
	}
	return c, changed, nil
}

// saveUpdate writes the new metadata on d (and on the record in memory) with its
// audit entry.
func (s *Service) saveUpdate(ctx context.Context, tx pgx.Tx, a Actor, d *Record, c MetadataChange, changed map[string]any, in UpdateInput) error {
	d.Subject = cmp.Or(c.Subject, d.Subject)
	d.Urgency = cmp.Or(c.Urgency, d.Urgency)
	if c.DueDate != nil {
		d.DueDate = c.DueDate
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET subject = $2, urgency = $3, due_date = $4, updated_at = now() WHERE id = $1`,
		d.ID, d.Subject, d.Urgency, d.DueDate); err != nil {
		return fmt.Errorf("docs: unable to update document %d: %w", d.ID, err)
	}
	var added []string
	for _, r := range in.AddRecipients {
		added = append(added, r.Name)
	}
	return s.audit(ctx, tx, a, "update", d.ID, map[string]any{"reason": in.Reason, "changes": changed, "added_recipients": added})
}

// announceUpdate asks the recipients the document had to apply the change, then
// sends the document to the recipients added.
func (s *Service) announceUpdate(ctx context.Context, tx pgx.Tx, d *Record, c MetadataChange, in UpdateInput) error {
	if err := s.askExternalRecipients(ctx, tx, d, BusinessUpdate, in.Reason); err != nil {
		return err
	}
	if err := s.askLocalCopies(ctx, tx, d, c, in.Reason); err != nil {
		return err
	}
	if err := insertRecipients(ctx, tx, d.ID, in.AddRecipients); err != nil {
		return err
	}
	for _, r := range in.AddRecipients {
		if err := s.deliver(ctx, tx, d, r, BusinessNew, ""); err != nil {
			return err
		}
	}
	return nil
}

// askLocalCopies puts the change before the clerk of each copy handed off to an
// agency of this node.
func (s *Service) askLocalCopies(ctx context.Context, tx pgx.Tx, d *Record, c MetadataChange, reason string) error {
	copies, err := localCopies(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	for _, cp := range copies {
		if err := askRecipient(ctx, tx, d.ID, Recipient{AgencyID: cp.AgencyID}, BusinessUpdate); err != nil {
			return err
		}
		copyDoc, err := s.lockDocument(ctx, tx, Actor{AgencyID: cp.AgencyID}, cp.ID)
		if err != nil {
			return err
		}
		if err := s.requestChange(ctx, tx, copyDoc, BusinessUpdate, reason, c, ""); err != nil {
			return err
		}
	}
	return nil
}
