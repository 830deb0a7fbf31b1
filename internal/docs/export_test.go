package docs

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestRegisterForAnyPeriodExportsToExcel: a register is read for any dates, not only
// a whole year, and its workbook, opened with excelize, has the Nghị định 30 columns
// and the register's rows.
func TestRegisterForAnyPeriodExportsToExcel(t *testing.T) {
	t.Parallel()
	f := registersFixture(t)
	ctx := context.Background()
	today := f.svc.today()

	reg, err := f.svc.LoadRegisterPeriod(ctx, f.in(f.clerk), RegisterIncoming, today, today)
	must(t, err)
	if len(reg.Rows) != 1 || reg.Subtitle != "Từ ngày "+today.Format("02/01/2006")+" đến ngày "+today.Format("02/01/2006") {
		t.Fatalf("register of today: %q, %q", reg.Subtitle, reg.Rows)
	}
	yesterday := today.AddDate(0, 0, -1)
	before, err := f.svc.LoadRegisterPeriod(ctx, f.in(f.clerk), RegisterIncoming, yesterday, yesterday)
	must(t, err)
	if len(before.Rows) != 0 {
		t.Fatalf("register of yesterday holds today's entries: %q", before.Rows)
	}
	if _, err := f.svc.LoadRegisterPeriod(ctx, f.in(f.clerk), RegisterIncoming, today, yesterday); err == nil {
		t.Fatal("a period ending before it starts was accepted")
	}

	sheet := readWorkbook(t, &reg.Table)
	if sheet[1][0] != reg.Title || sheet[2][0] != reg.Subtitle || sheet[0][0] != "Ủy ban nhân dân huyện Phú Lương" {
		t.Fatalf("title rows %q", sheet[:3])
	}
	if want := reg.headings(); !slices.Equal(sheet[xlsxHeadingRow-1], want) || want[1] != "Số đến" || want[2] != "Tác giả" {
		t.Fatalf("headings %q, want %q", sheet[xlsxHeadingRow-1], want)
	}
	// excelize reads a row up to its last non-empty cell.
	want := reg.Rows[0]
	for len(want) > 0 && want[len(want)-1] == "" {
		want = want[:len(want)-1]
	}
	if row := sheet[xlsxHeadingRow]; !slices.Equal(row, want) || row[1] != "01" || row[3] != "1234/UBND-KT" {
		t.Fatalf("first row %q, want %q", row, want)
	}
	if len(sheet) != xlsxHeadingRow+1 {
		t.Fatalf("%d rows in the sheet", len(sheet))
	}
}

// TestListExportHoldsEveryMatchingDocument: a list export holds every page of the
// search, with the list's columns.
func TestListExportHoldsEveryMatchingDocument(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for range 3 {
		f.receive(t, "Về việc kiểm tra công tác văn thư", "5", nil)
	}
	f.draft(t, TypeBaoCao, "Báo cáo khác", nil)
	records, err := f.svc.SearchAll(ctx, f.in(f.clerk), Query{Text: "van thu", Direction: Incoming, Limit: 1})
	must(t, err)
	if len(records) != 3 {
		t.Fatalf("%d documents exported, want 3", len(records))
	}
	table := ListTable("UBND huyện", "DANH SÁCH VĂN BẢN ĐẾN", "", records)
	sheet := readWorkbook(t, table)
	if len(sheet) != xlsxHeadingRow+3 || sheet[xlsxHeadingRow-1][4] != "Trích yếu nội dung" ||
		sheet[xlsxHeadingRow][0] != "5/UBND-KT" || sheet[xlsxHeadingRow][5] != "Ủy ban nhân dân tỉnh Thái Nguyên" {
		t.Fatalf("list sheet %q", sheet)
	}
}

// readWorkbook writes the table as a workbook and reads its rows back with excelize.
func readWorkbook(t *testing.T, table *Table) [][]string {
	t.Helper()
	var buf bytes.Buffer
	must(t, table.WriteXLSX(&buf))
	book, err := excelize.OpenReader(&buf)
	must(t, err)
	defer book.Close()
	rows, err := book.GetRows(book.GetSheetName(0))
	must(t, err)
	return rows
}
