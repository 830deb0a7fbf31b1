package docmap

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/testenv"
)

func TestSampleBecomesReceivedDocument(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("../../../../shared/interop/edxml", "edoc_update.edxml"))
	if err != nil {
		testenv.Missing(t, "shared edXML samples: "+err.Error())
	}
	dir := t.TempDir()
	sink := liaison.NewDirSink(dir)
	pkg, err := liaison.Read(bytes.NewReader(data), liaison.Options{Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	paths, err := sink.Commit(pkg.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	in, issues, err := ToReceiveInput(pkg, func(a liaison.Attachment) (io.Reader, error) { return os.Open(paths[a.Index]) })
	if err != nil || len(issues) != 0 {
		t.Fatal(err, issues)
	}
	d := in.Document
	if d.Direction != docs.Incoming || d.Type != docs.TypeCongVan || d.CodeNumber != "7816" || d.IssuerOrganID != "000.00.00.G22" ||
		len(d.Recipients) != 3 || d.Recipients[1].OrganID != "000.00.00.H14" || d.IssuedDate.Format("2006/01/02") != "2018/09/28" ||
		d.DueDate == nil || d.ExternalID != "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT" || d.Urgency != docs.UrgencyNormal || d.PageCount != 22 {
		t.Fatalf("document %+v", d)
	}
	body, _ := io.ReadAll(in.Main.Content)
	if in.Main.Name != "1896_QD-TTg_m_294779.doc" || in.Main.MediaType != "application/zip" || int64(len(body)) != pkg.Attachments[0].Size {
		t.Fatalf("main file %+v (%d bytes)", in.Main, len(body))
	}
}

func TestIssuedDocumentBecomesPackageAndBack(t *testing.T) {
	issued := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	due := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	d := &docs.Document{
		Direction: docs.Outgoing, Type: docs.TypeQuyetDinh, CodeNumber: "05", CodeNotation: "QĐ-UBND", Place: "Phú Lương",
		IssuedDate: &issued, Subject: "Về việc ban hành quy chế", Content: "Ban hành quy chế làm việc", IssuerOrganID: "000.00.12.H22", IssuerName: "UBND huyện Phú Lương",
		Signer:     docs.SignerInfo{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Hoàng Văn D"},
		Recipients: []docs.Recipient{{OrganID: "000.01.12.H22", Name: "Phòng Nội vụ"}, {OrganID: "000.00.00.H22", Name: "UBND tỉnh"}},
		Urgency:    docs.UrgencyThuongKhan, Secrecy: docs.SecrecyNone, PageCount: 4, IssuedAmount: 2, DueDate: &due, ToPlaces: []string{"Như trên"},
	}
	pkg, err := FromDocument(d, liaison.Organization{OrganID: "000.00.12.H22", OrganName: "UBND huyện Phú Lương"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	files := []liaison.AttachmentSource{{AttachmentMeta: liaison.AttachmentMeta{ContentID: "1", Name: "05-QD.pdf", ContentType: "application/pdf"},
		Body: bytes.NewReader([]byte("%PDF-1.7\nan issued document\n"))}}
	if err := liaison.Write(&out, pkg, files); err != nil {
		t.Fatal(err)
	}
	read, err := liaison.Read(&out, liaison.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if read.Header.DocumentID != "000.00.12.H22,2026/03/02,05/QĐ-UBND" || read.Header.DocumentType.TypeName != "Quyết định" || read.Header.OtherInfo.Priority != 2 {
		t.Fatalf("package header %+v", read.Header)
	}
	back, _, err := ToDocument(read)
	if err != nil {
		t.Fatal(err)
	}
	if back.Type != d.Type || back.Urgency != d.Urgency || back.NumberSymbol() != "05/QĐ-UBND" || back.IssuedDate.Format("2006/01/02") != "2026/03/02" ||
		back.DueDate.Format("2006/01/02") != "2026/03/20" || len(back.Recipients) != 2 || back.Recipients[0] != d.Recipients[0] || back.Signer != d.Signer ||
		back.Content != d.Content {
		t.Fatalf("mapped back to %+v", back)
	}
	d.Secrecy = docs.SecrecyMat
	if _, err := FromDocument(d, liaison.Organization{OrganID: "000.00.12.H22"}, time.Now()); err == nil {
		t.Fatal("a secret document was mapped to a package")
	}
}

// A type name outside the catalogue (real producers write "Văn bản hợp nhất" and
// the like) is received as a Công văn with a located warning, not refused.
func TestUnknownTypeNameIsReceivedAsCongVan(t *testing.T) {
	pkg := &liaison.Package{Kind: liaison.KindDocument, Header: &liaison.MessageHeader{
		Subject: "Về việc hợp nhất quy chế", DocumentType: liaison.DocumentType{Type: 1, TypeName: "Văn bản hợp nhất"}}}
	d, issues, err := ToDocument(pkg)
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != docs.TypeCongVan || len(issues) != 1 || issues[0].Severity != liaison.Warning || issues[0].Path != typeNamePath ||
		!strings.Contains(issues[0].Message, "Văn bản hợp nhất") {
		t.Fatalf("type %q, issues %+v", d.Type, issues)
	}
}
