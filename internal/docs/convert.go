package docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/store"
)

// ErrNoConverter means LibreOffice is not installed: DOCX drafts cannot be turned into
// the PDF that is reviewed and signed, so the user must upload a PDF.
var ErrNoConverter = errors.New("docs: LibreOffice (soffice) is not installed; DOCX cannot be converted to PDF")

// ErrConversionFailed means LibreOffice did not turn a DOCX into a PDF this time.
var ErrConversionFailed = errors.New("docs: LibreOffice failed to convert the DOCX")

// Converter turns DOCX drafts into PDF with LibreOffice in headless mode, one process
// per conversion with its own throw-away profile. The archive is checked first
// (checkDOCX); LibreOffice then runs under prlimit (util-linux) with its address
// space, CPU time and output bounded, and is killed with its children when it runs
// past the time limit.
type Converter struct {
	Soffice string        // path of soffice; empty: looked up in PATH
	Timeout time.Duration // wall and CPU time of one conversion; 0: DefaultConvertTimeout
	// MemoryLimit caps LibreOffice's address space in bytes; 0: DefaultConvertMemory.
	MemoryLimit int64
}

// Default limits of one conversion: an ordinary document converts in about 15 s and
// 250 MB on the 2-core reference machine.
const (
	DefaultConvertTimeout = 90 * time.Second
	DefaultConvertMemory  = 1536 << 20
	convertMaxOutput      = 256 << 20 // largest file LibreOffice may write
)

func (c *Converter) timeout() time.Duration {
	if c == nil || c.Timeout <= 0 {
		return DefaultConvertTimeout
	}
	return c.Timeout
}

// limited prefixes the command with prlimit when it is installed.
func (c *Converter) limited(command []string) []string {
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		slog.Warn("docs: prlimit (util-linux) is not installed; LibreOffice runs without memory and CPU limits")
		return command
	}
	memory := c.MemoryLimit
	if memory <= 0 {
		memory = DefaultConvertMemory
	}
	cpu := int64(math.Ceil(c.timeout().Seconds()))
	return append([]string{prlimit, fmt.Sprintf("--as=%d", memory), fmt.Sprintf("--cpu=%d", cpu),
		fmt.Sprintf("--fsize=%d", convertMaxOutput), "--"}, command...)
}

// conversionFailed is a failed attempt, with the reason in Vietnamese.
func conversionFailed(reason, detail string, args ...any) error {
	return &Error{Kind: ErrConversionFailed, Message: "Không chuyển được tệp DOCX sang PDF: " + reason + "." + docxAdviceUpload,
		Detail: fmt.Sprintf(detail, args...)}
}

func (c *Converter) binary() (string, error) {
	if c == nil {
		return "", ErrNoConverter
	}
	if c.Soffice != "" {
		return c.Soffice, nil
	}
	path, err := exec.LookPath("soffice")
	if err != nil {
		return "", ErrNoConverter
	}
	return path, nil
}

// Available reports whether conversions can run.
func (c *Converter) Available() bool {
	_, err := c.binary()
	return err == nil
}

// Convert reads a DOCX and writes its PDF rendering.
func (c *Converter) Convert(ctx context.Context, docx io.Reader, pdf io.Writer) error {
	soffice, err := c.binary()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "edms-convert-")
	if err != nil {
		return fmt.Errorf("docs: unable to prepare a conversion: %w", err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "draft.docx")
	if err := writeFile(in, docx); err != nil {
		return err
	}
	if err := checkDOCX(in); err != nil {
		return err
	}
	timeout := c.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	command := c.limited([]string{soffice, "--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--convert-to", "pdf", "--outdir", dir, in})
	cmd := exec.CommandContext(ctx, command[0], command[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	output, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		return conversionFailed(fmt.Sprintf("LibreOffice không xong trong %s", timeout),
			"LibreOffice did not finish the conversion within %s", timeout)
	}
	if err != nil {
		return conversionFailed("LibreOffice dừng giữa chừng (có thể vì vượt giới hạn bộ nhớ hoặc thời gian xử lý)",
			"LibreOffice failed to convert the draft: %v: %s", err, strings.TrimSpace(string(output)))
	}
	out, err := os.Open(filepath.Join(dir, "draft.pdf"))
	if err != nil {
		return conversionFailed("LibreOffice không đọc được tệp hoặc không đủ bộ nhớ để chuyển",
			"LibreOffice produced no PDF (%s): %v", strings.TrimSpace(string(output)), err)
	}
	defer out.Close()
	if _, err := io.Copy(pdf, out); err != nil {
		return fmt.Errorf("docs: unable to read the converted PDF: %w", err)
	}
	return nil
}

func writeFile(path string, r io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("docs: unable to write %s: %w", path, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return fmt.Errorf("docs: unable to write %s: %w", path, err)
	}
	return f.Close()
}

// ConvertDocxArgs converts one DOCX version of a draft to its PDF rendition. The
// upload step inserts it in its transaction; it is tried convertMaxAttempts times (a
// conversion that failed three times will fail again: LibreOffice is deterministic
// under its limits), and one that fails for good keeps the drafter's sentence on the
// file (ConversionFailures).
type ConvertDocxArgs struct {
	DocumentID int64 `json:"document_id"`
	FileID     int64 `json:"file_id"`
}

// Kind names the job in River's table.
func (ConvertDocxArgs) Kind() string { return "docs.convert_docx" }

const convertMaxAttempts = 3

// queueConversion inserts the conversion job of a DOCX version in the upload's
// transaction.
func (s *Service) queueConversion(ctx context.Context, tx pgx.Tx, docID, fileID int64) error {
	if s.Queue == nil {
		return errors.New("docs: no job queue configured for DOCX conversions")
	}
	args := ConvertDocxArgs{DocumentID: docID, FileID: fileID}
	if _, err := s.Queue.InsertTx(ctx, tx, args, &river.InsertOpts{MaxAttempts: convertMaxAttempts}); err != nil {
		return fmt.Errorf("docs: unable to queue the conversion of file %d: %w", fileID, err)
	}
	return nil
}

// ConversionFailure is a conversion of the document's current main version that
// failed for good, with the reason for the drafter.
type ConversionFailure struct {
	FileName string
	Message  string // Vietnamese
}

// ConversionFailures lists the conversions of the document's latest main version that
// failed for good, so that the drafter sees why no PDF came and uploads one.
func ConversionFailures(ctx context.Context, db store.DB, docID int64) ([]ConversionFailure, error) {
	rows, err := db.Query(ctx, `
		SELECT f.file_name, f.conversion_failure FROM document_files f
		WHERE f.document_id = $1 AND f.kind = 'main' AND f.conversion_failure <> ''
		  AND f.version = (SELECT max(version) FROM document_files WHERE document_id = $1 AND kind = 'main')
		ORDER BY f.id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the conversions of document %d: %w", docID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[ConversionFailure])
}

// convertDocx runs one conversion job: LibreOffice works on spooled files outside any
// transaction; the PDF is then stored as the rendition of its version and the job
// completed in one short transaction.
func (s *Service) convertDocx(ctx context.Context, job *river.Job[ConvertDocxArgs]) error {
	if !s.Converter.Available() { // a node without LibreOffice took a job another node queued
		return conversionFailed("máy chủ xử lý chưa cài LibreOffice", "%v", ErrNoConverter)
	}
	var blobID int64
	var version int
	var name string
	if err := s.Pool.QueryRow(ctx, `SELECT blob_id, version, file_name FROM document_files WHERE id = $1 AND document_id = $2`,
		job.Args.FileID, job.Args.DocumentID).Scan(&blobID, &version, &name); err != nil {
		return fmt.Errorf("docs: unable to read file %d: %w", job.Args.FileID, err)
	}
	pdf, err := s.renderPDF(ctx, blobID)
	if err != nil {
		return err
	}
	defer os.Remove(pdf.Name())
	defer pdf.Close()
	pdfName := strings.TrimSuffix(name, filepath.Ext(name)) + ".pdf"
	return pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := addFile(ctx, tx, job.Args.DocumentID, KindRendition, version, FileInput{Name: pdfName, MediaType: MediaPDF, Content: pdf},
			0, "Bản PDF chuyển từ "+name+" (phiên bản "+strconv.Itoa(version)+")", s.maxFileSize()); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE document_files SET conversion_failure = '' WHERE id = $1`, job.Args.FileID); err != nil {
			return fmt.Errorf("docs: unable to clear the conversion failure: %w", err)
		}
		_, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job)
		return err
	})
}

// renderPDF converts a stored DOCX to a temporary PDF file, positioned at its start.
func (s *Service) renderPDF(ctx context.Context, blobID int64) (*os.File, error) {
	src, err := os.CreateTemp("", "edms-docx-")
	if err != nil {
		return nil, fmt.Errorf("docs: unable to spool the draft: %w", err)
	}
	defer os.Remove(src.Name())
	defer src.Close()
	if _, err := CopyBlob(ctx, s.Pool, blobID, src); err != nil {
		return nil, err
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("docs: unable to read the spooled draft: %w", err)
	}
	pdf, err := os.CreateTemp("", "edms-pdf-")
	if err != nil {
		return nil, fmt.Errorf("docs: unable to spool the PDF: %w", err)
	}
	err = s.Converter.Convert(ctx, src, pdf)
	if err == nil {
		_, err = pdf.Seek(0, io.SeekStart)
	}
	if err != nil {
		pdf.Close()
		os.Remove(pdf.Name())
		return nil, err
	}
	return pdf, nil
}

// conversionGaveUp keeps, on the file, the drafter's sentence for a conversion that
// failed for good: at its last attempt, or refused as unconvertible. It runs even
// when the job's context has expired (a conversion past its time limit), so that the
// failure is always recorded.
func (s *Service) conversionGaveUp(ctx context.Context, job *river.Job[ConvertDocxArgs], cause error) error {
	if job.Attempt < job.MaxAttempts && !errors.Is(cause, ErrUnconvertible) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := s.Pool.Exec(ctx, `UPDATE document_files SET conversion_failure = $2 WHERE id = $1`,
		job.Args.FileID, UserMessage(cause)); err != nil {
		return fmt.Errorf("docs: unable to record the failed conversion of file %d: %w", job.Args.FileID, err)
	}
	return nil
}
