package signing

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/digitorus/pdf"
)

// Document is a PDF to sign, stamp or verify, read through io.ReaderAt so that large
// files are not loaded whole when verifying. Callers holding bytes (from PostgreSQL)
// use NewDocument(bytes.NewReader(b), int64(len(b))).
type Document struct {
	r    io.ReaderAt
	size int64
}

// NewDocument reads a PDF of size bytes from r.
func NewDocument(r io.ReaderAt, size int64) Document {
	return Document{r: r, size: size}
}

// OpenFile opens a PDF file; close the returned file when done with the document.
func OpenFile(path string) (Document, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return Document{}, nil, fmt.Errorf("signing: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return Document{}, nil, fmt.Errorf("signing: %w", err)
	}
	return NewDocument(f, st.Size()), f, nil
}

// Size of the document in bytes.
func (d Document) Size() int64 { return d.size }

func (d Document) section() *io.SectionReader { return io.NewSectionReader(d.r, 0, d.size) }

// open parses the document, turning the panics of the PDF reader into ErrNotPDF and
// refusing encrypted files. It touches the page tree so that a broken
// cross-reference table fails here rather than half-way through signing.
func (d Document) open() (rdr *pdf.Reader, err error) {
	defer recoverAs(&err, ErrNotPDF)
	head := make([]byte, 5)
	if _, err := d.r.ReadAt(head, 0); err != nil || !bytes.Equal(head, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: no %%PDF- header", ErrNotPDF)
	}
	rdr, err = pdf.NewReader(d.r, d.size)
	if err != nil {
		if d.tailMentions("/Encrypt") {
			return nil, ErrEncrypted // an encryption the reader cannot even open
		}
		return nil, fmt.Errorf("%w: %s", ErrNotPDF, shorten(err.Error()))
	}
	if !rdr.Trailer().Key("Encrypt").IsNull() {
		return nil, ErrEncrypted
	}
	root := rdr.Trailer().Key("Root")
	if root.Key("Pages").Key("Count").Int64() < 1 {
		return nil, fmt.Errorf("%w: no page tree (broken cross-reference table?)", ErrNotPDF)
	}
	if _, err := pageByNumber(root, 1); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	return rdr, nil
}

// tailMentions reports whether the last 4 KiB of the file, where the trailer
// dictionary is, contain s.
func (d Document) tailMentions(s string) bool {
	n := min(d.size, 4096)
	tail := make([]byte, n)
	if _, err := d.r.ReadAt(tail, d.size-n); err != nil && err != io.EOF {
		return false
	}
	return bytes.Contains(tail, []byte(s))
}

// recoverAs turns a panic of the PDF libraries into an error wrapping sentinel.
func recoverAs(err *error, sentinel error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s", sentinel, shorten(fmt.Sprint(r)))
	}
}

// shorten keeps messages of the PDF reader, which may quote whole objects, readable.
func shorten(msg string) string {
	const limit = 160
	if len(msg) <= limit {
		return msg
	}
	return strings.ToValidUTF8(msg[:limit], "") + "…"
}

// pageByNumber walks the page tree to the 1-based page n.
func pageByNumber(root pdf.Value, n int) (pdf.Value, error) {
	node := root.Key("Pages")
	for depth := 0; depth < 64; depth++ {
		if node.Key("Type").Name() == "Page" {
			if n == 1 {
				return node, nil
			}
			break
		}
		kids := node.Key("Kids")
		found := false
		for i := 0; i < kids.Len(); i++ {
			kid := kids.Index(i)
			count := int(kid.Key("Count").Int64())
			if kid.Key("Type").Name() == "Page" {
				count = 1
			}
			if n <= count {
				node, found = kid, true
				break
			}
			n -= count
		}
		if !found {
			break
		}
	}
	return pdf.Value{}, fmt.Errorf("page %d not found", n)
}

// mediaBox returns the page size as a Rect.
func mediaBox(page pdf.Value) Rect {
	for p := page; !p.IsNull(); p = p.Key("Parent") {
		if box := p.Key("MediaBox"); box.Len() == 4 {
			return Rect{box.Index(0).Float64(), box.Index(1).Float64(), box.Index(2).Float64(), box.Index(3).Float64()}
		}
	}
	return Rect{0, 0, 595.28, 841.89} // A4
}

// WriteFile runs write into a temporary file next to path and renames it to path
// only when write succeeded, so a failure never leaves a partial output file.
func WriteFile(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("signing: write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("signing: %w", err)
	}
	return nil
}
