package docs

import (
	"context"

	"github.com/jackc/pgx/v5"

	"edms/internal/notify"
)

// notifyStep tells the person a step of the document's flow leaves waiting: the
// drafter of a returned draft, the signer of a draft submitted for signature.
func (s *Service) notifyStep(ctx context.Context, tx pgx.Tx, d *Record, action, note string) error {
	switch action {
	case "return", "return_signature":
		text := "Dự thảo bị trả lại: " + d.Subject
		if note != "" {
			text += " — " + note
		}
		return s.notifyUser(ctx, tx, d.CreatedBy, d, notify.Returned, text)
	case "submit_signature":
		return s.notifyUser(ctx, tx, d.Signer.UserID, d, notify.ToSign, "Văn bản chờ bạn ký: "+d.Subject)
	}
	return nil
}

// notifyAssigned tells a person that a document was given to them to handle.
func (s *Service) notifyAssigned(ctx context.Context, tx pgx.Tx, userID int64, d *Record) error {
	return s.notifyUser(ctx, tx, userID, d, notify.Assigned, "Văn bản được giao cho bạn xử lý: "+d.Subject)
}

// notifyUser notifies userID (0: nobody) about d in the step's transaction; the
// e-mail, if they want one at once, is queued with it.
func (s *Service) notifyUser(ctx context.Context, tx pgx.Tx, userID int64, d *Record, kind notify.Kind, text string) error {
	if userID == 0 {
		return nil
	}
	return notify.Notify(ctx, tx, s.Queue, userID, &d.ID, kind, text)
}
