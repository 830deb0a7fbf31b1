package liaison

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// addSeeds seeds a fuzz target with the shared samples, read at test time, and a
// package of our own. The document samples carry a 360 KB payload, which makes
// every execution slow; they are added with the payload cut to its first 400
// base64 characters (still a zip head), so that mutations land in the markup.
func addSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(sharedSamples, "*.edxml"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(shortenPayloads(data))
	}
	f.Add(buildTestPackage(f, 300))
}

var payloadPattern = regexp.MustCompile(`(ContentTransferEncoded[^>]*>)([A-Za-z0-9+/=]{400})[A-Za-z0-9+/=\s]*(</)`)

func shortenPayloads(data []byte) []byte {
	return payloadPattern.ReplaceAll(data, []byte("${1}${2}${3}"))
}

var fuzzLimits = Limits{MaxPackageBytes: 4 << 20, MaxHeaderBytes: 1 << 20, MaxDepth: 24, MaxAttachments: 8, MaxAttachmentBytes: 2 << 20}

// FuzzRead checks that any input is either read or refused with an error, never a
// panic, and that a package read once reads the same when written back.
func FuzzRead(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, err := Read(bytes.NewReader(data), Options{Limits: fuzzLimits})
		if err != nil {
			return
		}
		if pkg.Kind != KindDocument && pkg.Kind != KindStatus {
			t.Fatalf("accepted a package of kind %v", pkg.Kind)
		}
		for _, a := range pkg.Attachments {
			if a.Size > fuzzLimits.MaxAttachmentBytes {
				t.Fatalf("attachment of %d bytes passed the limit", a.Size)
			}
		}
	})
}

// FuzzValidate checks that validation and writing never panic on whatever the reader
// produced, and that a package the writer accepts reads back valid.
func FuzzValidate(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pkg, _ := Read(bytes.NewReader(data), Options{Limits: fuzzLimits})
		if pkg == nil {
			return
		}
		Validate(pkg)
		if pkg.Kind != KindStatus {
			return
		}
		var out bytes.Buffer
		if err := Write(&out, pkg, nil); err != nil {
			return
		}
		if _, err := Read(&out, Options{Limits: fuzzLimits}); err != nil {
			t.Fatalf("written package does not read back: %v\n%s", err, out.String())
		}
	})
}

// memSink keeps attachments in memory and can reopen them, for unpacking.
type memSink struct{ files []*bytes.Buffer }

func (s *memSink) Create(AttachmentMeta) (io.WriteCloser, error) {
	b := &bytes.Buffer{}
	s.files = append(s.files, b)
	return nopCloser{b}, nil
}

func (s *memSink) Discard() error { s.files = nil; return nil }

func (s *memSink) Open(index int) (ReadAtCloser, error) {
	return nopReadAtCloser{bytes.NewReader(s.files[index].Bytes())}, nil
}

type nopReadAtCloser struct{ io.ReaderAt }

func (nopReadAtCloser) Close() error { return nil }

// FuzzUnpack feeds arbitrary bytes as a zipped attachment: the unpacker must never
// panic, never store more than its limits, and never let a path climb out.
func FuzzUnpack(f *testing.F) {
	f.Add(zipOf(f, zipFile{"a.txt", []byte("một hai ba")}, zipFile{"thu-muc/b.pdf", testPDF(300)}))
	f.Add(nested(f, 2, testPDF(200)))
	f.Add(zipOf(f, zipFile{"../x.txt", []byte("x")}))
	limits := Limits{MaxArchiveEntries: 20, MaxArchiveBytes: 1 << 20, MaxArchiveRatio: 100, MaxArchiveDepth: 3, MaxAttachmentBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, archive []byte) {
		sink := &memSink{}
		w, _ := sink.Create(AttachmentMeta{})
		w.Write(archive)
		pkg := &Package{Attachments: []Attachment{{AttachmentMeta: AttachmentMeta{ContentID: "1", Name: "a.zip"}, Size: int64(len(archive)), archive: true}}}
		var found issues
		if err := unpackArchives(pkg, sink, limits, &found); err != nil {
			t.Fatal(err)
		}
		var total int64
		for _, a := range pkg.Attachments[1:] {
			total += a.Size
			if strings.Contains(a.Name, "/") || a.Name == ".." {
				t.Fatalf("unpacked name %q", a.Name)
			}
		}
		if total > limits.MaxArchiveBytes || len(pkg.Attachments)-1 > limits.MaxArchiveEntries {
			t.Fatalf("unpacked %d files, %d bytes: beyond the limits", len(pkg.Attachments)-1, total)
		}
	})
}
