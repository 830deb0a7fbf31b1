package docs

import (
	"bytes"
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
	spool, release, err := readBack(ctx, tx, blobID, size)
	if err != nil {
		return err
	}
	defer release()
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

// verifyInMemory is the largest main file checked from memory; a larger one is
// spooled to a temporary file. Most received letters are a few hundred kilobytes,
// and a temporary file per registration (create, write, read, remove) cost more
// than the check itself.
const verifyInMemory = 16 << 20

// readBack gives the stored file to read at random, from memory or from a
// temporary file that release removes.
func readBack(ctx context.Context, tx pgx.Tx, blobID, size int64) (io.ReaderAt, func(), error) {
	if size <= verifyInMemory {
		var buf bytes.Buffer
		buf.Grow(int(size))
		if _, err := CopyBlob(ctx, tx, blobID, &buf); err != nil {
			return nil, nil, err
		}
		return bytes.NewReader(buf.Bytes()), func() {}, nil
	}
	spool, err := os.CreateTemp("", "edms-verify-")
	if err != nil {
		return nil, nil, fmt.Errorf("docs: unable to spool the file to verify: %w", err)
	}
	release := func() {
		spool.Close()
		os.Remove(spool.Name())
	}
	if _, err := CopyBlob(ctx, tx, blobID, spool); err != nil {
		release()
		return nil, nil, err
	}
	return spool, release, nil
}
