package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/testenv"
)

// docxWith builds a minimal but valid Word document holding one paragraph.
func docxWith(t *testing.T, text string) []byte {
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
	n, err := f.svc.ConvertPending(ctx, 10)
	must(t, err)
	if n != 1 {
		t.Fatalf("%d conversions done, want 1", n)
	}
	pdf, err := currentPDF(ctx, f.pool, id)
	must(t, err)
	if pdf.Kind != KindRendition || pdf.Name != "ke-hoach.pdf" {
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
