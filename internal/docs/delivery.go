package docs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// Delivery through the exchange, per recipient outside the node. A step that sends
// a package to a recipient (Send, Recall, Resend) records on the recipient the
// package it queued and inserts its exchange.send_package job in its own
// transaction; the exchange link reports the outcome with MarkSent or MarkFailed in
// the transaction that completes the job.

// queuePackage queues a new package of document docID for an external recipient and
// records it on the recipient, whose delivery is then "sending".
func (s *Service) queuePackage(ctx context.Context, tx pgx.Tx, docID int64, organID string, business int, reason string) error {
	args := SendPackageArgs{DocumentID: docID, Recipient: organID, Business: business, Reason: reason, PackageID: uuid.NewString()}
	if err := recordPackage(ctx, tx, args); err != nil {
		return err
	}
	return s.queueExchange(ctx, tx, args)
}

// recordPackage keeps the package on its recipient and marks the delivery as sending.
func recordPackage(ctx context.Context, tx pgx.Tx, p SendPackageArgs) error {
	tag, err := tx.Exec(ctx, `UPDATE document_recipients SET status = 'sending', status_at = now(), status_note = '',
			package_id = $3, package_business = $4, package_reason = $5, receipt_id = ''
		WHERE document_id = $1 AND organ_id = $2 AND agency_id IS NULL`,
		p.DocumentID, p.Recipient, p.PackageID, p.Business, p.Reason)
	if err != nil {
		return fmt.Errorf("docs: unable to record the package for %s: %w", p.Recipient, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("docs: document %d has no external recipient %q", p.DocumentID, p.Recipient)
	}
	return nil
}

// MarkSent records, in the exchange link's transaction, that the hub acknowledged the
// package for a recipient with its receipt id: a recipient still waiting becomes
// "sent" (đã gửi tới trục); one that already reported a later status keeps it.
func (s *Service) MarkSent(ctx context.Context, tx pgx.Tx, docID int64, recipient, receiptID string) error {
	return markDelivery(ctx, tx, docID, recipient, `UPDATE document_recipients r SET receipt_id = $3,
			status = CASE WHEN r.status IN ('sending', 'failed') THEN 'sent' ELSE r.status END,
			status_note = CASE WHEN r.status IN ('sending', 'failed') THEN '' ELSE r.status_note END,
			status_at = CASE WHEN r.status IN ('sending', 'failed') THEN now() ELSE r.status_at END`, receiptID)
}

// MarkFailed records, in the exchange link's transaction, that the package for a
// recipient could not be delivered after all its attempts, or was refused: the
// delivery is "failed" with the reason (Vietnamese when it is ours, the hub's
// message otherwise), and the clerk may send it again (Resend).
func (s *Service) MarkFailed(ctx context.Context, tx pgx.Tx, docID int64, recipient, reason string) error {
	return markDelivery(ctx, tx, docID, recipient, `UPDATE document_recipients r SET status = 'failed', status_at = now(),
			status_note = $3`, reason)
}

// markDelivery runs an update of one external recipient of an outgoing document
// (set is the statement up to its WHERE clause, $3 its value).
func markDelivery(ctx context.Context, tx pgx.Tx, docID int64, recipient, set, value string) error {
	tag, err := tx.Exec(ctx, set+` FROM documents d
		WHERE d.id = r.document_id AND d.direction = 'outgoing' AND r.document_id = $1 AND r.organ_id = $2
		  AND r.agency_id IS NULL`, docID, recipient, value)
	if err != nil {
		return fmt.Errorf("docs: unable to record the delivery to %s: %w", recipient, err)
	}
	if tag.RowsAffected() == 0 {
		return &Error{Kind: ErrNotFound, Message: "Văn bản không có nơi nhận này.",
			Detail: fmt.Sprintf("outgoing document %d has no external recipient %q", docID, recipient)}
	}
	return nil
}

// Resend is the clerk's "Gửi lại" for a recipient whose delivery failed: the same
// package (same package id, business type and reason) is queued again, so that a
// copy that did arrive is answered as a duplicate. It needs what Send needs: a
// document the actor sees and the permission to send.
func (s *Service) Resend(ctx context.Context, a Actor, docID int64, recipient string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockDocument(ctx, tx, a, docID)
		if err != nil {
			return err
		}
		if d.Direction != Outgoing {
			return invalid("Chỉ gửi lại được văn bản đi.", "document %d is not outgoing", docID)
		}
		if err := s.require(a, access.OutgoingSend, "văn thư"); err != nil {
			return err
		}
		p, err := failedPackage(ctx, tx, docID, recipient)
		if err != nil {
			return err
		}
		if err := recordPackage(ctx, tx, p); err != nil {
			return err
		}
		if err := s.queueExchange(ctx, tx, p); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "resend", docID, map[string]any{"recipient": recipient, "package_id": p.PackageID})
	})
}

// failedPackage reads the package whose delivery to a recipient failed.
func failedPackage(ctx context.Context, tx pgx.Tx, docID int64, recipient string) (SendPackageArgs, error) {
	p := SendPackageArgs{DocumentID: docID, Recipient: recipient}
	var status RecipientStatus
	err := tx.QueryRow(ctx, `SELECT status, package_id, package_business, package_reason FROM document_recipients
		WHERE document_id = $1 AND organ_id = $2 AND agency_id IS NULL`, docID, recipient).
		Scan(&status, &p.PackageID, &p.Business, &p.Reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, &Error{Kind: ErrNotFound, Message: "Văn bản không có nơi nhận này.",
			Detail: fmt.Sprintf("document %d has no external recipient %q", docID, recipient)}
	}
	if err != nil {
		return p, fmt.Errorf("docs: unable to read the delivery to %s: %w", recipient, err)
	}
	if status != RecipientFailed || p.PackageID == "" {
		return p, &Error{Kind: ErrIllegalTransition, Message: "Chỉ gửi lại được khi việc gửi tới nơi nhận này đã thất bại.",
			Detail: fmt.Sprintf("delivery of document %d to %q is %s", docID, recipient, status)}
	}
	return p, nil
}

// StatusUndelivered records, in the exchange link's transaction, that a status
// package used all its attempts: the reporting agency's clerk need not act (the
// operator sees the job among the queue's failures), but the document's audit trail
// keeps that its sender was not told.
func (s *Service) StatusUndelivered(ctx context.Context, tx pgx.Tx, st SendStatusArgs, reason string) error {
	return s.audit(ctx, tx, Actor{AgencyID: st.AgencyID}, "status_undelivered", st.DocumentID,
		map[string]any{"to": st.To, "code": st.Code, "package_id": st.PackageID, "reason": reason})
}
