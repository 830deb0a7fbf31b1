package liaison

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

// zipOf makes a zip archive of the named files, in order.
func zipOf(t testing.TB, files ...zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type zipFile struct {
	name string
	body []byte
}

// docxBytes is a zip shaped like an office open XML document.
func docxBytes(t testing.TB) []byte {
	return zipOf(t, zipFile{"[Content_Types].xml", []byte(`<?xml version="1.0"?><Types/>`)}, zipFile{"word/document.xml", []byte(`<?xml version="1.0"?><w:document/>`)})
}

// packageWith writes testDocument with the given attachments, declared honestly.
func packageWith(t testing.TB, files ...AttachmentSource) string {
	t.Helper()
	var out bytes.Buffer
	if err := Write(&out, testDocument(), files); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func fileSource(cid, name, contentType string, body []byte) AttachmentSource {
	return AttachmentSource{AttachmentMeta{ContentID: cid, Name: name, Description: name, ContentType: contentType}, bytes.NewReader(body)}
}

// retype changes the type one attachment declares on its Attachment element
// (attachment) and in its manifest Reference (manifest).
func retype(pkg, cid, honest, attachment, manifest string) string {
	pkg = replaceAfter(pkg, "<edXML:ContentId>cid:"+cid+"<", "<edXML:ContentType>"+honest+"<", "<edXML:ContentType>"+manifest+"<")
	return replaceAfter(pkg, "<ContentId>cid:"+cid+"<", "<ContentType>"+honest+"<", "<ContentType>"+attachment+"<")
}

// replaceAfter replaces the first old after marker.
func replaceAfter(s, marker, old, new string) string {
	i := strings.Index(s, marker)
	return s[:i] + strings.Replace(s[i:], old, new, 1)
}

// moveElement cuts the first element named tag (with its indentation) and inserts
// it before marker.
func moveElement(pkg, tag, marker string) string {
	start := strings.Index(pkg, "<"+tag+">")
	end := strings.Index(pkg, "</"+tag+">") + len("</"+tag+">")
	for start > 0 && pkg[start-1] == ' ' {
		start--
	}
	element := pkg[start:end] + "\n"
	pkg = pkg[:start] + strings.TrimPrefix(pkg[end:], "\n")
	return strings.Replace(pkg, marker, strings.TrimLeft(element, " ")+strings.Repeat(" ", 8)+marker, 1)
}

const payloadStart = `ContentTransferEncoded xmlns:edXML="` + Namespace + `">`

// rewrapPayloads wraps every base64 payload at 76 columns, indented.
func rewrapPayloads(pkg string) string {
	var out strings.Builder
	for {
		i := strings.Index(pkg, payloadStart)
		j := strings.Index(pkg, "</edXML:ContentTransferEncoded>")
		if i < 0 || j < 0 {
			out.WriteString(pkg)
			return out.String()
		}
		i += len(payloadStart)
		out.WriteString(pkg[:i])
		for payload := pkg[i:j]; len(payload) > 0; {
			n := min(76, len(payload))
			out.WriteString("\n        " + payload[:n])
			payload = payload[n:]
		}
		out.WriteString("\n      ")
		out.WriteString(pkg[j : j+len("</edXML:ContentTransferEncoded>")])
		pkg = pkg[j+len("</edXML:ContentTransferEncoded>"):]
	}
}

type wantWarning struct{ pathSuffix, rule string }

// TestRealProducerQuirks reproduces, on packages built here, every way real
// producers depart from what edms writes, and checks that each reads with its
// warnings and the right values.
func TestRealProducerQuirks(t *testing.T) {
	pdf := testPDF(3000)
	docx := docxBytes(t)
	drawing := zipOf(t, zipFile{"ban-ve.dwg", []byte("AC1027 drawing")}, zipFile{"thuyet-minh.txt", []byte("Thuyết minh bản vẽ")})
	plain := packageWith(t, fileSource("1", "15-QD-UBND.pdf", "application/pdf", pdf))
	const docxType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	cases := []struct {
		name     string
		data     string
		warnings []wantWarning
		check    func(t *testing.T, pkg *Package)
	}{
		{"reference library: application/zip in the manifest, application/docx on the attachment",
			retype(packageWith(t, fileSource("1", "cong-van.docx", docxType, docx)), "1", docxType, "application/docx", "application/zip"),
			[]wantWarning{{"Attachment/ContentType", RuleContentType}},
			func(t *testing.T, pkg *Package) {
				if a := pkg.Attachments[0]; a.ContentType != docxType || a.Declared != "application/docx" || len(pkg.Attachments) != 1 {
					t.Errorf("attachment %+v, %d attachments", a.AttachmentMeta, len(pkg.Attachments))
				}
			}},
		{"reference library: application/zip in the manifest, application/doc on an OLE file",
			retype(packageWith(t, fileSource("1", "cong-van.doc", "application/msword", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, pdf[:100]...))), "1", "application/msword", "application/doc", "application/zip"),
			[]wantWarning{{"Attachment/ContentType", RuleContentType}},
			func(t *testing.T, pkg *Package) {
				if a := pkg.Attachments[0]; a.ContentType != "application/msword" {
					t.Errorf("attachment %+v", a.AttachmentMeta)
				}
			}},
		{"national axis: the real type in the manifest, application/zip on the attachment",
			retype(plain, "1", "application/pdf", "application/zip", "application/pdf"),
			[]wantWarning{{"Attachment/ContentType", RuleContentType}},
			func(t *testing.T, pkg *Package) {
				if a := pkg.Attachments[0]; a.ContentType != "application/pdf" || !a.LooksLikePDF() {
					t.Errorf("attachment %+v", a.AttachmentMeta)
				}
			}},
		{"application/octet-stream on a PDF without extension: the bytes decide",
			retype(packageWith(t, fileSource("1", "to-trinh", "application/pdf", pdf)), "1", "application/pdf", "application/octet-stream", "application/octet-stream"),
			[]wantWarning{{"Attachment/ContentType", RuleContentType}},
			func(t *testing.T, pkg *Package) {
				if a := pkg.Attachments[0]; a.ContentType != "application/pdf" || a.Declared != "application/octet-stream" {
					t.Errorf("attachment %+v declared %s", a.AttachmentMeta, a.Declared)
				}
			}},
		{"zipped by convention: an unknown file type travels as application/zip",
			packageWith(t, fileSource("1", "ban-ve.dwg", "application/zip", drawing)),
			[]wantWarning{{"Attachment/ContentTransferEncoded", RuleArchive}},
			func(t *testing.T, pkg *Package) {
				if len(pkg.Attachments) != 3 || pkg.Attachments[1].Name != "ban-ve.dwg" || pkg.Attachments[2].Name != "thuyet-minh.txt" ||
					pkg.Attachments[2].ContentType != "text/plain" || pkg.Attachments[2].FromArchive != "1" {
					t.Errorf("attachments %+v", pkg.Attachments)
				}
			}},
		{"a zip labelled as a PDF",
			retype(packageWith(t, fileSource("1", "ho-so.zip", "application/zip", zipOf(t, zipFile{"to-trinh.pdf", pdf}))), "1", "application/zip", "application/pdf", "application/pdf"),
			[]wantWarning{{"Attachment/ContentType", RuleContentType}, {"Attachment/ContentTransferEncoded", RuleArchive}},
			func(t *testing.T, pkg *Package) {
				if len(pkg.Attachments) != 2 || pkg.Attachments[0].ContentType != "application/zip" || !pkg.Attachments[1].LooksLikePDF() || pkg.Attachments[1].Name != "to-trinh.pdf" {
					t.Errorf("attachments %+v", pkg.Attachments)
				}
			}},
		{"UTF-8 byte-order mark before the XML declaration", "\xef\xbb\xbf" + plain,
			[]wantWarning{{"/edXML", RuleLenient}}, nil},
		{"CodeNumber longer than the standard's 11 characters",
			strings.Replace(plain, "<edXML:CodeNumber>15<", "<edXML:CodeNumber>15/2026/BS-01<", 1),
			[]wantWarning{{"Code/CodeNumber", RuleMaxLength}},
			func(t *testing.T, pkg *Package) {
				if pkg.Header.Code.Number != "15/2026/BS-01" {
					t.Errorf("CodeNumber %q, want the whole value", pkg.Header.Code.Number)
				}
			}},
		{"DigitalSignature element of older layouts",
			strings.Replace(plain, "</edXML:edXMLHeader>", "<edXML:DigitalSignature>MIIB</edXML:DigitalSignature></edXML:edXMLHeader>", 1),
			[]wantWarning{{"edXMLHeader/DigitalSignature", RuleSignature}},
			func(t *testing.T, pkg *Package) {
				if pkg.Signature.State != SignaturePlaceholder {
					t.Errorf("signature %v, want unsigned", pkg.Signature.State)
				}
			}},
		{"xlink attributes on references, no ContentId element",
			strings.NewReplacer(
				"<edXML:Reference>\n          <edXML:ContentId>cid:1</edXML:ContentId>",
				`<edXML:Reference xmlns:xlink="http://www.w3.org/1999/xlink" xlink:type="simple" xlink:href="cid:1">`,
			).Replace(plain),
			[]wantWarning{{"edXMLManifest/Reference", RuleLenient}},
			func(t *testing.T, pkg *Package) {
				if pkg.Manifest[0].ContentID != "1" {
					t.Errorf("manifest %+v", pkg.Manifest)
				}
			}},
		{"DocumentId placed last, ToPlaces before OtherInfo",
			moveElement(moveElement(plain, "edXML:DocumentId", "</edXML:MessageHeader>"), "edXML:ToPlaces", "<edXML:OtherInfo>"),
			nil,
			func(t *testing.T, pkg *Package) {
				if pkg.Header.DocumentID != "000.00.00.H41,2026/03/02,15/QĐ-UBND" || len(pkg.Header.ToPlaces) != 2 || pkg.Header.OtherInfo.Priority != 1 {
					t.Errorf("header %+v", pkg.Header)
				}
			}},
		{"attachments referenced without cid:",
			strings.NewReplacer("<edXML:ContentId>cid:1<", "<edXML:ContentId>1<", "<ContentId>cid:1<", "<ContentId>1<").Replace(plain),
			[]wantWarning{{"Reference/ContentId", RuleLenient}, {"Attachment/ContentId", RuleLenient}}, nil},
		{"base64 wrapped at 76 columns and indented", rewrapPayloads(plain), nil,
			func(t *testing.T, pkg *Package) {
				if pkg.Attachments[0].Size != int64(len(pdf)) {
					t.Errorf("attachment of %d bytes, want %d", pkg.Attachments[0].Size, len(pdf))
				}
			}},
		{"CR LF line ends", strings.ReplaceAll(rewrapPayloads(plain), "\n", "\r\n"), nil,
			func(t *testing.T, pkg *Package) {
				if pkg.Attachments[0].Size != int64(len(pdf)) || pkg.Header.Subject != testDocument().Header.Subject {
					t.Errorf("attachment of %d bytes, subject %q", pkg.Attachments[0].Size, pkg.Header.Subject)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == plain {
				t.Fatal("the case does not change the package")
			}
			sink := NewDirSink(t.TempDir())
			pkg, err := Read(strings.NewReader(tc.data), Options{Sink: sink})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.warnings {
				if !hasWarning(pkg, w.pathSuffix, w.rule) {
					t.Errorf("no %s warning at %s: %v", w.rule, w.pathSuffix, pkg.Warnings)
				}
			}
			if tc.check != nil {
				tc.check(t, pkg)
			}
			if _, err := sink.Commit(pkg.Attachments); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMalformedXMLSaysWhereTheElementOpened checks the messages for unclosed and
// mismatched elements.
func TestMalformedXMLSaysWhereTheElementOpened(t *testing.T) {
	plain := string(buildTestPackage(t, 100))
	subjectLine := strings.Count(plain[:strings.Index(plain, "<edXML:Subject>")], "\n") + 1
	for name, data := range map[string]string{
		"unclosed":   plain[:strings.Index(plain, "</edXML:Subject>")],
		"mismatched": strings.Replace(plain, "</edXML:Subject>", "</edXML:Content>", 1),
	} {
		_, err := Read(strings.NewReader(data), Options{})
		want := "<edXML:Subject> opened on line " + itoa(subjectLine)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Count(err.Error(), "\n") > 0 {
			t.Errorf("%s: err = %v, want one line with %q", name, err, want)
		}
	}
}
