package liaison

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"edms/internal/testenv"
)

func TestRoundTripIsByteStable(t *testing.T) {
	first := buildTestPackage(t, 100_000)
	dir := t.TempDir()
	sink := NewDirSink(dir)
	pkg, err := Read(bytes.NewReader(first), Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := sink.Commit(pkg.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	var files []AttachmentSource
	for i, a := range pkg.Attachments {
		if a.FromArchive != "" {
			continue
		}
		body, err := os.Open(paths[i])
		if err != nil {
			t.Fatal(err)
		}
		defer body.Close()
		files = append(files, AttachmentSource{a.AttachmentMeta, body})
	}
	var second bytes.Buffer
	if err := Write(&second, pkg, files); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second.Bytes()) {
		t.Fatalf("build → read → build is not byte-stable:\n%s\n----\n%s", head(first), head(second.Bytes()))
	}
	if pkg.Header.To[0].OrganName != "Sở Tài chính & Kế hoạch <Nghệ An>" || pkg.Attachments[0].Size != 100_000 {
		t.Errorf("read back %+v, size %d", pkg.Header.To[0], pkg.Attachments[0].Size)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("directory holds %d entries after commit, want the 2 attachments and the file unpacked from the zip", len(entries))
	}
}

func head(b []byte) string { return string(b[:min(len(b), 3000)]) }

func TestOwnOutputMatchesXSD(t *testing.T) {
	xmllint := testenv.LookTool(t, "xmllint")
	dir := t.TempDir()
	status := &Package{Kind: KindStatus, Status: testStatus()}
	var statusOut bytes.Buffer
	if err := Write(&statusOut, status, nil); err != nil {
		t.Fatal(err)
	}
	pki := rsaPKI(t)
	document := buildTestPackage(t, 5000)
	path := filepath.Join(dir, "bad-date.edxml")
	os.WriteFile(path, bytes.Replace(document, []byte("<edXML:PromulgationDate>2026/03/02"), []byte("<edXML:PromulgationDate>02/03/2026"), 1), 0o644)
	if out, err := exec.Command(xmllint, "--noout", "--schema", "../../schemas/edxml.xsd", path).CombinedOutput(); err == nil {
		t.Errorf("the XSD accepts a dd/MM/yyyy PromulgationDate:\n%s", out)
	}
	for name, data := range map[string][]byte{
		"document.edxml": document,
		"signed.edxml":   signBytes(t, buildTestPackage(t, 5000), pki.identity),
		"status.edxml":   statusOut.Bytes(),
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, data, 0o644)
		out, err := exec.Command(xmllint, "--noout", "--schema", "../../schemas/edxml.xsd", path).CombinedOutput()
		if err != nil {
			t.Errorf("%s does not validate against schemas/edxml.xsd: %v\n%s", name, err, out)
		}
	}
}

func TestWriteRefusesContradictoryAttachment(t *testing.T) {
	files := testFiles(t, testPDF(1000))
	files[0].ContentType = "application/msword"
	err := Write(&bytes.Buffer{}, testDocument(), files)
	if err == nil || !strings.Contains(err.Error(), "Attachment/ContentTransferEncoded") || !strings.Contains(err.Error(), "PDF document") {
		t.Fatalf("err = %v", err)
	}
}

func TestWriteRefusesInvalidPackage(t *testing.T) {
	pkg := testDocument()
	pkg.Header.To = append(pkg.Header.To, pkg.Header.To[0])
	pkg.Header.Subject = ""
	err := Write(&bytes.Buffer{}, pkg, nil)
	if err == nil || !strings.Contains(err.Error(), "To[3]/OrganId [duplicate-recipient]") || !strings.Contains(err.Error(), "MessageHeader/Subject [mandatory]") {
		t.Fatalf("err = %v", err)
	}
}

// TestWriteSendsStoredTypesAsTheNetworkExpects writes files as a document store
// labels them (octet-stream for odd files, non-standard spellings): the names give
// the types, odd files are zipped, and everything reads back with its real type.
func TestWriteSendsStoredTypesAsTheNetworkExpects(t *testing.T) {
	pdf := testPDF(1000)
	data := packageWith(t,
		fileSource("1", "ban-ve.dwg", "application/octet-stream", []byte("AC1027 drawing")),
		fileSource("2", "to-trinh.pdf", "", pdf),
		fileSource("3", "cong-van.docx", "application/docx", docxBytes(t)),
	)
	pkg, err := Read(strings.NewReader(data), Options{Sink: NewDirSink(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range pkg.Attachments {
		got = append(got, a.Name+" "+a.ContentType)
	}
	want := "ban-ve.dwg application/zip|to-trinh.pdf application/pdf|cong-van.docx application/vnd.openxmlformats-officedocument.wordprocessingml.document|ban-ve.dwg text/plain"
	if strings.Join(got, "|") != want {
		t.Fatalf("read back %q, want %q", strings.Join(got, "|"), want)
	}
	if len(pkg.Warnings) != 1 || pkg.Warnings[0].Rule != RuleArchive {
		t.Errorf("warnings %v, want only the note that the drawing was unpacked", pkg.Warnings)
	}
}
