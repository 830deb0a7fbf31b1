package docs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoConverter means LibreOffice is not installed: DOCX drafts cannot be turned into
// the PDF that is reviewed and signed, so the user must upload a PDF.
var ErrNoConverter = errors.New("docs: LibreOffice (soffice) is not installed; DOCX cannot be converted to PDF")

// Converter turns DOCX drafts into PDF with LibreOffice in headless mode, one process
// per conversion with its own throw-away profile, killed with its children when it
// runs past the time limit.
type Converter struct {
	Soffice string        // path of soffice; empty: looked up in PATH
	Timeout time.Duration // 0: 2 minutes
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
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, soffice, "--headless", "--norestore", "--nologo", "--nolockcheck",
		"-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--convert-to", "pdf", "--outdir", dir, in)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	output, err := cmd.CombinedOutput()
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("docs: LibreOffice did not finish the conversion within %s", timeout)
	}
	if err != nil {
		return fmt.Errorf("docs: LibreOffice failed to convert the draft: %v: %s", err, strings.TrimSpace(string(output)))
	}
	out, err := os.Open(filepath.Join(dir, "draft.pdf"))
	if err != nil {
		return fmt.Errorf("docs: LibreOffice produced no PDF (%s): %w", strings.TrimSpace(string(output)), err)
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

// ConvertPending runs up to limit pending DOCX → PDF conversions (the "convert" jobs
// the drafts left in the outbox), storing each PDF as the rendition of its version.
// It is the body of a background worker; a failed conversion is retried later.
func (s *Service) ConvertPending(ctx context.Context, limit int) (int, error) {
	return ClaimOutbox(ctx, s.Pool, OutboxConvert, limit, func(ctx context.Context, tx pgx.Tx, it OutboxItem) error {
		fileID, ok := it.Payload["file_id"].(float64)
		if !ok {
			return fmt.Errorf("docs: conversion job %d names no file", it.ID)
		}
		return s.convertFile(ctx, tx, it.DocumentID, int64(fileID))
	})
}

func (s *Service) convertFile(ctx context.Context, tx pgx.Tx, docID, fileID int64) error {
	var blobID int64
	var version int
	var name string
	if err := tx.QueryRow(ctx, `SELECT blob_id, version, file_name FROM document_files WHERE id = $1 AND document_id = $2`,
		fileID, docID).Scan(&blobID, &version, &name); err != nil {
		return fmt.Errorf("docs: unable to read file %d: %w", fileID, err)
	}
	src, err := os.CreateTemp("", "edms-docx-")
	if err != nil {
		return fmt.Errorf("docs: unable to spool the draft: %w", err)
	}
	defer os.Remove(src.Name())
	defer src.Close()
	if _, err := CopyBlob(ctx, tx, blobID, src); err != nil {
		return err
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	pdfR, pdfW := io.Pipe()
	go func() { pdfW.CloseWithError(s.Converter.Convert(ctx, src, pdfW)) }()
	pdfName := strings.TrimSuffix(name, filepath.Ext(name)) + ".pdf"
	_, err = addFile(ctx, tx, docID, KindRendition, version, FileInput{Name: pdfName, MediaType: MediaPDF, Content: pdfR},
		0, "Bản PDF chuyển từ "+name+" (phiên bản "+strconv.Itoa(version)+")", s.maxFileSize())
	pdfR.CloseWithError(err)
	return err
}
