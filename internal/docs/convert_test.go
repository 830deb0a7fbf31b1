package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"edms/internal/testenv"
)

// docxWith builds a minimal but valid Word document holding one paragraph.
func docxWith(t testing.TB, text string) []byte {
	t.Helper()
	parts := map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`,
		"_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`,
		"word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:rPr><w:rFonts w:ascii="Liberation Serif" w:hAnsi="Liberation Serif"/><w:sz w:val="28"/></w:rPr><w:t>` + text + `</w:t></w:r></w:p>
</w:body></w:document>`,
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "word/document.xml"} {
		w, err := zw.Create(name)
		must(t, err)
		_, err = w.Write([]byte(parts[name]))
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

const vietnameseSample = "Quyết định về việc phê duyệt kế hoạch chuyển đổi số năm 2026 của Ủy ban nhân dân huyện Phú Lương"

func TestDocxDraftIsConvertedToPDFKeepingVietnamese(t *testing.T) {
	t.Parallel()
	soffice := testenv.LookTool(t, "soffice")
	pdftotext := testenv.LookTool(t, "pdftotext")
	f := newFixture(t)
	ctx := context.Background()
	f.svc.Converter = &Converter{Soffice: soffice, Timeout: 3 * time.Minute}
	id := f.draft(t, TypeQuyetDinh, "Kế hoạch chuyển đổi số", func(in *DraftInput) {
		in.File = FileInput{Name: "ke-hoach.docx", MediaType: MediaDOCX, Content: bytes.NewReader(docxWith(t, vietnameseSample))}
	})
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	var e *Error
	if err := f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""); !errors.As(err, &e) || !strings.Contains(e.Message, "chưa có bản PDF") {
		t.Fatalf("submitting for signature before the conversion: %v", err)
	}
	if got := f.workConversions(t, 1); got[0] != river.EventKindJobCompleted {
		t.Fatalf("conversion job ended with %s", got[0])
	}
	pdf, err := currentPDF(ctx, f.pool, id)
	must(t, err)
	if pdf.Kind != KindRendition || pdf.Name != "du-thao-v1-ke-hoach-chuyen-doi-so.pdf" {
		t.Fatalf("current PDF %+v", pdf)
	}
	path := filepath.Join(t.TempDir(), "rendition.pdf")
	var buf bytes.Buffer
	_, err = CopyBlob(ctx, f.pool, pdf.BlobID, &buf)
	must(t, err)
	must(t, os.WriteFile(path, buf.Bytes(), 0o600))
	if keep := os.Getenv("EDMS_KEEP_REGISTERS"); keep != "" {
		must(t, os.WriteFile(filepath.Join(keep, "rendition.pdf"), buf.Bytes(), 0o600))
	}
	text, err := exec.Command(pdftotext, path, "-").Output()
	must(t, err)
	if got := strings.Join(strings.Fields(string(text)), " "); got != vietnameseSample {
		t.Fatalf("converted text %q, want %q", got, vietnameseSample)
	}
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
}

func TestDocxRefusedWithoutLibreOfficeAndConversionTimeLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.svc.CreateDraft(ctx, f.in(f.specialist), DraftInput{Document: Document{Type: TypeBaoCao, Subject: "Báo cáo"},
		File: FileInput{Name: "bc.docx", MediaType: MediaDOCX, Content: bytes.NewReader(docxWith(t, "x"))}})
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, "vui lòng tải lên bản PDF") {
		t.Fatalf("DOCX without LibreOffice: %v", err)
	}

	soffice := testenv.LookTool(t, "soffice")
	slow := &Converter{Soffice: soffice, Timeout: 50 * time.Millisecond}
	start := time.Now()
	err = slow.Convert(ctx, bytes.NewReader(docxWith(t, vietnameseSample)), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Fatalf("conversion past its time limit: %v", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Fatalf("the time limit did not stop LibreOffice (took %s)", time.Since(start))
	}
}

// zipBombDOCX builds a Word document of about 150 KB whose document.xml inflates to
// 51 MB of paragraphs, as the one that grew LibreOffice to 2.3 GB.
func zipBombDOCX(t testing.TB) []byte {
	t.Helper()
	valid := docxWith(t, "x")
	zr, err := zip.NewReader(bytes.NewReader(valid), int64(len(valid)))
	must(t, err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		w, err := zw.Create(f.Name)
		must(t, err)
		if f.Name != "word/document.xml" {
			r, err := f.Open()
			must(t, err)
			_, err = io.Copy(w, r)
			must(t, err)
			continue
		}
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>`)
		paragraph := []byte(`<w:p><w:r><w:t>Quyet dinh</w:t></w:r></w:p>`)
		for written := 0; written < 51<<20; written += len(paragraph) {
			_, err = w.Write(paragraph)
			must(t, err)
		}
		io.WriteString(w, `</w:body></w:document>`)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

// TestZipBombDOCXFailsForGoodVisibly: the archive is refused before LibreOffice runs,
// the conversion is not tried again, and the drafter is told why.
func TestZipBombDOCXFailsForGoodVisibly(t *testing.T) {
	t.Parallel()
	soffice := testenv.LookTool(t, "soffice")
	f := newFixture(t)
	ctx := context.Background()
	f.svc.Converter = &Converter{Soffice: soffice}
	bomb := zipBombDOCX(t)
	if len(bomb) > 400<<10 {
		t.Fatalf("the zip bomb takes %d bytes, not a small file", len(bomb))
	}
	err := f.svc.Converter.Convert(ctx, bytes.NewReader(bomb), io.Discard)
	if !errors.Is(err, ErrUnconvertible) {
		t.Fatalf("converting the zip bomb: %v", err)
	}
	id := f.draft(t, TypeBaoCao, "Báo cáo nén bất thường", func(in *DraftInput) {
		in.File = FileInput{Name: "bao-cao.docx", MediaType: MediaDOCX, Content: bytes.NewReader(bomb)}
	})
	if jobs := queuedJobs[ConvertDocxArgs](t, f.pool); len(jobs) != 1 || jobs[0].DocumentID != id {
		t.Fatalf("conversion jobs after the upload: %+v", jobs)
	}
	if got := f.workConversions(t, 1); got[0] != river.EventKindJobCancelled {
		t.Fatalf("the zip bomb's job ended with %s, want cancelled (never tried again)", got[0])
	}
	failures, err := ConversionFailures(ctx, f.pool, id)
	must(t, err)
	if len(failures) != 1 || failures[0].FileName != "du-thao-v1-bao-cao-nen-bat-thuong.docx" || !strings.Contains(failures[0].Message, "XML bung nén ra hơn") {
		t.Fatalf("failures shown to the drafter: %+v", failures)
	}
	// A new version gets its own chance; the old failure is no longer shown.
	must(t, f.svc.AddVersion(ctx, f.in(f.specialist), id, samplePDF(t, "v2"), ""))
	if failures, err := ConversionFailures(ctx, f.pool, id); err != nil || len(failures) != 0 {
		t.Errorf("failures after a new version: %+v %v", failures, err)
	}
}

// TestLibreOfficeRunsUnderAMemoryLimit: with too little address space LibreOffice
// cannot load the draft, which proves the limit reaches it.
func TestLibreOfficeRunsUnderAMemoryLimit(t *testing.T) {
	t.Parallel()
	soffice := testenv.LookTool(t, "soffice")
	testenv.LookTool(t, "prlimit")
	tight := &Converter{Soffice: soffice, MemoryLimit: 200 << 20}
	err := tight.Convert(context.Background(), bytes.NewReader(docxWith(t, vietnameseSample)), io.Discard)
	var e *Error
	if !errors.Is(err, ErrConversionFailed) || !errors.As(err, &e) || !strings.Contains(e.Message, "Không chuyển được tệp DOCX") {
		t.Fatalf("conversion in 200 MiB: %v", err)
	}
}

// TestConversionFailureIsRecordedAfterItsContextExpired: a conversion cut off by its
// time limit at its last attempt still leaves the drafter's sentence on the file.
func TestConversionFailureIsRecordedAfterItsContextExpired(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.draft(t, TypeBaoCao, "Báo cáo", nil)
	files, err := Files(context.Background(), f.pool, id)
	must(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the job's time is up while it works
	job := &river.Job[ConvertDocxArgs]{JobRow: &rivertype.JobRow{Attempt: convertMaxAttempts, MaxAttempts: convertMaxAttempts},
		Args: ConvertDocxArgs{DocumentID: id, FileID: files[0].ID}}
	cause := conversionFailed("LibreOffice không xong trong 1m30s", "timeout")
	must(t, f.svc.conversionGaveUp(ctx, job, cause))
	failures, err := ConversionFailures(context.Background(), f.pool, id)
	must(t, err)
	if len(failures) != 1 || !strings.Contains(failures[0].Message, "không xong trong") {
		t.Errorf("after an expired last attempt: %+v", failures)
	}
	job.Attempt = 1
	must(t, f.svc.conversionGaveUp(ctx, job, errors.New("a first attempt that failed")))
	if failures, _ := ConversionFailures(context.Background(), f.pool, id); failures[0].Message != UserMessage(cause) {
		t.Errorf("an attempt with retries left replaced the failure: %+v", failures)
	}
}

// workConversions works the queued jobs with the documents' workers, as a node does,
// until n conversion jobs have ended, and returns how each ended.
func (f *fixture) workConversions(t *testing.T, n int) []river.EventKind {
	t.Helper()
	ctx := context.Background()
	workers := river.NewWorkers()
	client, err := river.NewClient(riverpgxv5.New(f.pool), &river.Config{
		Queues:       map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:      workers,
		PeriodicJobs: f.svc.Jobs(workers, time.Hour),
		TestOnly:     true,
	})
	must(t, err)
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	defer cancel()
	must(t, client.Start(ctx))
	defer client.Stop(context.WithoutCancel(ctx))
	var ended []river.EventKind
	timeout := time.After(5 * time.Minute)
	for len(ended) < n {
		select {
		case ev := <-events:
			if ev.Job.Kind == (ConvertDocxArgs{}).Kind() {
				ended = append(ended, ev.Kind)
			}
		case <-timeout:
			t.Fatalf("%d of %d conversion jobs ended", len(ended), n)
		}
	}
	return ended
}

// BenchmarkRefuseZipBombDOCX measures how long the archive check takes to refuse the
// 150 KB document inflating to 51 MB of XML (LibreOffice took minutes and 2.3 GB).
func BenchmarkRefuseZipBombDOCX(b *testing.B) {
	path := filepath.Join(b.TempDir(), "bomb.docx")
	if err := os.WriteFile(path, zipBombDOCX(b), 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := checkDOCX(path); !errors.Is(err, ErrUnconvertible) {
			b.Fatalf("the bomb passed: %v", err)
		}
	}
}
