package docs

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"strings"
	"time"

	"edms/internal/store"
)

// RecordIndex is the index of an exported record (hồ sơ), written as index.json and
// index.xml in the package: the record's own description (mục lục hồ sơ) and, for each
// document in filing order, its metadata as Phụ lục VI of Nghị định 30 lists it, with
// the files of the package that hold it and their SHA-256.
type RecordIndex struct {
	XMLName     xml.Name          `json:"-" xml:"RecordIndex"`
	FileCode    string            `json:"FileCode" xml:"FileCode"` // mã hồ sơ: OrganId.Year.Code
	OrganID     string            `json:"OrganId" xml:"OrganId"`
	OrganName   string            `json:"OrganName" xml:"OrganName"`
	Code        string            `json:"Code" xml:"Code"`
	Title       string            `json:"Title" xml:"Title"`
	Year        int               `json:"Year" xml:"Year"`
	Description string            `json:"Description" xml:"Description"`
	Retention   string            `json:"Retention" xml:"Retention"` // thời hạn bảo quản
	OpenedAt    string            `json:"OpenedAt" xml:"OpenedAt"`
	ClosedAt    string            `json:"ClosedAt" xml:"ClosedAt"`
	DocTotal    int               `json:"DocTotal" xml:"DocTotal"`
	PageTotal   int               `json:"PageTotal" xml:"PageTotal"`
	Documents   []IndexedDocument `json:"Documents" xml:"Documents>Document"`
}

// IndexedDocument is the metadata of one document of an exported record.
type IndexedDocument struct {
	Ordinal       int           `json:"Ordinal" xml:"Ordinal"` // số thứ tự văn bản trong hồ sơ
	Direction     string        `json:"Direction" xml:"Direction"`
	OrganID       string        `json:"OrganId" xml:"OrganId"`
	OrganName     string        `json:"OrganName" xml:"OrganName"`
	TypeName      string        `json:"TypeName" xml:"TypeName"`
	CodeNumber    string        `json:"CodeNumber" xml:"CodeNumber"`
	CodeNotation  string        `json:"CodeNotation" xml:"CodeNotation"`
	IssuedDate    string        `json:"IssuedDate" xml:"IssuedDate"`
	Subject       string        `json:"Subject" xml:"Subject"`
	Language      string        `json:"Language" xml:"Language"`
	PageAmount    int           `json:"PageAmount" xml:"PageAmount"`
	SignerInfo    IndexedSigner `json:"SignerInfo" xml:"SignerInfo"`
	Urgency       string        `json:"Urgency" xml:"Priority>Urgency"`
	Secrecy       string        `json:"Secrecy" xml:"Priority>Secrecy"`
	DueDate       string        `json:"DueDate,omitempty" xml:"DueDate,omitempty"`
	ArrivalNumber int           `json:"ArrivalNumber,omitempty" xml:"ArrivalNumber,omitempty"`
	ArrivalDate   string        `json:"ArrivalDate,omitempty" xml:"ArrivalDate,omitempty"`
	Files         []IndexedFile `json:"Files" xml:"Files>File"`
}

// IndexedSigner is the signer of an indexed document.
type IndexedSigner struct {
	Competence string `json:"Competence" xml:"Competence"`
	Position   string `json:"Position" xml:"Position"`
	FullName   string `json:"FullName" xml:"FullName"`
}

// IndexedFile is a file of the package.
type IndexedFile struct {
	Path   string `json:"Path" xml:"Path"`
	Kind   string `json:"Kind" xml:"Kind"` // main (the document's PDF) or attachment
	Size   int64  `json:"Size" xml:"Size"`
	SHA256 string `json:"SHA256" xml:"SHA256"`
}

// exportItem is a document of the package with the files to copy into it.
type exportItem struct {
	doc   *Record
	files []File
}

// RecordPackage is a closed record checked for export, ready to be written.
type RecordPackage struct {
	Index *RecordIndex // Documents is filled as the files are written
	items []exportItem
	db    store.DB
}

// FileName is the name of the package's zip file, from the record's code.
func (p *RecordPackage) FileName() string { return "ho-so-" + safeFileName(p.Index.FileCode) + ".zip" }

// ExportRecord checks that a record of the actor's agency may be exported — it is
// closed and holds no document the actor may not see — and reads what goes into the
// package, so that a refusal comes before any byte of it.
func (s *Service) ExportRecord(ctx context.Context, a Actor, recordID int64) (*RecordPackage, error) {
	index, items, err := s.exportPlan(ctx, a, recordID)
	if err != nil {
		return nil, err
	}
	return &RecordPackage{Index: index, items: items, db: s.Pool}, nil
}

// Write writes the package as a zip for the archive: each document's PDF and
// attachments under NN-id/, then index.json and index.xml. The files are streamed
// with no transaction open.
func (p *RecordPackage) Write(ctx context.Context, w io.Writer) error {
	z := zip.NewWriter(w)
	p.Index.Documents = nil
	for i, it := range p.items {
		entry, err := writeDocumentFiles(ctx, p.db, z, i+1, it)
		if err != nil {
			return err
		}
		if entry.OrganID == "" { // an outgoing document of the agency itself
			entry.OrganID, entry.OrganName = p.Index.OrganID, p.Index.OrganName
		}
		p.Index.Documents = append(p.Index.Documents, entry)
	}
	if err := writeIndex(z, p.Index); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("docs: unable to finish the package %s: %w", p.Index.FileCode, err)
	}
	return nil
}

// exportPlan checks that the record may be exported and reads what goes into it.
func (s *Service) exportPlan(ctx context.Context, a Actor, recordID int64) (*RecordIndex, []exportItem, error) {
	contents, err := s.OpenedRecord(ctx, a, recordID)
	if err != nil {
		return nil, nil, err
	}
	if !contents.Closed() {
		return nil, nil, invalid("Chỉ xuất được hồ sơ đã kết thúc.", "record %d is open", recordID)
	}
	if contents.Hidden > 0 {
		return nil, nil, errRecordHidden
	}
	var organID, organName string
	if err := s.Pool.QueryRow(ctx, `SELECT organ_id, name FROM agencies WHERE id = $1`, a.AgencyID).Scan(&organID, &organName); err != nil {
		return nil, nil, fmt.Errorf("docs: unable to read agency %d: %w", a.AgencyID, err)
	}
	index := &RecordIndex{FileCode: fmt.Sprintf("%s.%d.%s", organID, contents.Year, contents.Code), OrganID: organID,
		OrganName: organName, Code: contents.Code, Title: contents.Title, Year: contents.Year, Description: contents.Description,
		Retention: contents.Retention, OpenedAt: contents.CreatedAt.In(vietnam).Format(time.RFC3339),
		ClosedAt: contents.ClosedAt.In(vietnam).Format(time.RFC3339), DocTotal: len(contents.Items)}
	items := make([]exportItem, 0, len(contents.Items))
	for _, d := range contents.Items {
		files, err := packageFiles(ctx, s.Pool, d.ID)
		if err != nil {
			return nil, nil, err
		}
		index.PageTotal += d.PageCount
		items = append(items, exportItem{doc: d, files: files})
	}
	return index, items, nil
}

// packageFiles are the files of a document that go to the archive: its PDF (the
// latest version, or its rendition) and its attachments.
func packageFiles(ctx context.Context, db store.DB, docID int64) ([]File, error) {
	pdf, err := currentPDF(ctx, db, docID)
	if err != nil {
		return nil, err
	}
	all, err := Files(ctx, db, docID)
	if err != nil {
		return nil, err
	}
	files := []File{pdf}
	for _, f := range all {
		if f.Kind == "attachment" {
			files = append(files, f)
		}
	}
	return files, nil
}

// writeDocumentFiles copies a document's files into the package and returns its entry.
func writeDocumentFiles(ctx context.Context, db store.DB, z *zip.Writer, ordinal int, it exportItem) (IndexedDocument, error) {
	entry := indexEntry(ordinal, it.doc)
	dir := fmt.Sprintf("%02d-%d", ordinal, it.doc.ID)
	for i, f := range it.files {
		kind := "attachment"
		if i == 0 {
			kind = "main"
		}
		name := path.Join(dir, fmt.Sprintf("%d-%s", i+1, safeFileName(f.Name)))
		out, err := z.Create(name)
		if err != nil {
			return entry, fmt.Errorf("docs: unable to add %s to the package: %w", name, err)
		}
		sum := sha256.New()
		n, err := CopyBlob(ctx, db, f.BlobID, io.MultiWriter(out, sum))
		if err != nil {
			return entry, fmt.Errorf("docs: unable to copy %s into the package: %w", name, err)
		}
		entry.Files = append(entry.Files, IndexedFile{Path: name, Kind: kind, Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))})
	}
	return entry, nil
}

// safeFileName keeps a stored file name usable in a zip on every system.
func safeFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`<>:"|?*`, r) || r < 0x20 {
			return '_'
		}
		return r
	}, name)
}

// indexEntry is the metadata of a document for the index.
func indexEntry(ordinal int, d *Record) IndexedDocument {
	e := IndexedDocument{Ordinal: ordinal, Direction: string(d.Direction), OrganID: d.IssuerOrganID, OrganName: d.IssuerName,
		TypeName: d.TypeName(), CodeNumber: d.CodeNumber, CodeNotation: d.CodeNotation, IssuedDate: dateOnly(d.IssuedDate),
		Subject: d.Subject, Language: d.Language, PageAmount: d.PageCount,
		SignerInfo: IndexedSigner{Competence: d.Signer.Competence, Position: d.Signer.Position, FullName: d.Signer.FullName},
		Urgency:    string(d.Urgency), Secrecy: string(d.Secrecy), DueDate: dateOnly(d.DueDate), ArrivalNumber: d.ArrivalNumber}
	if d.ArrivalDate != nil {
		e.ArrivalDate = d.ArrivalDate.In(vietnam).Format(time.RFC3339)
	}
	return e
}

func dateOnly(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.DateOnly)
}

// writeIndex adds index.json and index.xml to the package.
func writeIndex(z *zip.Writer, index *RecordIndex) error {
	asJSON, err := json.MarshalIndent(index, "", "  ")
	if err != nil {
		return fmt.Errorf("docs: unable to write the JSON index: %w", err)
	}
	asXML, err := xml.MarshalIndent(index, "", "  ")
	if err != nil {
		return fmt.Errorf("docs: unable to write the XML index: %w", err)
	}
	for _, f := range []struct {
		name string
		body []byte
	}{{"index.json", asJSON}, {"index.xml", append([]byte(xml.Header), asXML...)}} {
		name, body := f.name, f.body
		out, err := z.Create(name)
		if err != nil {
			return fmt.Errorf("docs: unable to add %s to the package: %w", name, err)
		}
		if _, err := out.Write(body); err != nil {
			return fmt.Errorf("docs: unable to write %s: %w", name, err)
		}
	}
	return nil
}
