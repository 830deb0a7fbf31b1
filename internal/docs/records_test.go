package docs

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestRecordLifecycleAndExport: a clerk opens a record, files two documents, takes one
// out and puts it back (now last in filing order), closes it (after which it is frozen) and exports a package
// whose indexes list both documents with the PDFs they name. People of another
// agency, or without the permission, reach nothing.
func TestRecordLifecycleAndExport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	clerk := f.in(f.clerk)
	first := f.receive(t, "Về việc kiểm kê đất đai năm 2026", "12", nil).DocumentID
	second := f.draft(t, TypeKeHoach, "Kế hoạch kiểm kê đất đai năm 2026", nil)

	rid, err := f.svc.OpenRecord(ctx, clerk, RecordInput{Code: "05.KK", Title: "Hồ sơ kiểm kê đất đai năm 2026", Year: 2026,
		Retention: "10 năm", Description: "Kiểm kê theo chỉ đạo của tỉnh."})
	must(t, err)
	if _, err := f.svc.OpenRecord(ctx, clerk, RecordInput{Code: "05.KK", Title: "Trùng", Year: 2026}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("a second record with the same code: %v", err)
	}
	if _, err := f.svc.OpenRecord(ctx, f.in(f.leader), RecordInput{Code: "06", Title: "Lãnh đạo", Year: 2026}); !errors.Is(err, ErrForbidden) {
		t.Errorf("a leader without record:manage opens a record: %v", err)
	}
	if err := f.svc.CloseRecord(ctx, clerk, rid); !errors.Is(err, ErrInvalid) {
		t.Errorf("closing an empty record: %v", err)
	}
	must(t, f.svc.AddToRecord(ctx, clerk, rid, first))
	must(t, f.svc.AddToRecord(ctx, clerk, rid, second))
	if err := f.svc.AddToRecord(ctx, clerk, rid, first); !errors.Is(err, ErrDuplicate) {
		t.Errorf("filing twice: %v", err)
	}
	if err := f.svc.AddToRecord(ctx, f.in(f.tpSpecialist), rid, second); !errors.Is(err, ErrNotFound) {
		t.Errorf("filing a document one cannot see: %v", err)
	}
	must(t, f.svc.RemoveFromRecord(ctx, clerk, rid, first))
	must(t, f.svc.AddToRecord(ctx, clerk, rid, first))
	if _, err := f.svc.ExportRecord(ctx, clerk, rid); !errors.Is(err, ErrInvalid) {
		t.Errorf("exporting an open record: %v", err)
	}
	if err := f.svc.CloseRecord(ctx, f.in(f.tpSpecialist), rid); !errors.Is(err, ErrNotFound) {
		t.Errorf("someone who does not see its documents closes the record: %v", err)
	}
	must(t, f.svc.CloseRecord(ctx, clerk, rid))
	if err := f.svc.RemoveFromRecord(ctx, clerk, rid, first); !errors.Is(err, ErrInvalid) {
		t.Errorf("removing from a closed record: %v", err)
	}
	open, err := Records(ctx, f.pool, f.district, 2026)
	must(t, err)
	if len(open) != 0 {
		t.Errorf("a closed record is offered for filing: %+v", open)
	}
	all, err := f.svc.ListRecords(ctx, clerk, 2026)
	must(t, err)
	if len(all) != 1 || !all[0].Closed() || all[0].Documents != 2 {
		t.Errorf("records %+v", all)
	}
	if _, err := f.svc.OpenedRecord(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, rid); !errors.Is(err, ErrNotFound) {
		t.Errorf("another agency's clerk opens the record: %v", err)
	}
	if _, err := f.svc.ExportRecord(ctx, f.in(f.tpSpecialist), rid); !errors.Is(err, ErrNotFound) {
		t.Errorf("someone who sees none of its documents exports it: %v", err)
	}

	pkg, err := f.svc.ExportRecord(ctx, clerk, rid)
	must(t, err)
	var buf bytes.Buffer
	must(t, pkg.Write(ctx, &buf))
	checkRecordPackage(t, buf.Bytes(), "000.00.21.H55.2026.05.KK", []string{"Kế hoạch kiểm kê đất đai năm 2026", "Về việc kiểm kê đất đai năm 2026"})
}

// checkRecordPackage opens an exported record and checks that both indexes list the
// documents in order and that every file they name is a PDF of the package.
func checkRecordPackage(t *testing.T, pkg []byte, fileCode string, subjects []string) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	must(t, err)
	files := map[string][]byte{}
	for _, zf := range z.File {
		r, err := zf.Open()
		must(t, err)
		body, err := io.ReadAll(r)
		must(t, err)
		files[zf.Name] = body
	}
	var fromJSON, fromXML RecordIndex
	must(t, json.Unmarshal(files["index.json"], &fromJSON))
	must(t, xml.Unmarshal(files["index.xml"], &fromXML))
	for _, index := range []RecordIndex{fromJSON, fromXML} {
		if index.FileCode != fileCode || index.DocTotal != len(subjects) || len(index.Documents) != len(subjects) {
			t.Fatalf("index %+v", index)
		}
		for i, d := range index.Documents {
			if d.Subject != subjects[i] || d.Ordinal != i+1 || len(d.Files) == 0 || d.OrganID == "" {
				t.Errorf("document %d: %+v", i, d)
			}
			for _, file := range d.Files {
				if body, ok := files[file.Path]; !ok || !bytes.HasPrefix(body, []byte("%PDF-")) || int64(len(body)) != file.Size {
					t.Errorf("file %s of document %d is missing or not a PDF", file.Path, i)
				}
			}
		}
	}
	if !strings.Contains(string(files["index.xml"]), "<TypeName>Kế hoạch</TypeName>") {
		t.Errorf("index.xml:\n%s", files["index.xml"])
	}
}
