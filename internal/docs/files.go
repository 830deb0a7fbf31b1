package docs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

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
	// SignatureDevice is how the key of the competent person's signature this
	// version added was held (DeviceServer, DeviceRemote, DeviceAgent); "" when it
	// added none (the agency's seal is always the agency's key).
	SignatureDevice string
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
	name, err := mainFileName(ctx, tx, docID, last+1)
	if err != nil {
		return File{}, err
	}
	in.Name = name // addFile adds the extension of the media type
	return addFile(ctx, tx, docID, KindMain, last+1, in, actorID, note, maxSize)
}

// mainFileName names a version of a document's main file after the document, without
// extension: the issued document by its number, symbol and year ("01-QD-UBND-2026"),
// a draft by its version and subject ("du-thao-v3-ke-hoach-chuyen-doi-so"). Recipients
// receive the file under this name.
func mainFileName(ctx context.Context, tx pgx.Tx, docID int64, version int) (string, error) {
	var number, notation, subject string
	var issued *time.Time
	err := tx.QueryRow(ctx, `SELECT code_number, code_notation, issued_date, subject FROM documents WHERE id = $1`, docID).
		Scan(&number, &notation, &issued, &subject)
	if err != nil {
		return "", fmt.Errorf("docs: unable to read the document to name its file: %w", err)
	}
	if number != "" && issued != nil {
		return IssuedFileName(number, notation, issued.Year()), nil
	}
	return DraftFileName(version, subject), nil
}

// IssuedFileName is the file name of an issued document: "01-QD-UBND-2026".
func IssuedFileName(number, notation string, year int) string {
	return Slug(fmt.Sprintf("%s-%s-%d", number, notation, year), false)
}

// DraftFileName is the file name of a draft's version: "du-thao-v3-<subject>".
func DraftFileName(version int, subject string) string {
	name := fmt.Sprintf("du-thao-v%d", version)
	if slug := Slug(congVanSubject(subject), true); slug != "" { // no "v-v-" from a công văn's "V/v"
		name += "-" + slug
	}
	return name
}

// maxSlugWords keeps a name derived from a subject short enough for a file name.
const maxSlugWords = 8

// Slug folds s to ASCII letters and digits joined by dashes ("Quyết định" →
// "quyet-dinh"), lower-cased and cut to a few words when lower is set.
func Slug(s string, lower bool) string {
	var words []string
	word := strings.Builder{}
	flush := func() {
		if word.Len() > 0 {
			words = append(words, word.String())
			word.Reset()
		}
	}
	for _, r := range norm.NFD.String(strings.NewReplacer("đ", "d", "Đ", "D").Replace(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if lower {
				r = unicode.ToLower(r)
			}
			word.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	if lower && len(words) > maxSlugWords {
		words = words[:maxSlugWords]
	}
	return strings.Join(words, "-")
}

// nameIssuedFile renames the current main version of a document just numbered after
// its number, when no stamp makes a new version: it is the issued document, and
// recipients receive it under that name.
func nameIssuedFile(ctx context.Context, tx pgx.Tx, docID int64, res IssueResult, year int) error {
	_, err := tx.Exec(ctx, `UPDATE document_files SET file_name = $2
		WHERE document_id = $1 AND kind = 'main' AND media_type = 'application/pdf'
		  AND version = (SELECT max(version) FROM document_files WHERE document_id = $1 AND kind = 'main')`,
		docID, IssuedFileName(FormatNumber(res.Number), res.Notation, year)+".pdf")
	if err != nil {
		return fmt.Errorf("docs: unable to name the issued file of document %d: %w", docID, err)
	}
	return nil
}

// Files lists the files of a document: main versions (newest first), renditions, then
// attachments.
func Files(ctx context.Context, db store.DB, docID int64) ([]File, error) {
	rows, err := db.Query(ctx, `SELECT f.id, f.kind, f.version, f.blob_id, f.file_name, f.media_type, b.size, f.note,
			coalesce(f.created_by, 0), f.created_at, coalesce(f.signature_device, '')
		FROM document_files f JOIN blobs b ON b.id = f.blob_id
		WHERE f.document_id = $1
		ORDER BY array_position(ARRAY['main', 'rendition', 'attachment'], f.kind), f.version DESC, f.id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list files: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (File, error) {
		var f File
		err := row.Scan(&f.ID, &f.Kind, &f.Version, &f.BlobID, &f.Name, &f.MediaType, &f.Size, &f.Note, &f.CreatedBy, &f.CreatedAt, &f.SignatureDevice)
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
