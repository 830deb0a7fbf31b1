package liaison

import (
	"archive/zip"
	"bytes"
	"os"
	"strings"
	"testing"
)

// zipWithHeader makes a zip of one entry written with the given header.
func zipWithHeader(t testing.TB, header *zip.FileHeader, body []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(header)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(body)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nested wraps body in depth levels of zip archives.
func nested(t testing.TB, depth int, body []byte) []byte {
	for i := range depth {
		name := "cap-" + itoa(depth-i) + ".zip"
		if i == 0 {
			name = "to-trinh.pdf"
		}
		body = zipOf(t, zipFile{name, body})
	}
	return body
}

// TestZippedAttachmentsRefusedLeaveNothing checks each dangerous archive: the
// package is refused with a located message and the sink directory stays empty.
func TestZippedAttachmentsRefusedLeaveNothing(t *testing.T) {
	pdf := testPDF(2000)
	symlink := &zip.FileHeader{Name: "lien-ket", Method: zip.Store}
	symlink.SetMode(os.ModeSymlink | 0o777)
	cases := []struct {
		name    string
		archive []byte
		limits  Limits
		message string
	}{
		{"zip bomb by ratio", zipOf(t, zipFile{"so-lieu.csv", make([]byte, 8<<20)}), Limits{}, "expands beyond"},
		{"zip bomb by total size", zipOf(t, zipFile{"a.txt", bytes.Repeat([]byte("Báo cáo số liệu 2026. "), 30_000)}, zipFile{"b.txt", bytes.Repeat([]byte("Báo cáo số liệu 2026. "), 30_000)}),
			Limits{MaxArchiveBytes: 1 << 20}, "expands beyond"},
		{"too many entries", zipOf(t, zipFile{"1.txt", []byte("một")}, zipFile{"2.txt", []byte("hai")}, zipFile{"3.txt", []byte("ba")}),
			Limits{MaxArchiveEntries: 2}, "more than 2 files"},
		{"path traversal", zipOf(t, zipFile{"phu-luc.pdf", pdf}, zipFile{"../../etc/cron.d/x.txt", []byte("* * * * * root sh")}), Limits{}, "path traversal"},
		{"absolute path", zipOf(t, zipFile{`C:\Windows\x.txt`, []byte("x")}), Limits{}, "path traversal"},
		{"symbolic link", zipWithHeader(t, symlink, []byte("/etc/passwd")), Limits{}, "link or a special file"},
		{"nested too deep", nested(t, 4, pdf), Limits{}, "nested more than 3 deep"},
		{"executable inside", zipOf(t, zipFile{"setup.pdf", append([]byte("MZ\x90\x00"), pdf...)}), Limits{}, "executable program"},
		{"program name inside", zipOf(t, zipFile{"huong-dan.bat", []byte("del /q *")}), Limits{}, "program or script"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := packageWith(t, fileSource("1", "ho-so.zip", "application/zip", tc.archive))
			err, left := readInto(t, []byte(data), tc.limits)
			wantLocated(t, err, RuleArchive, "Attachment/ContentTransferEncoded")
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("err = %v, want %q", err, tc.message)
			}
			if len(left) != 0 {
				t.Errorf("refused package left %d entries in the sink directory", len(left))
			}
		})
	}
}

func TestNestedZipsAreUnpacked(t *testing.T) {
	pdf := testPDF(2000)
	data := packageWith(t, fileSource("1", "ho-so.zip", "application/zip", nested(t, 3, pdf)))
	dir := t.TempDir()
	sink := NewDirSink(dir)
	pkg, err := Read(strings.NewReader(data), Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range pkg.Attachments {
		names = append(names, a.Name+"<"+a.FromArchive)
	}
	if got := strings.Join(names, " "); got != "ho-so.zip< cap-1.zip<1 cap-2.zip<1/cap-1.zip to-trinh.pdf<1/cap-1.zip/cap-2.zip" {
		t.Fatalf("attachments %s", got)
	}
	paths, err := sink.Commit(pkg.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(paths[3]); !bytes.Equal(got, pdf) {
		t.Errorf("the innermost PDF was not stored as it was")
	}
}

func TestArchiveKeptWhenTheSinkCannotReopen(t *testing.T) {
	data := packageWith(t, fileSource("1", "ho-so.zip", "application/zip", zipOf(t, zipFile{"../x.txt", []byte("x")})))
	pkg, err := Read(strings.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkg.Attachments) != 1 || !hasWarning(pkg, "Attachment/ContentTransferEncoded", RuleArchive) {
		t.Fatalf("attachments %d, warnings %v", len(pkg.Attachments), pkg.Warnings)
	}
}
