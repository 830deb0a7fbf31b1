package docs

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"

	"edms/internal/store/storetest"
)

// pdfLike returns n bytes starting like a PDF, with random content after.
func pdfLike(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	copy(b, "%PDF-1.7\n")
	return b
}

func putBlob(t *testing.T, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, r io.Reader, mediaType string, max int64) (Blob, error) {
	t.Helper()
	var b Blob
	err := pgx.BeginFunc(context.Background(), db, func(tx pgx.Tx) error {
		var err error
		b, err = PutBlob(context.Background(), tx, r, mediaType, max)
		return err
	})
	return b, err
}

func TestBlobRoundTripAndDeduplication(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	content := pdfLike(t, 3*chunkSize+12345)
	first, err := putBlob(t, pool, bytes.NewReader(content), MediaPDF, DefaultMaxFileSize)
	if err != nil {
		t.Fatal(err)
	}
	if first.Size != int64(len(content)) {
		t.Fatalf("size %d, want %d", first.Size, len(content))
	}
	second, err := putBlob(t, pool, bytes.NewReader(content), MediaPDF, DefaultMaxFileSize)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != first.ID {
		t.Fatalf("same content stored twice: ids %d and %d", first.ID, second.ID)
	}
	var blobs, chunks int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM blobs), (SELECT count(*) FROM blob_chunks)`).Scan(&blobs, &chunks); err != nil {
		t.Fatal(err)
	}
	if blobs != 1 || chunks != 4 {
		t.Fatalf("%d blobs and %d chunks stored, want 1 and 4", blobs, chunks)
	}
	var out bytes.Buffer
	if _, err := CopyBlob(ctx, pool, first.ID, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), content) {
		t.Fatal("content read back differs")
	}
}

func TestBlobRefusesBadInputAndLeavesNothing(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	docx := append([]byte("PK\x03\x04"), []byte("....[Content_Types].xml....word/document.xml")...)
	cases := []struct {
		name      string
		content   []byte
		mediaType string
		max       int64
		want      error
	}{
		{"docx claimed as pdf", docx, MediaPDF, 1 << 20, ErrFileWrongType},
		{"pdf claimed as docx", pdfLike(t, 100), MediaDOCX, 1 << 20, ErrFileWrongType},
		{"plain text claimed as pdf", []byte("hello"), MediaPDF, 1 << 20, ErrFileWrongType},
		{"oversized", pdfLike(t, 2*chunkSize+1), MediaPDF, 2 * chunkSize, ErrFileTooLarge},
		{"empty", nil, MediaPDF, 1 << 20, ErrFileEmpty},
		{"executable", []byte("MZ\x90\x00"), "application/x-msdownload", 1 << 20, ErrMediaNotAllowed},
	}
	for _, c := range cases {
		_, err := putBlob(t, pool, bytes.NewReader(c.content), c.mediaType, c.max)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := putBlob(t, pool, bytes.NewReader(docx), MediaDOCX, 1<<20); err != nil {
		t.Fatalf("a real DOCX head refused: %v", err)
	}
	var blobs, chunks int
	if err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM blobs), (SELECT count(*) FROM blob_chunks)`).Scan(&blobs, &chunks); err != nil {
		t.Fatal(err)
	}
	if blobs != 1 || chunks != 1 {
		t.Fatalf("failed uploads left %d blobs and %d chunks behind", blobs-1, chunks-1)
	}
}
