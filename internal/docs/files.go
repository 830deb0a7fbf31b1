package docs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// File kinds: every version of the main file, attachments, and PDF renditions of DOCX
// drafts (same version number as the DOCX they were made from).
const (
	KindMain       = "main"
	KindAttachment = "attachment"
	KindRendition  = "rendition"
)

// File is a file of a document.
type File struct {
	ID        int64
	Kind      string
	Version   int
	BlobID    int64
	Name      string
	MediaType string
	Size      int64
	Note      string
	CreatedBy int64
	CreatedAt time.Time
}

// addFile stores the content and links it to the document.
func addFile(ctx context.Context, tx pgx.Tx, docID int64, kind string, version int, in FileInput, actorID int64, note string, maxSize int64) (File, error) {
	name := filepath.Base(strings.TrimSpace(in.Name))
	if name == "" || name == "." || name == "/" {
		return File{}, invalid("Tệp chưa có tên.", "file without a name")
	}
	blob, err := PutBlob(ctx, tx, in.Content, in.MediaType, maxSize)
	if err != nil {
		return File{}, err
	}
	name = withExtension(name, in.MediaType)
	f := File{Kind: kind, Version: version, BlobID: blob.ID, Name: name, MediaType: in.MediaType, Size: blob.Size, Note: note, CreatedBy: actorID}
	var createdBy *int64
	if actorID != 0 {
		createdBy = &actorID
	}
	err = tx.QueryRow(ctx, `INSERT INTO document_files (document_id, kind, version, blob_id, file_name, media_type, note, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
		docID, kind, version, blob.ID, name, in.MediaType, note, createdBy).Scan(&f.ID, &f.CreatedAt)
	if err != nil {
		return File{}, fmt.Errorf("docs: unable to link the file: %w", err)
	}
	return f, nil
}

// addMainVersion stores a new version of the main file: one more than the last.
func addMainVersion(ctx context.Context, tx pgx.Tx, docID int64, in FileInput, actorID int64, note string, maxSize int64) (File, error) {
	var last int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM document_files WHERE document_id = $1 AND kind = 'main'`,
		docID).Scan(&last); err != nil {
		return File{}, fmt.Errorf("docs: unable to read the versions: %w", err)
	}
	if in.MediaType != MediaPDF && in.MediaType != MediaDOCX {
		return File{}, invalid("Tệp văn bản chính phải là PDF hoặc DOCX.", "main file of type %s", in.MediaType)
	}
	return addFile(ctx, tx, docID, KindMain, last+1, in, actorID, note, maxSize)
}

// Files lists the files of a document: main versions (newest first), renditions, then
// attachments.
func Files(ctx context.Context, db store.DB, docID int64) ([]File, error) {
	rows, err := db.Query(ctx, `SELECT f.id, f.kind, f.version, f.blob_id, f.file_name, f.media_type, b.size, f.note,
			coalesce(f.created_by, 0), f.created_at
		FROM document_files f JOIN blobs b ON b.id = f.blob_id
		WHERE f.document_id = $1
		ORDER BY array_position(ARRAY['main', 'rendition', 'attachment'], f.kind), f.version DESC, f.id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list files: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (File, error) {
		var f File
		err := row.Scan(&f.ID, &f.Kind, &f.Version, &f.BlobID, &f.Name, &f.MediaType, &f.Size, &f.Note, &f.CreatedBy, &f.CreatedAt)
		return f, err
	})
}

// currentPDF returns the PDF to review or sign: the latest main version when it is a
// PDF, else the PDF rendition of that version.
func currentPDF(ctx context.Context, db store.DB, docID int64) (File, error) {
	var f File
	err := db.QueryRow(ctx, `
		WITH latest AS (SELECT max(version) AS v FROM document_files WHERE document_id = $1 AND kind = 'main')
		SELECT f.id, f.kind, f.version, f.blob_id, f.file_name, f.media_type
		FROM document_files f, latest
		WHERE f.document_id = $1 AND f.version = latest.v AND f.media_type = 'application/pdf'
		  AND f.kind IN ('main', 'rendition')
		ORDER BY f.kind = 'main' DESC, f.id DESC LIMIT 1`, docID).
		Scan(&f.ID, &f.Kind, &f.Version, &f.BlobID, &f.Name, &f.MediaType)
	if errors.Is(err, pgx.ErrNoRows) {
		return File{}, invalid("Văn bản chưa có bản PDF; chờ chuyển đổi từ DOCX hoặc tải lên bản PDF.",
			"document %d has no PDF for its latest version", docID)
	}
	if err != nil {
		return File{}, fmt.Errorf("docs: unable to find the PDF: %w", err)
	}
	return f, nil
}
