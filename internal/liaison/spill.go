package liaison

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// SpillSink keeps attachments in memory while their total stays within a budget and
// writes the rest to files of a temporary directory it makes when first needed. A
// usual package (a signed letter and an annex, tens of kilobytes) then costs no file
// system work at all — making, writing, reading back and removing a directory of
// files took a fifth of a receiving node's CPU — while a large one still passes in
// bounded memory. It can give back what it stored (a ReopeningSink), so zipped
// attachments are unpacked as with DirSink. Discard removes everything, and must be
// called once the stored attachments are no longer needed.
type SpillSink struct {
	parent string // where the spill directory is made; "" is os.TempDir()
	budget int64  // bytes kept in memory, all attachments together
	inMem  int64
	dir    string
	stored []*spillEntry
	opened []*os.File
}

// spillEntry is one attachment: its bytes in memory, or the path of its file.
type spillEntry struct {
	sink  *SpillSink
	index int
	mem   bytes.Buffer
	file  *os.File // while being written
	path  string
}

// NewSpillSink returns a sink keeping up to budget bytes of attachments in memory,
// spilling the rest into a directory made under parent ("" for os.TempDir()).
func NewSpillSink(parent string, budget int64) *SpillSink {
	return &SpillSink{parent: parent, budget: budget}
}

// Create starts the next attachment, in memory.
func (s *SpillSink) Create(AttachmentMeta) (io.WriteCloser, error) {
	e := &spillEntry{sink: s, index: len(s.stored)}
	s.stored = append(s.stored, e)
	return e, nil
}

// Write keeps p in memory while the budget allows; past it the attachment moves to
// a file, with what it had in memory.
func (e *spillEntry) Write(p []byte) (int, error) {
	if e.file == nil && e.path == "" && e.sink.inMem+int64(len(p)) <= e.sink.budget {
		e.sink.inMem += int64(len(p))
		return e.mem.Write(p)
	}
	if e.file == nil {
		if err := e.spill(); err != nil {
			return 0, err
		}
	}
	return e.file.Write(p)
}

// spill opens the attachment's file and moves its bytes so far there.
func (e *spillEntry) spill() error {
	dir, err := e.sink.spillDir()
	if err != nil {
		return err
	}
	e.path = filepath.Join(dir, strconv.Itoa(e.index))
	e.file, err = os.OpenFile(e.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("liaison: unable to spill an attachment to disk: %w", err)
	}
	e.sink.opened = append(e.sink.opened, e.file)
	e.sink.inMem -= int64(e.mem.Len())
	_, err = e.file.Write(e.mem.Bytes())
	e.mem = bytes.Buffer{}
	return err
}

// Close ends the attachment's writing.
func (e *spillEntry) Close() error {
	if e.file == nil {
		return nil
	}
	err := e.file.Close()
	e.file = nil
	return err
}

func (s *SpillSink) spillDir() (string, error) {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.parent, "edms-attachments-")
		if err != nil {
			return "", fmt.Errorf("liaison: unable to spill attachments to disk: %w", err)
		}
		s.dir = dir
	}
	return s.dir, nil
}

// Open gives back a stored attachment by its Index.
func (s *SpillSink) Open(index int) (ReadAtCloser, error) {
	if index < 0 || index >= len(s.stored) {
		return nil, fmt.Errorf("no stored attachment %d", index)
	}
	e := s.stored[index]
	if e.path == "" {
		return memoryFile{bytes.NewReader(e.mem.Bytes())}, nil
	}
	f, err := os.Open(e.path)
	if err != nil {
		return nil, err
	}
	s.opened = append(s.opened, f)
	return f, nil
}

// Discard drops what is in memory and removes the spill directory with its files.
func (s *SpillSink) Discard() error {
	var errs []error
	for _, f := range s.opened {
		if err := f.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if s.dir != "" {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	s.stored, s.opened, s.dir, s.inMem = nil, nil, "", 0
	return errors.Join(errs...)
}

// memoryFile is an attachment kept in memory, opened again.
type memoryFile struct{ *bytes.Reader }

func (memoryFile) Close() error { return nil }
