package liaison

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestSpillSinkKeepsSmallPackagesInMemory reads nested zips through a SpillSink
// whose budget holds the first attachments but not all: those within the budget
// never touch the disk, the rest spill into one directory, every file reads back as
// it was, and Discard leaves nothing behind.
func TestSpillSinkKeepsSmallPackagesInMemory(t *testing.T) {
	pdf := testPDF(20_000)
	data := packageWith(t, fileSource("1", "ho-so.zip", "application/zip", nested(t, 2, pdf)))
	for _, tc := range []struct {
		name   string
		budget int64
		spills bool
	}{
		{"all in memory", 1 << 20, false},
		{"the innermost files spill", int64(len(pdf)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			sink := NewSpillSink(parent, tc.budget)
			pkg, err := Read(strings.NewReader(data), Options{Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			if len(pkg.Attachments) != 3 {
				t.Fatalf("%d attachments, want the archive, the inner archive and the PDF", len(pkg.Attachments))
			}
			if entries, _ := os.ReadDir(parent); (len(entries) != 0) != tc.spills {
				t.Fatalf("spill directories: %d", len(entries))
			}
			inner := pkg.Attachments[2]
			f, err := sink.Open(inner.Index)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(io.NewSectionReader(f, 0, inner.Size))
			if err != nil || !bytes.Equal(got, pdf) {
				t.Fatalf("the innermost PDF read back as %d bytes (%v), want %d", len(got), err, len(pdf))
			}
			if err := sink.Discard(); err != nil {
				t.Fatal(err)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Fatalf("Discard left %d entries", len(entries))
			}
		})
	}
}
