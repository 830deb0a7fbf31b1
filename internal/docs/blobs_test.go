package docs

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

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

// TestPDFIsRecognisedByItsHeader accepts what PDF readers accept before the header and
// refuses markup that merely carries "%PDF-" near its start.
func TestPDFIsRecognisedByItsHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		head string
		pdf  bool
	}{
		{"header at byte 0", "%PDF-1.7\n", true},
		{"byte-order mark and whitespace", "\xEF\xBB\xBF \r\n%PDF-1.4\n", true},
		{"binary junk from a transfer", "\x00\x01\x02\x9c\xff%PDF-1.4\n", true},
		{"HTML then a header", "<html><body>hello</body></html>\n%PDF-1.4\n", false},
		{"markup with a binary byte", "<script>\x01</script>%PDF-1.4\n", false},
		{"text then a header", "Quyết định số 12\n%PDF-1.4\n", false},
		{"header past the first 1024 bytes", "\x01" + string(bytes.Repeat([]byte{0x02}, 1100)) + "%PDF-1.4\n", false},
		{"no header", "PK\x03\x04", false},
	}
	for _, tt := range tests {
		if got := mediaSignatures[MediaPDF]([]byte(tt.head)); got != tt.pdf {
			t.Errorf("%s: recognised as PDF %v, want %v", tt.name, got, tt.pdf)
		}
	}
}

// TestStoredFileNamesCarryTheirTypesExtension: a PDF attached under an HTML name is
// stored, and downloaded, as .pdf; the main file is named after the document.
func TestStoredFileNamesCarryTheirTypesExtension(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for upload, want := range map[string]string{"bao-cao.html": "bao-cao.pdf", "QD 12.2026": "QD 12.2026.pdf", "to-trinh.PDF": "to-trinh.PDF"} {
		id := f.draft(t, TypeBaoCao, "Báo cáo "+upload, func(in *DraftInput) { in.File.Name = upload })
		attachment := samplePDF(t, upload)
		attachment.Name = upload
		must(t, f.svc.AddAttachment(context.Background(), f.in(f.specialist), id, attachment, ""))
		files, err := Files(context.Background(), f.pool, id)
		must(t, err)
		if len(files) != 2 || files[1].Name != want || files[0].Name != "du-thao-v1-"+Slug("Báo cáo "+upload, true)+".pdf" {
			t.Errorf("%q stored as %+v, want %q", upload, files, want)
		}
	}
}

// TestBlobsAtTheChunkBoundary stores a file within one chunk, one of exactly a chunk
// and one a byte longer twice each: the second time finds the first, and each reads
// back as it was.
func TestBlobsAtTheChunkBoundary(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	for _, size := range []int{1000, chunkSize, chunkSize + 1} {
		content := pdfLike(t, size)
		first, err := putBlob(t, pool, bytes.NewReader(content), MediaPDF, DefaultMaxFileSize)
		if err != nil {
			t.Fatal(err)
		}
		again, err := putBlob(t, pool, bytes.NewReader(content), MediaPDF, DefaultMaxFileSize)
		if err != nil || again != first || first.Size != int64(size) {
			t.Fatalf("%d bytes: stored as %+v, then %+v (%v)", size, first, again, err)
		}
		var out bytes.Buffer
		if _, err := CopyBlob(ctx, pool, first.ID, &out); err != nil || !bytes.Equal(out.Bytes(), content) {
			t.Fatalf("%d bytes: read back %d bytes (%v)", size, out.Len(), err)
		}
	}
	var blobs, chunks int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM blobs), (SELECT count(*) FROM blob_chunks)`).Scan(&blobs, &chunks); err != nil {
		t.Fatal(err)
	}
	if blobs != 3 || chunks != 4 {
		t.Fatalf("%d blobs and %d chunks stored, want 3 and 4", blobs, chunks)
	}
}

// TestIdenticalBlobsStoredConcurrentlyOnce stores the same small file from two
// transactions at once: the second waits for the first and, once it commits, uses
// its blob instead of failing or storing a copy.
func TestIdenticalBlobsStoredConcurrentlyOnce(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	content := pdfLike(t, 5000)
	first, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Rollback(ctx)
	stored, err := PutBlob(ctx, first, bytes.NewReader(content), MediaPDF, DefaultMaxFileSize)
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan Blob, 1)
	errs := make(chan error, 1)
	go func() {
		b, err := putBlob(t, pool, bytes.NewReader(content), MediaPDF, DefaultMaxFileSize)
		second <- b
		errs <- err
	}()
	waitForLockWait(t, pool)
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if b, err := <-second, <-errs; err != nil || b.ID != stored.ID {
		t.Fatalf("the second transaction got %+v (%v), want blob %d", b, err, stored.ID)
	}
	var blobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM blobs`).Scan(&blobs); err != nil || blobs != 1 {
		t.Fatalf("%d blobs stored (%v), want 1", blobs, err)
	}
}

// waitForLockWait returns once a session of the test's database waits for a lock.
func waitForLockWait(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var waiting int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			return
		}
	}
	t.Fatal("the second transaction never waited for the first")
}
