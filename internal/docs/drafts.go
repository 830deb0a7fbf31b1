package docs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// lockRevisable locks a draft the actor may revise (its metadata or its file): the
// drafter while it is a draft or returned, the reviewer while it is under review.
func (s *Service) lockRevisable(ctx context.Context, tx pgx.Tx, a Actor, docID int64) (*Record, error) {
	d, err := s.lockDocument(ctx, tx, a, docID)
	if err != nil {
		return nil, err
	}
	if !s.mayRevise(a, d) {
		return nil, forbidden("Chỉ người soạn thảo (khi dự thảo hoặc bị trả lại) hoặc lãnh đạo đơn vị (khi đang duyệt) được sửa dự thảo.",
			"user %d may not revise document %d in state %s", a.UserID, docID, d.OutgoingState)
	}
	return d, nil
}

func (s *Service) mayRevise(a Actor, d *Record) bool {
	switch {
	case d.Direction != Outgoing:
		return false
	case d.OutgoingState == OutDraft || d.OutgoingState == OutReturned:
		return d.CreatedBy == a.UserID
	case d.OutgoingState == OutInReview:
		return s.Access.Can(a.UserID, a.AgencyID, access.OutgoingReview)
	}
	return false
}

// deletable refuses to delete what is past drafting or was ever numbered.
func deletable(d *Record) error {
	if d.Direction != Outgoing || d.CodeNumber != "" || !slices.Contains([]OutgoingState{OutDraft, OutReturned}, d.OutgoingState) {
		return &Error{Kind: ErrIllegalTransition, Message: "Chỉ xóa được dự thảo chưa trình hoặc bị trả lại; văn bản đã trình ký hoặc đã ban hành không xóa được.",
			Detail: fmt.Sprintf("document %d in state %s cannot be deleted", d.ID, d.OutgoingState)}
	}
	return nil
}

// mayDelete refuses anyone but the drafter, the head of the drafting unit and the
// agency's leaders.
func (s *Service) mayDelete(ctx context.Context, db store.DB, a Actor, d *Record) error {
	if d.CreatedBy == a.UserID {
		return nil
	}
	if s.Access.Can(a.UserID, a.AgencyID, access.OutgoingSign) {
		return nil
	}
	unit, err := membershipUnit(ctx, db, a)
	if err != nil {
		return err
	}
	if unit == 0 || unit != d.UnitID || !s.Access.Can(a.UserID, a.AgencyID, access.OutgoingReview) {
		return forbidden("Chỉ người soạn thảo hoặc lãnh đạo đơn vị soạn thảo được xóa dự thảo này.",
			"user %d may not delete document %d", a.UserID, d.ID)
	}
	return nil
}

// DraftRights says whether the actor may revise the document (metadata and file)
// and delete it, for the pages to offer only what will be allowed.
func (s *Service) DraftRights(ctx context.Context, a Actor, d *Record) (revise, remove bool) {
	return s.mayRevise(a, d), deletable(d) == nil && s.mayDelete(ctx, s.Pool, a, d) == nil
}

// DraftEdit is the metadata of a draft its drafter may correct.
type DraftEdit struct {
	Type       TypeCode
	Subject    string
	Place      string
	Urgency    Urgency
	DueDate    *time.Time
	Recipients []Recipient
	Content    string // the typed content of a composed draft ("" keeps it)
}

// EditDraft corrects the metadata of a draft and replaces its recipients.
func (s *Service) EditDraft(ctx context.Context, a Actor, docID int64, in DraftEdit) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockRevisable(ctx, tx, a, docID)
		if err != nil {
			return err
		}
		edited := d.Document
		edited.Type, edited.Subject, edited.Place, edited.Urgency = in.Type, in.Subject, in.Place, in.Urgency
		edited.DueDate, edited.Recipients = in.DueDate, in.Recipients
		if in.Content != "" {
			edited.Content = in.Content
		}
		if err := validateMetadata(&edited, s.today(), draftLimits); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE documents SET type = $2, subject = $3, place = $4, urgency = $5, due_date = $6,
			content = $7, updated_at = now() WHERE id = $1`, docID, edited.Type, edited.Subject, edited.Place, edited.Urgency,
			edited.DueDate, edited.Content)
		if err != nil {
			return fmt.Errorf("docs: unable to edit draft %d: %w", docID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM document_recipients WHERE document_id = $1`, docID); err != nil {
			return fmt.Errorf("docs: unable to replace the recipients of draft %d: %w", docID, err)
		}
		if err := insertRecipients(ctx, tx, docID, edited.Recipients); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "edit", docID, map[string]any{"subject": edited.Subject, "type": edited.Type,
			"before": map[string]any{"subject": d.Subject, "type": d.Type}})
	})
}

// DeleteDraft removes a draft that was never issued from every list. Its drafter (or
// the head of its unit, or a leader) deletes it while it is a draft or returned; the
// row and its versions are kept, and the audit trail names who deleted it and why.
func (s *Service) DeleteDraft(ctx context.Context, a Actor, docID int64, reason string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockDocument(ctx, tx, a, docID)
		if err != nil {
			return err
		}
		if err := deletable(d); err != nil {
			return err
		}
		if err := s.mayDelete(ctx, tx, a, d); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET deleted_at = now(), deleted_by = $2, updated_at = now() WHERE id = $1`,
			docID, a.UserID); err != nil {
			return fmt.Errorf("docs: unable to delete draft %d: %w", docID, err)
		}
		if err := recordTransition(ctx, tx, docID, string(d.OutgoingState), string(d.OutgoingState), "delete", a.UserID, reason); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "delete", docID, map[string]any{"subject": d.Subject, "state": d.OutgoingState, "reason": reason})
	})
}

// Version is one version of a document's main file with who made it.
type Version struct {
	File
	By string // the full name of who uploaded or made it ("Hệ thống" for the system)
}

// Versions lists the versions of a document's main file, newest first, with their
// PDF renditions of DOCX versions. The caller has checked that
// the document is visible.
func Versions(ctx context.Context, db store.DB, docID int64) ([]Version, error) {
	rows, err := db.Query(ctx, `SELECT f.id, f.kind, f.version, f.blob_id, f.file_name, f.media_type, b.size, f.note,
			coalesce(f.created_by, 0), f.created_at, coalesce(f.signature_device, ''), coalesce(u.full_name, 'Hệ thống')
		FROM document_files f JOIN blobs b ON b.id = f.blob_id LEFT JOIN users u ON u.id = f.created_by
		WHERE f.document_id = $1 AND f.kind IN ('main', 'rendition')
		ORDER BY f.version DESC, f.kind = 'main' DESC, f.id DESC`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the versions of document %d: %w", docID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Version, error) {
		var v Version
		err := row.Scan(&v.ID, &v.Kind, &v.Version, &v.BlobID, &v.Name, &v.MediaType, &v.Size, &v.Note,
			&v.CreatedBy, &v.CreatedAt, &v.SignatureDevice, &v.By)
		return v, err
	})
}

// ComposedNote marks a version the system laid out from the content typed in the
// draft form.
const ComposedNote = "Trình bày từ nội dung nhập trên biểu mẫu"

// recomposed is a composed draft laid out again with its signer's block: the version
// it supersedes and the new PDF.
type recomposed struct {
	sourceID int64
	pdf      []byte
}

// recomposeForSigner lays a composed draft out again with the block of the person
// about to sign it (authority line, position, name), outside every transaction, when
// no signing hook draws that block. It returns nil for a draft whose current version
// was uploaded rather than composed.
func (s *Service) recomposeForSigner(ctx context.Context, a Actor, docID int64, in SignInput) (*recomposed, error) {
	d, err := s.Get(ctx, a, docID)
	if err != nil || d.Direction != Outgoing || strings.TrimSpace(d.Content) == "" {
		return nil, err
	}
	var out recomposed
	var note, issuer string
	err = s.Pool.QueryRow(ctx, `SELECT f.id, f.note, a.name FROM document_files f JOIN agencies a ON a.id = $2
		WHERE f.document_id = $1 AND f.kind = 'main' ORDER BY f.version DESC LIMIT 1`, docID, d.AgencyID).Scan(&out.sourceID, &note, &issuer)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && note != ComposedNote) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the composed version of document %d: %w", docID, err)
	}
	var signer SignerInfo
	err = store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if signer, _, err = s.signer(ctx, tx, a, in); err != nil {
			return err
		}
		_, err = s.signingDelegation(ctx, tx, a, &signer)
		return err
	})
	if err != nil {
		return nil, err
	}
	recipients, err := Recipients(ctx, s.Pool, docID)
	if err != nil {
		return nil, err
	}
	places := d.ToPlaces
	for _, r := range recipients {
		places = append(places, r.Name)
	}
	t, _ := LookupType(d.Type)
	out.pdf, err = ComposePDF(ComposeInput{IssuerName: issuer, Type: t, Subject: d.Subject, Body: d.Content, ToPlaces: places, Signer: signer})
	return &out, err
}

// saveRecomposed stores the recomposed draft as a new version, unless another
// version came in meanwhile.
func (s *Service) saveRecomposed(ctx context.Context, tx pgx.Tx, a Actor, docID int64, r *recomposed) error {
	if r == nil {
		return nil
	}
	var latest int64
	if err := tx.QueryRow(ctx, `SELECT id FROM document_files WHERE document_id = $1 AND kind = 'main' ORDER BY version DESC LIMIT 1`,
		docID).Scan(&latest); err != nil {
		return fmt.Errorf("docs: unable to read the versions of document %d: %w", docID, err)
	}
	if latest != r.sourceID {
		return &Error{Kind: ErrIllegalTransition, Message: "Tệp của văn bản vừa được người khác thay đổi; hãy mở lại văn bản và ký lại.",
			Detail: fmt.Sprintf("document %d got a new version while it was laid out for signing", docID)}
	}
	_, err := addMainVersion(ctx, tx, docID, FileInput{MediaType: MediaPDF, Content: bytes.NewReader(r.pdf)}, a.UserID,
		"Bản trình bày có khối chữ ký của người ký", s.maxFileSize())
	return err
}
