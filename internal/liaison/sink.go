package liaison

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// AttachmentSink receives the decoded bytes of attachments while a package is read.
// Read calls Create once per attachment, in document order, writes the bytes and
// closes the writer; when the package is rejected for any reason it calls Discard,
// which must remove everything created so far. Committing what was stored is the
// caller's business once Read has succeeded (a database transaction, DirSink.Commit).
type AttachmentSink interface {
	Create(meta AttachmentMeta) (io.WriteCloser, error)
	Discard() error
}

// DiscardSink measures attachments (size, SHA-256, content type) without keeping them.
type DiscardSink struct{}

// Create returns a writer that drops the bytes.
func (DiscardSink) Create(AttachmentMeta) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }

// Discard has nothing to remove.
func (DiscardSink) Discard() error { return nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// DirSink stores attachments as files of a directory. Files are written to a hidden
// staging directory inside it and only moved into place by Commit, so a rejected
// package leaves nothing behind.
type DirSink struct {
	dir     string
	staging string
	created int
}

// NewDirSink returns a sink storing into dir, which must exist.
func NewDirSink(dir string) *DirSink { return &DirSink{dir: dir} }

// Create opens the staging file of the next attachment.
func (s *DirSink) Create(AttachmentMeta) (io.WriteCloser, error) {
	if s.staging == "" {
		staging, err := os.MkdirTemp(s.dir, ".edxml-partial-")
		if err != nil {
			return nil, err
		}
		s.staging = staging
	}
	f, err := os.OpenFile(filepath.Join(s.staging, strconv.Itoa(s.created)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	s.created++
	return f, nil
}

// Open reopens a stored attachment by its Index, before Commit.
func (s *DirSink) Open(index int) (ReadAtCloser, error) {
	if s.staging == "" || index < 0 || index >= s.created {
		return nil, fmt.Errorf("no stored attachment %d", index)
	}
	return os.Open(filepath.Join(s.staging, strconv.Itoa(index)))
}

// Discard removes the staging directory.
func (s *DirSink) Discard() error {
	if s.staging == "" {
		return nil
	}
	err := os.RemoveAll(s.staging)
	s.staging, s.created = "", 0
	return err
}

// Commit moves the attachments of a successfully read package into the directory,
// named after their AttachmentName (made safe and unique), and returns the paths.
// It refuses to overwrite existing files: then nothing is moved and the staged
// files are discarded.
func (s *DirSink) Commit(atts []Attachment) ([]string, error) {
	paths, err := s.destinations(atts)
	if err != nil {
		return nil, errors.Join(err, s.Discard())
	}
	for i, a := range atts {
		if err := os.Rename(filepath.Join(s.staging, strconv.Itoa(a.Index)), paths[i]); err != nil {
			return nil, err
		}
	}
	if s.staging != "" {
		if err := os.Remove(s.staging); err != nil {
			return nil, err
		}
	}
	s.staging, s.created = "", 0
	return paths, nil
}

func (s *DirSink) destinations(atts []Attachment) ([]string, error) {
	if len(atts) != s.created {
		return nil, fmt.Errorf("commit: %d attachments described, %d stored", len(atts), s.created)
	}
	paths := make([]string, len(atts))
	used := map[string]bool{}
	for i, a := range atts {
		paths[i] = filepath.Join(s.dir, uniqueName(safeFileName(a.Name, i), used))
		if _, err := os.Lstat(paths[i]); !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("commit: %s already exists", paths[i])
		}
	}
	return paths, nil
}

// safeFileName keeps the base name of an attachment name, without path tricks.
func safeFileName(name string, index int) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == '/' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
	if name == "." || name == ".." || name == "/" || name == "" || strings.HasPrefix(name, ".") {
		name = "attachment-" + strconv.Itoa(index+1) + strings.TrimLeft(name, ".")
	}
	return name
}

func uniqueName(name string, used map[string]bool) string {
	candidate := name
	ext := filepath.Ext(name)
	for n := 2; used[candidate]; n++ {
		candidate = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), n, ext)
	}
	used[candidate] = true
	return candidate
}
