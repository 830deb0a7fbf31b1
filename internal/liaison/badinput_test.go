package liaison

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
)

// readInto reads data into a fresh directory sink and returns the error and what
// the directory holds afterwards.
func readInto(t *testing.T, data []byte, limits Limits) (error, []os.DirEntry) {
	t.Helper()
	dir := t.TempDir()
	_, err := Read(bytes.NewReader(data), Options{Sink: NewDirSink(dir), Limits: limits})
	entries, _ := os.ReadDir(dir)
	return err, entries
}

func wantLocated(t *testing.T, err error, rule, pathPart string) {
	t.Helper()
	var located *Error
	var invalid *InvalidError
	switch {
	case errors.As(err, &located):
		if located.Rule != rule || !strings.Contains(located.Path, pathPart) {
			t.Fatalf("got %v, want rule %s at %s", err, rule, pathPart)
		}
	case errors.As(err, &invalid):
		for _, is := range invalid.Issues {
			if is.Rule == rule && strings.Contains(is.Path, pathPart) {
				return
			}
		}
		t.Fatalf("got %v, want rule %s at %s", err, rule, pathPart)
	default:
		t.Fatalf("got %v (%T), want rule %s at %s", err, err, rule, pathPart)
	}
}

func TestBadInputIsRefusedWithLocatedErrors(t *testing.T) {
	good := string(buildTestPackage(t, 2000))
	tiny := Limits{MaxPackageBytes: 1 << 20, MaxHeaderBytes: 1 << 20, MaxDepth: 32, MaxAttachments: 1, MaxAttachmentBytes: 1 << 20}
	cases := []struct {
		name, data string
		limits     Limits
		rule, path string
	}{
		{"not xml", "this is not XML", Limits{}, RuleXML, ""},
		{"wrong namespace", strings.Replace(good, `<edXML xmlns="`+Namespace+`">`, `<edXML xmlns="urn:other">`, 1), Limits{}, RuleNamespace, "edXML"},
		{"xxe", strings.Replace(good, "<edXML ", `<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><edXML `, 1), Limits{}, RuleNoDTD, ""},
		{"billion laughs", strings.Replace(good, "<edXML ", `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><edXML `, 1), Limits{}, RuleNoDTD, ""},
		{"undeclared entity", strings.Replace(good, "Nghệ An</edXML:Place>", "&xxe;</edXML:Place>", 1), Limits{}, RuleXML, "PromulgationInfo/Place"},
		{"too deep", strings.Replace(good, "<edXML:Subject>", strings.Repeat("<edXML:X>", 40)+"<edXML:Subject>", 1), Limits{}, RuleLimit, "MessageHeader"},
		{"header too large", good, Limits{MaxPackageBytes: 1 << 20, MaxHeaderBytes: 2000, MaxDepth: 32, MaxAttachments: 9, MaxAttachmentBytes: 1 << 20}, RuleLimit, "/edXML"},
		{"too many attachments", good, tiny, RuleLimit, "Attachment[2]"},
		{"attachment too large", good, Limits{MaxPackageBytes: 1 << 20, MaxHeaderBytes: 1 << 20, MaxDepth: 32, MaxAttachments: 9, MaxAttachmentBytes: 1000}, RuleLimit, "Attachment/ContentTransferEncoded"},
		{"invalid base64", strings.Replace(good, `">JVBER`, `">JV!ER`, 1), Limits{}, RuleBase64, "Attachment/ContentTransferEncoded"},
		{"truncated base64", strings.Replace(good, "</edXML:ContentTransferEncoded>", "A</edXML:ContentTransferEncoded>", 1), Limits{}, RuleBase64, "Attachment/ContentTransferEncoded"},
		{"cdata in base64", strings.Replace(good, "</edXML:ContentTransferEncoded>", "<![CDATA[QUFB]]></edXML:ContentTransferEncoded>", 1), Limits{}, RuleBase64, "Attachment/ContentTransferEncoded"},
		{"executable declared as PDF", strings.Replace(good, `">JVBER`, `">TVqQAAMAAAAEA`, 1), Limits{}, RuleContentType, "Attachment/ContentTransferEncoded"},
		{"manifest without attachment", strings.Replace(good, "<edXML:ContentId>cid:2</edXML:ContentId>", "<edXML:ContentId>cid:9</edXML:ContentId>", 1), Limits{}, RuleManifest, "edXMLManifest/Reference[2]"},
		{"duplicate recipient", strings.Replace(good, "<edXML:OrganId>000.00.00.G22</edXML:OrganId>", "<edXML:OrganId>000.00.11.H41</edXML:OrganId>", 1), Limits{}, RuleDuplicate, "To[2]/OrganId"},
		{"bad date", strings.Replace(good, "<edXML:PromulgationDate>2026/03/02", "<edXML:PromulgationDate>2026/02/30", 1), Limits{}, RuleDateFormat, "PromulgationInfo/PromulgationDate"},
		{"future date", strings.Replace(good, "<edXML:PromulgationDate>2026/03/02", "<edXML:PromulgationDate>2999/03/02", 1), Limits{}, RuleDate, "PromulgationInfo/PromulgationDate"},
		{"unknown business type", strings.Replace(good, "<edXML:BussinessDocType>0", "<edXML:BussinessDocType>7", 1), Limits{}, RuleBusiness, "Bussiness/BussinessDocType"},
		{"code number beyond the hard bound", strings.Replace(good, "<edXML:CodeNumber>15<", "<edXML:CodeNumber>"+strings.Repeat("9", 201)+"<", 1), Limits{}, RuleMaxLength, "Code/CodeNumber"},
		{"mismatched end tag", strings.Replace(good, "</edXML:Subject>", "</edXML:Content>", 1), Limits{}, RuleXML, "MessageHeader/Subject"},
		{"second root", good + "<edXML/>", Limits{}, RuleXML, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.data == good && tc.limits == (Limits{}) {
				t.Fatal("test case does not change the package")
			}
			err, left := readInto(t, []byte(tc.data), tc.limits)
			wantLocated(t, err, tc.rule, tc.path)
			if len(left) != 0 {
				t.Errorf("refused package left %d entries in the sink directory", len(left))
			}
		})
	}
}

func TestBadStatusCode(t *testing.T) {
	var out bytes.Buffer
	status := &Package{Kind: KindStatus, Status: testStatus()}
	if err := Write(&out, status, nil); err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(out.String(), "<edXML:StatusCode>03<", "<edXML:StatusCode>07<", 1)
	err, _ := readInto(t, []byte(bad), Limits{})
	wantLocated(t, err, RuleStatusCode, "MessageHeader/StatusCode")
}

func TestLenientReadsAreWarned(t *testing.T) {
	good := string(buildTestPackage(t, 2000))
	lenient := strings.NewReplacer(
		"<edXML:ContentId>cid:1<", "<edXML:ContentId>1<",
		"<ContentId>cid:1<", "<ContentId>1<",
		"<edXML:DueDate>2026/03/20<", "<edXML:DueDate>20/03/2026<",
	).Replace(good)
	// Bussiness missing, elements reordered, another prefix.
	start := strings.Index(lenient, "<edXML:Bussiness>")
	end := strings.Index(lenient, "</edXML:Bussiness>") + len("</edXML:Bussiness>")
	lenient = lenient[:start] + lenient[end:]
	lenient = strings.Replace(lenient, "<edXML:Subject>", "<q:Subject xmlns:q=\""+Namespace+"\">", 1)
	lenient = strings.Replace(lenient, "</edXML:Subject>", "</q:Subject><edXML:Extra>x</edXML:Extra>", 1)
	pkg, err := Read(strings.NewReader(lenient), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Header.DueDate.String() != "2026/03/20" || pkg.Business != nil || pkg.Header.Subject == "" || pkg.Attachments[0].ContentID != "1" {
		t.Fatalf("lenient read gave %+v", pkg.Header)
	}
	for _, want := range []string{"MessageHeader/DueDate", "Reference/ContentId", "Attachment/ContentId", "TraceHeaderList/Bussiness"} {
		if !hasWarning(pkg, want, RuleLenient) {
			t.Errorf("no lenient-read warning at %s: %v", want, pkg.Warnings)
		}
	}
	if !hasWarning(pkg, "MessageHeader/Extra", RuleUnknown) {
		t.Errorf("no warning for an unknown element: %v", pkg.Warnings)
	}
}

func TestStatusWrapperIsAccepted(t *testing.T) {
	var out bytes.Buffer
	if err := Write(&out, &Package{Kind: KindStatus, Status: testStatus()}, nil); err != nil {
		t.Fatal(err)
	}
	wrapped := strings.ReplaceAll(out.String(), "edXML:MessageHeader>", "edXML:Status>")
	pkg, err := Read(strings.NewReader(wrapped), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if pkg.Kind != KindStatus || pkg.Status.StatusCode != "03" || !hasWarning(pkg, "edXMLHeader/Status", RuleLenient) {
		t.Fatalf("kind %v status %+v warnings %v", pkg.Kind, pkg.Status, pkg.Warnings)
	}
}

func TestEmptyElementPayloadIsAnEmptyAttachment(t *testing.T) {
	good := string(buildTestPackage(t, 2000))
	start := strings.Index(good, "<edXML:ContentTransferEncoded")
	end := strings.Index(good, "</edXML:ContentTransferEncoded>") + len("</edXML:ContentTransferEncoded>")
	empty := good[:start] + `<edXML:ContentTransferEncoded xmlns:edXML="` + Namespace + `"/>` + good[end:]
	_, err := Read(strings.NewReader(empty), Options{})
	// an empty file is unreadable; what matters is that the reader saw no bytes
	wantLocated(t, err, RuleContentType, "Attachment/ContentTransferEncoded")
	if !strings.Contains(err.Error(), "the attachment is empty") {
		t.Fatalf("err = %v", err)
	}
}
