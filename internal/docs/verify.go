package docs

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/jackc/pgx/v5"
)

// SignatureStatus is the result of checking a received document's signatures.
type SignatureStatus string

// Signature statuses.
const (
	SignatureUnchecked SignatureStatus = "unchecked" // no verifier configured, or a paper document
	SignatureValid     SignatureStatus = "valid"     // every signature valid and trusted
	SignatureInvalid   SignatureStatus = "invalid"   // a signature is broken, untrusted or the file was altered
	SignatureUnsigned  SignatureStatus = "unsigned"  // the PDF carries no signature
)

// SignatureCheck is what a verifier found.
type SignatureCheck struct {
	Status  SignatureStatus
	Summary string // who signed, or what is wrong, for the clerk
}

// SignatureVerifier checks the digital signatures of a PDF; the server wires it to
// package signing (signing.Verify with the node's trust anchors).
type SignatureVerifier interface {
	VerifyPDF(ctx context.Context, pdf io.ReaderAt, size int64) (SignatureCheck, error)
}

// checkSignatures verifies the main file of a received electronic document, when a
// verifier is configured, and records the result on the document.
func (s *Service) checkSignatures(ctx context.Context, tx pgx.Tx, docID int64) error {
	if s.Verifier == nil {
		return nil
	}
	var blobID, size int64
	if err := tx.QueryRow(ctx, `SELECT f.blob_id, b.size FROM document_files f JOIN blobs b ON b.id = f.blob_id
		WHERE f.document_id = $1 AND f.kind = 'main' ORDER BY f.version DESC LIMIT 1`, docID).Scan(&blobID, &size); err != nil {
		return fmt.Errorf("docs: unable to find the file to verify: %w", err)
	}
	spool, err := os.CreateTemp("", "edms-verify-")
	if err != nil {
		return fmt.Errorf("docs: unable to spool the file to verify: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	if _, err := CopyBlob(ctx, tx, blobID, spool); err != nil {
		return err
	}
	check, err := s.Verifier.VerifyPDF(ctx, spool, size)
	if err != nil { // not readable as a PDF at all: an integrity failure
		check = SignatureCheck{Status: SignatureInvalid, Summary: "Không đọc được tệp PDF: " + err.Error()}
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET signature_check = $1, signature_note = $2 WHERE id = $3`,
		check.Status, check.Summary, docID); err != nil {
		return fmt.Errorf("docs: unable to record the signature check: %w", err)
	}
	return nil
}
