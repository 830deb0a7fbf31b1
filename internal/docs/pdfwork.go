package docs

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// PDF work (signing, stamping) takes far longer than a database statement: reading
// the whole file, a key operation, rewriting the file. None of it runs inside a
// transaction or under a lock, so that no other write waits for it and no step holds
// a connection while it waits for another one. A step reads what it needs in a short
// transaction, transforms the PDF with no transaction open, and saves the result in a
// second short transaction that first checks, under the document's lock, that the
// document is still in the same state with the same PDF.

// pdfTransform rewrites a PDF stream (signs or stamps it).
type pdfTransform func(in io.Reader, out io.Writer) error

// pdfStep is a lifecycle step that rewrites the document's PDF.
type pdfStep struct {
	action, note string
	fileNote     string // the note of the new version
	flag         string // the documents column saying which signature the PDF now carries
	device       string // how the key of the competent person's signature it adds was held (DeviceServer...); "": not recorded
	// prepare checks the step's own rules and reads what the transformation needs,
	// in the first transaction.
	prepare func(ctx context.Context, tx pgx.Tx, d *Record) (pdfTransform, error)
	// record writes the step's own columns in the final transaction (nil: none).
	record stepFunc
}

// runPDFStep checks the step (state, permission, its rules) and reads the current
// PDF's version in a short transaction, transforms the PDF outside every transaction,
// then runs the transition, which checks everything again under the lock and refuses
// when the PDF changed meanwhile.
func (s *Service) runPDFStep(ctx context.Context, a Actor, docID int64, p pdfStep) error {
	var transform pdfTransform
	var src File
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, _, err := s.enter(ctx, tx, a, outgoing, docID, p.action)
		if err != nil {
			return err
		}
		if transform, err = p.prepare(ctx, tx, d); err != nil {
			return err
		}
		src, err = currentPDF(ctx, tx, docID)
		return err
	})
	if err != nil {
		return err
	}
	out, err := s.transformPDF(ctx, src, transform)
	if err != nil {
		return fmt.Errorf("docs: signing document %d failed: %w", docID, err)
	}
	return s.finishPDFStep(ctx, a, docID, p, src, out)
}

// finishPDFStep is the final transaction of a PDF step: the transition, which checks
// everything again under the lock, the step's own columns, and out, made from src,
// saved as the new version unless src is no longer the current PDF.
func (s *Service) finishPDFStep(ctx context.Context, a Actor, docID int64, p pdfStep, src File, out []byte) error {
	return s.transitionOutgoing(ctx, a, docID, p.action, p.note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if p.record != nil {
			if err := p.record(ctx, tx, d); err != nil {
				return err
			}
		}
		return s.saveTransformed(ctx, tx, d.ID, a.UserID, src, out, p.fileNote, p.flag, p.device)
	})
}

// transformPDF reads src and applies transform to it, with no transaction open: it
// uses one pool connection at a time, for the reading only.
func (s *Service) transformPDF(ctx context.Context, src File, transform pdfTransform) ([]byte, error) {
	var in, out bytes.Buffer
	if _, err := CopyBlob(ctx, s.Pool, src.BlobID, &in); err != nil {
		return nil, err
	}
	if err := transform(&in, &out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// saveTransformed stores content, made from src, as the document's new main version
// and sets flag (when not empty) and the version's signature device (when not empty),
// unless src is no longer the document's current PDF: the signature would then not
// cover what the document shows.
func (s *Service) saveTransformed(ctx context.Context, tx pgx.Tx, docID, actorID int64, src File, content []byte, note, flag, device string) error {
	current, err := currentPDF(ctx, tx, docID)
	if err != nil {
		return err
	}
	if current.ID != src.ID {
		return errPDFChanged(docID, src, current)
	}
	in := FileInput{Name: src.Name, MediaType: MediaPDF, Content: bytes.NewReader(content)}
	saved, err := addMainVersion(ctx, tx, docID, in, actorID, note, s.maxFileSize())
	if err != nil {
		return fmt.Errorf("docs: unable to save the signed PDF of document %d: %w", docID, err)
	}
	if device != "" {
		if _, err := tx.Exec(ctx, `UPDATE document_files SET signature_device = $2 WHERE id = $1`, saved.ID, device); err != nil {
			return fmt.Errorf("docs: unable to record the signature device of document %d: %w", docID, err)
		}
	}
	if flag == "" {
		return nil
	}
	_, err = tx.Exec(ctx, `UPDATE documents SET `+pgx.Identifier{flag}.Sanitize()+` = true WHERE id = $1`, docID)
	return err
}

// stampNumber writes the number and date of a numbered document onto its PDF when
// the stamp is pending, where the clerk placed them (see Placement) or in the form's
// areas: the data and the PDF are read without a lock, the stamp is
// made outside every transaction, and a short transaction saves it if the document
// still waits for it with the same PDF. Several nodes may try at once; one saves.
func (s *Service) stampNumber(ctx context.Context, docID int64) error {
	stamp := NumberStamp{DocumentID: docID}
	var pending bool
	err := s.Pool.QueryRow(ctx, `SELECT stamp_pending, code_number, code_notation, place, issued_date
		FROM documents WHERE id = $1`, docID).Scan(&pending, &stamp.CodeNumber, &stamp.CodeNotation, &stamp.Place, &stamp.IssuedDate)
	if err != nil || !pending {
		return err
	}
	stored, err := storedPlacement(ctx, s.Pool, docID)
	if err != nil {
		return err
	}
	src, err := currentPDF(ctx, s.Pool, docID)
	if err != nil {
		return err
	}
	stamp.Placement = stored
	out, err := s.transformPDF(ctx, src, func(in io.Reader, out io.Writer) error { return s.Signing.StampNumber(ctx, in, out, stamp) })
	if err != nil {
		return fmt.Errorf("docs: stamping the number of document %d failed: %w", docID, err)
	}
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT stamp_pending FROM documents WHERE id = $1 FOR UPDATE`, docID).Scan(&pending); err != nil || !pending {
			return err // another node saved the stamp first
		}
		if err := s.saveTransformed(ctx, tx, docID, 0, src, out, "Bản đã ghi số, ngày ban hành", "", ""); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE documents SET stamp_pending = false WHERE id = $1`, docID)
		return err
	})
}

// StampPending stamps the numbers of up to limit documents whose stamp is still
// pending (a stamp that failed, or a node that stopped between the issuance and the
// stamp). It returns how many it stamped.
func (s *Service) StampPending(ctx context.Context, limit int) (int, error) {
	if s.Signing == nil {
		return 0, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT id FROM documents WHERE stamp_pending ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return 0, fmt.Errorf("docs: unable to list the stamps pending: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("docs: unable to list the stamps pending: %w", err)
	}
	stamped := 0
	for _, id := range ids {
		if err := s.stampNumber(ctx, id); err != nil {
			return stamped, err
		}
		stamped++
	}
	return stamped, nil
}
