package docs

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// outgoing is the outgoing state machine (Điều 10–19). "replace" is the system's
// step: sending a replacement moves the replaced document (Send).
var outgoing = newMachine(Outgoing, "outgoing_state", func(d *Record) OutgoingState { return d.OutgoingState },
	[]stateLabel[OutgoingState]{
		{OutDraft, "Dự thảo"}, {OutInReview, "Chờ lãnh đạo đơn vị duyệt"}, {OutReturned, "Bị trả lại để sửa"},
		{OutApproved, "Đã duyệt"}, {OutPendingSignature, "Chờ ký"}, {OutSigned, "Đã ký, chờ cấp số"},
		{OutNumbered, "Đã cấp số, chờ ký số cơ quan"}, {OutSealed, "Chờ phát hành"}, {OutSent, "Đã phát hành"},
		{OutRecalled, "Đã thu hồi"}, {OutReplaced, "Đã bị thay thế"},
	},
	[]transition{
		newTransition("submit", []OutgoingState{OutDraft, OutReturned}, OutInReview, access.OutgoingDraft, "người soạn thảo", "trình duyệt"),
		newTransition("return", []OutgoingState{OutInReview, OutApproved}, OutReturned, access.OutgoingApprove, "lãnh đạo đơn vị soạn thảo hoặc lãnh đạo cơ quan", "trả lại để sửa"),
		newTransition("approve", []OutgoingState{OutInReview}, OutApproved, access.OutgoingApprove, "lãnh đạo đơn vị soạn thảo", "duyệt"),
		newTransition("submit_signature", []OutgoingState{OutApproved}, OutPendingSignature, access.OutgoingApprove, "lãnh đạo đơn vị soạn thảo", "trình ký"),
		newTransition("return_signature", []OutgoingState{OutPendingSignature}, OutReturned, access.OutgoingSign, "người có thẩm quyền ký", "trả lại để sửa"),
		newTransition("sign", []OutgoingState{OutPendingSignature}, OutSigned, access.OutgoingSign, "người có thẩm quyền ký", "ký ban hành"),
		newTransition("issue", []OutgoingState{OutSigned}, OutNumbered, access.OutgoingIssue, "văn thư", "cấp số"),
		newTransition("seal", []OutgoingState{OutNumbered}, OutSealed, access.OutgoingSeal, "văn thư", "ký số của cơ quan"),
		newTransition("send", []OutgoingState{OutSealed}, OutSent, access.OutgoingSend, "văn thư", "phát hành"),
		newTransition("recall", []OutgoingState{OutSent}, OutRecalled, access.OutgoingRecall, "lãnh đạo hoặc văn thư", "thu hồi"),
		newTransition("replace", []OutgoingState{OutSent}, OutReplaced, access.OutgoingSend, "văn thư (khi phát hành văn bản thay thế)", "thay thế"),
	})

// Label returns the Vietnamese name of the state.
func (s OutgoingState) Label() string { return outgoing.labels[string(s)] }

// DraftInput is a new outgoing draft: its metadata and its main file.
type DraftInput struct {
	Document
	File       FileInput
	RequestKey string // the form's one-time key; a double submit is refused
	ReplacesID int64  // the sent document this one replaces (văn bản thay thế), if any
	// Composed: the file was laid out from the typed content (ComposePDF), and is laid
	// out again with the signer's block when signed without a signing hook.
	Composed bool
}

// CreateDraft creates an outgoing draft in the actor's agency and unit.
func (s *Service) CreateDraft(ctx context.Context, a Actor, in DraftInput) (int64, error) {
	if err := s.require(a, access.OutgoingDraft, "người có quyền soạn thảo"); err != nil {
		return 0, err
	}
	d := in.Document
	if err := validateMetadata(&d, s.today(), draftLimits); err != nil {
		return 0, err
	}
	if in.File.Content == nil {
		return 0, invalidField("file", "Chưa có tệp dự thảo.", "draft without a main file")
	}
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		unit, err := membershipUnit(ctx, tx, a)
		if err != nil {
			return err
		}
		if err := s.checkReplaced(ctx, tx, a, in.ReplacesID); err != nil {
			return err
		}
		d.ID, d.AgencyID, d.Direction, d.UnitID, d.CreatedBy = 0, a.AgencyID, Outgoing, unit, a.UserID
		d.OutgoingState, d.CodeNumber, d.CodeNotation, d.IssuedDate = OutDraft, "", "", nil
		if err := insertDocument(ctx, tx, &d, in.RequestKey, 0); err != nil {
			return err
		}
		if in.ReplacesID != 0 {
			if _, err := tx.Exec(ctx, `UPDATE documents SET replaces_id = $1 WHERE id = $2`, in.ReplacesID, d.ID); err != nil {
				return fmt.Errorf("docs: unable to link the replaced document: %w", err)
			}
		}
		note := "Dự thảo ban đầu"
		if in.Composed {
			note = ComposedNote
		}
		if err := s.addDraftVersion(ctx, tx, d.ID, in.File, a.UserID, note); err != nil {
			return err
		}
		if err := recordTransition(ctx, tx, d.ID, "", string(OutDraft), "create", a.UserID, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "create", d.ID, map[string]any{"direction": "outgoing", "type": d.Type})
	})
	return d.ID, err
}

func (s *Service) checkReplaced(ctx context.Context, tx pgx.Tx, a Actor, id int64) error {
	if id == 0 {
		return nil
	}
	old, err := s.lockDocument(ctx, tx, a, id)
	if err != nil {
		return err
	}
	if old.Direction != Outgoing || old.OutgoingState != OutSent {
		return invalid("Chỉ thay thế được văn bản đi đã phát hành.", "document %d is not a sent outgoing document", id)
	}
	return nil
}

// addDraftVersion stores a new main version; a DOCX gets a conversion job to PDF.
func (s *Service) addDraftVersion(ctx context.Context, tx pgx.Tx, docID int64, in FileInput, actorID int64, note string) error {
	if in.MediaType == MediaDOCX && !s.Converter.Available() {
		return &Error{Kind: ErrInvalid, Message: "Máy chủ chưa cài LibreOffice nên không chuyển được tệp DOCX sang PDF; vui lòng tải lên bản PDF.",
			Detail: ErrNoConverter.Error()}
	}
	f, err := addMainVersion(ctx, tx, docID, in, actorID, note, s.maxFileSize())
	if err != nil {
		return err
	}
	if f.MediaType == MediaDOCX {
		return s.queueConversion(ctx, tx, docID, f.ID)
	}
	return nil
}

// AddVersion stores a revised main file of a draft, with a note of what changed. The
// drafter revises a draft or a returned document; the reviewer may revise during review.
func (s *Service) AddVersion(ctx context.Context, a Actor, docID int64, in FileInput, note string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := s.lockRevisable(ctx, tx, a, docID); err != nil {
			return err
		}
		if err := s.addDraftVersion(ctx, tx, docID, in, a.UserID, note); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "version", docID, map[string]any{"note": note})
	})
}

// AddAttachment attaches a file (phụ lục) to an outgoing document before its number
// is issued.
func (s *Service) AddAttachment(ctx context.Context, a Actor, docID int64, in FileInput, note string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockDocument(ctx, tx, a, docID)
		if err != nil {
			return err
		}
		if d.Direction != Outgoing || !slices.Contains([]OutgoingState{OutDraft, OutReturned, OutInReview}, d.OutgoingState) {
			return invalid("Chỉ thêm phụ lục khi văn bản còn là dự thảo.", "document %d is past drafting", docID)
		}
		if _, err := addFile(ctx, tx, docID, KindAttachment, 1, in, a.UserID, note, s.maxFileSize()); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "attach", docID, map[string]any{"name": in.Name})
	})
}

func (s *Service) transitionOutgoing(ctx context.Context, a Actor, docID int64, action, note string, step stepFunc) error {
	return s.transition(ctx, a, outgoing, docID, action, note, step)
}

// Submit sends a draft (or a revised returned document) to the unit head for review.
func (s *Service) Submit(ctx context.Context, a Actor, docID int64, note string) error {
	return s.transitionOutgoing(ctx, a, docID, "submit", note, func(_ context.Context, _ pgx.Tx, d *Record) error {
		if d.CreatedBy != a.UserID {
			return forbidden("Chỉ người soạn thảo được trình dự thảo này.", "user %d did not draft document %d", a.UserID, d.ID)
		}
		return nil
	})
}

// Return sends a document under review, or approved and not yet submitted for
// signature, back to its drafter with comments; the agency's leaders may return any
// unit's draft.
func (s *Service) Return(ctx context.Context, a Actor, docID int64, comments string) error {
	return s.transitionOutgoing(ctx, a, docID, "return", comments, needsText(comments, returnWithoutComments, s.unitHeadOnly(a)))
}

const returnWithoutComments = "Nhập ý kiến khi trả lại văn bản."

// Approve records the unit head's check of content and form.
func (s *Service) Approve(ctx context.Context, a Actor, docID int64, note string) error {
	return s.transitionOutgoing(ctx, a, docID, "approve", note, s.unitHeadOnly(a))
}

// SubmitForSignature sends an approved document to the competent signer. It needs a
// PDF of the latest version (uploaded, or converted from the DOCX draft).
func (s *Service) SubmitForSignature(ctx context.Context, a Actor, docID int64, note string) error {
	head := s.unitHeadOnly(a)
	return s.transitionOutgoing(ctx, a, docID, "submit_signature", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if err := head(ctx, tx, d); err != nil {
			return err
		}
		_, err := currentPDF(ctx, tx, d.ID)
		return err
	})
}

// ReturnFromSigner sends a document back from the signer to its drafter.
func (s *Service) ReturnFromSigner(ctx context.Context, a Actor, docID int64, comments string) error {
	return s.transitionOutgoing(ctx, a, docID, "return_signature", comments, needsText(comments, returnWithoutComments, nil))
}

// unitHeadOnly restricts review steps to the head of the drafting unit; the agency's
// leaders (who may sign) review any unit's documents.
func (s *Service) unitHeadOnly(a Actor) stepFunc {
	return func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if s.Access.Can(a.UserID, a.AgencyID, access.OutgoingSign) {
			return nil
		}
		unit, err := membershipUnit(ctx, tx, a)
		if err != nil {
			return err
		}
		if unit == 0 || unit != d.UnitID {
			return forbidden("Chỉ lãnh đạo đơn vị soạn thảo được duyệt văn bản này.",
				"user %d does not lead unit %d of document %d", a.UserID, d.UnitID, d.ID)
		}
		return nil
	}
}
