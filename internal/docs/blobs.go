package docs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// Media types accepted for document files.
const (
	MediaPDF  = "application/pdf"
	MediaDOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MediaDOC  = "application/msword"
	MediaXLS  = "application/vnd.ms-excel"
	MediaZIP  = "application/zip"
	MediaPNG  = "image/png"
	MediaJPEG = "image/jpeg"
)

// chunkSize bounds the memory one stored file takes while streaming in or out.
const chunkSize = 1 << 20

// chunkBuffers recycles the chunk-sized buffers files are stored through: a new
// zeroed megabyte for every file cost more than storing a small one.
var chunkBuffers = sync.Pool{New: func() any {
	b := make([]byte, chunkSize)
	return &b
}}

// sniffSize is how much of the head of a file is inspected to recognise its type.
const sniffSize = 8 << 10

// DefaultMaxFileSize is the size limit when the service is not configured otherwise.
const DefaultMaxFileSize = 100 << 20

// Errors a caller branches on when storing a file.
var (
	ErrFileTooLarge    = errors.New("docs: file too large")
	ErrFileWrongType   = errors.New("docs: file content does not match its declared type")
	ErrFileEmpty       = errors.New("docs: file is empty")
	ErrMediaNotAllowed = errors.New("docs: file type not accepted")
)

// mediaSignatures recognises each accepted type from the head of the file.
var mediaSignatures = map[string]func(head []byte) bool{
	MediaPDF:  isPDF,
	MediaDOCX: func(h []byte) bool { return isZip(h) && bytes.Contains(h, []byte("word/")) },
	MediaXLSX: func(h []byte) bool { return isZip(h) && bytes.Contains(h, []byte("xl/")) },
	MediaDOC:  isOLE,
	MediaXLS:  isOLE,
	MediaZIP:  isZip,
	MediaPNG:  func(h []byte) bool { return bytes.HasPrefix(h, []byte("\x89PNG\r\n\x1a\n")) },
	MediaJPEG: func(h []byte) bool { return bytes.HasPrefix(h, []byte{0xFF, 0xD8, 0xFF}) },
}

// pdfHeaderWindow is how far into a file Acrobat looks for the %PDF- header.
const pdfHeaderWindow = 1024

// isPDF recognises a PDF by its %PDF- header: at byte 0, or after what PDF readers
// skip: a byte-order mark and whitespace, or binary junk a transfer put in front,
// within Acrobat's first 1024 bytes. Text before the header is not tolerated: a file
// that starts as HTML (or any markup) and carries "%PDF-" further on is not a PDF,
// whatever a lenient reader would make of it.
func isPDF(h []byte) bool {
	at := bytes.Index(h[:min(len(h), pdfHeaderWindow)], []byte("%PDF-"))
	if at < 0 {
		return false
	}
	junk := bytes.TrimLeft(bytes.TrimPrefix(h[:at], []byte("\xEF\xBB\xBF")), " \t\r\n\f\x00")
	return len(junk) == 0 || (!bytes.ContainsAny(junk, "<>") && bytes.ContainsFunc(junk, isBinary))
}

// isBinary reports a rune no text holds: a control character other than whitespace,
// or a byte that is not UTF-8.
func isBinary(r rune) bool {
	return r == utf8.RuneError || r == 0x7F || (r < 0x20 && !strings.ContainsRune(" \t\r\n\f", r))
}

func isZip(h []byte) bool { return bytes.HasPrefix(h, []byte("PK\x03\x04")) }

func isOLE(h []byte) bool {
	return bytes.HasPrefix(h, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
}

// mediaExtensions is the file name extension of each accepted type, the usual first.
var mediaExtensions = map[string][]string{
	MediaPDF: {".pdf"}, MediaDOCX: {".docx"}, MediaXLSX: {".xlsx"}, MediaDOC: {".doc"}, MediaXLS: {".xls"},
	MediaZIP: {".zip"}, MediaPNG: {".png"}, MediaJPEG: {".jpg", ".jpeg"},
}

// withExtension makes a file name end with the extension of its media type (which
// PutBlob checks against the content), so that a PDF uploaded as "bao-cao.html" is
// stored, and later downloaded, as "bao-cao.pdf". An extension no program claims (a
// "12.2026" in a name) is kept and the right one appended.
func withExtension(name, mediaType string) string {
	want, ok := mediaExtensions[mediaType]
	ext := filepath.Ext(name)
	if !ok || slices.Contains(want, strings.ToLower(ext)) {
		return name
	}
	if mime.TypeByExtension(ext) != "" {
		name = strings.TrimSuffix(name, ext)
	}
	return name + want[0]
}

// Blob is a stored file's content.
type Blob struct {
	ID        int64
	SHA256    [32]byte
	Size      int64
	MediaType string
}

// PutBlob streams r into the database inside tx and returns the stored blob. The
// content must match mediaType (checked on its first bytes) and be at most maxSize
// bytes; identical content already stored is reused, so each file is kept once.
// Nothing is left behind when it fails.
func PutBlob(ctx context.Context, tx pgx.Tx, r io.Reader, mediaType string, maxSize int64) (Blob, error) {
	matches, ok := mediaSignatures[mediaType]
	if !ok {
		return Blob{}, fmt.Errorf("%w: %q", ErrMediaNotAllowed, mediaType)
	}
	pooled := chunkBuffers.Get().(*[]byte)
	defer chunkBuffers.Put(pooled)
	buf := *pooled
	n, whole, err := readChunk(r, buf)
	switch {
	case err != nil:
		return Blob{}, err
	case n == 0:
		return Blob{}, ErrFileEmpty
	case !matches(buf[:min(n, sniffSize)]):
		return Blob{}, fmt.Errorf("%w: it is not %s", ErrFileWrongType, mediaType)
	case int64(n) > maxSize:
		return Blob{}, fmt.Errorf("%w: the limit is %d bytes", ErrFileTooLarge, maxSize)
	case whole:
		return putWhole(ctx, tx, buf[:n], mediaType)
	}
	return putChunked(ctx, tx, r, buf, n, mediaType, maxSize)
}

// readChunk fills buf from r; whole tells that r ended within it.
func readChunk(r io.Reader, buf []byte) (n int, whole bool, err error) {
	n, err = io.ReadFull(r, buf)
	switch err {
	case nil:
		return n, false, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return n, true, nil
	}
	return n, false, fmt.Errorf("docs: unable to read the uploaded file: %w", err)
}

// putWhole stores a file that fits in one chunk — most letters and annexes — or
// finds the same bytes stored, in one statement: no savepoint, and nothing written
// for content already kept.
func putWhole(ctx context.Context, tx pgx.Tx, data []byte, mediaType string) (Blob, error) {
	b := Blob{SHA256: sha256.Sum256(data)}
	err := tx.QueryRow(ctx, `
		WITH stored AS (SELECT id, size, media_type FROM blobs WHERE sha256 = $1),
		added AS (
			INSERT INTO blobs (sha256, size, media_type) SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT FROM stored)
			ON CONFLICT (sha256) DO NOTHING
			RETURNING id, size, media_type),
		chunk AS (INSERT INTO blob_chunks (blob_id, seq, data) SELECT id, 0, $4 FROM added)
		SELECT id, size, media_type FROM stored UNION ALL SELECT id, size, media_type FROM added`,
		b.SHA256[:], len(data), mediaType, data).Scan(&b.ID, &b.Size, &b.MediaType)
	if errors.Is(err, pgx.ErrNoRows) { // the same bytes were stored by a transaction that committed meanwhile
		existing, found, err := blobBySum(ctx, tx, b.SHA256)
		if err == nil && !found {
			err = errors.New("docs: a file stored concurrently could not be found")
		}
		return existing, err
	}
	if err != nil {
		return Blob{}, fmt.Errorf("docs: unable to store a file: %w", err)
	}
	return b, nil
}

// putChunked streams a file larger than a chunk, whose first n bytes are in buf,
// inside a savepoint: a duplicate or a failure drops the chunks written.
func putChunked(ctx context.Context, tx pgx.Tx, r io.Reader, buf []byte, n int, mediaType string, maxSize int64) (Blob, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return Blob{}, fmt.Errorf("docs: unable to start storing a file: %w", err)
	}
	defer sp.Rollback(ctx)
	b := Blob{MediaType: mediaType}
	if err := sp.QueryRow(ctx, `INSERT INTO blobs (media_type) VALUES ($1) RETURNING id`, mediaType).Scan(&b.ID); err != nil {
		return Blob{}, fmt.Errorf("docs: unable to create a file row: %w", err)
	}
	if err := writeChunks(ctx, sp, r, buf, n, &b, maxSize); err != nil {
		return Blob{}, err
	}
	if existing, found, err := blobBySum(ctx, sp, b.SHA256); err != nil || found {
		return existing, err // the savepoint rollback drops our copy
	}
	if _, err := sp.Exec(ctx, `UPDATE blobs SET sha256 = $1, size = $2 WHERE id = $3`, b.SHA256[:], b.Size, b.ID); err != nil {
		if store.IsUniqueViolation(err, "blobs_sha256_key") {
			_ = sp.Rollback(ctx) // a concurrent upload of the same bytes won
			existing, _, err := blobBySum(ctx, tx, b.SHA256)
			return existing, err
		}
		return Blob{}, fmt.Errorf("docs: unable to complete a file row: %w", err)
	}
	if err := sp.Commit(ctx); err != nil {
		return Blob{}, fmt.Errorf("docs: unable to store a file: %w", err)
	}
	return b, nil
}

// writeChunks stores the chunk of n bytes in buf, then the rest of r through buf.
func writeChunks(ctx context.Context, db store.DB, r io.Reader, buf []byte, n int, b *Blob, maxSize int64) error {
	h := sha256.New()
	for seq := 0; ; seq++ {
		if n > 0 {
			if b.Size+int64(n) > maxSize {
				return fmt.Errorf("%w: the limit is %d bytes", ErrFileTooLarge, maxSize)
			}
			b.Size += int64(n)
			h.Write(buf[:n])
			if _, err := db.Exec(ctx, `INSERT INTO blob_chunks (blob_id, seq, data) VALUES ($1, $2, $3)`, b.ID, seq, buf[:n]); err != nil {
				return fmt.Errorf("docs: unable to store a file chunk: %w", err)
			}
		}
		var whole bool
		var err error
		if n, whole, err = readChunk(r, buf); err != nil {
			return err
		}
		if whole && n == 0 {
			copy(b.SHA256[:], h.Sum(nil))
			return nil
		}
	}
}

func blobBySum(ctx context.Context, db store.DB, sum [32]byte) (Blob, bool, error) {
	b := Blob{SHA256: sum}
	err := db.QueryRow(ctx, `SELECT id, size, media_type FROM blobs WHERE sha256 = $1`, sum[:]).Scan(&b.ID, &b.Size, &b.MediaType)
	if errors.Is(err, pgx.ErrNoRows) {
		return Blob{}, false, nil
	}
	if err != nil {
		return Blob{}, false, fmt.Errorf("docs: unable to look up a file: %w", err)
	}
	return b, true, nil
}

// CopyBlob streams the content of blob id to w, one chunk at a time.
func CopyBlob(ctx context.Context, db store.DB, id int64, w io.Writer) (int64, error) {
	var written int64
	for seq := 0; ; seq++ {
		var data []byte
		err := db.QueryRow(ctx, `SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2`, id, seq).Scan(&data)
		if errors.Is(err, pgx.ErrNoRows) {
			return written, nil
		}
		if err != nil {
			return written, fmt.Errorf("docs: unable to read file %d: %w", id, err)
		}
		n, err := w.Write(data)
		written += int64(n)
		if err != nil {
			return written, fmt.Errorf("docs: unable to write file %d: %w", id, err)
		}
	}
}
