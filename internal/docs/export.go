package docs

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// ExportLimit is the most documents a list export holds.
const ExportLimit = 10000

// SearchAll returns every document matching q that the actor may see (at most
// ExportLimit), page after page, for an export.
func (s *Service) SearchAll(ctx context.Context, a Actor, q Query) ([]*Record, error) {
	q.Limit, q.After = 200, ""
	var out []*Record
	for len(out) < ExportLimit {
		page, err := s.Search(ctx, a, q)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	return out[:min(len(out), ExportLimit)], nil
}

// listColumns are the columns of an exported document list.
var listColumns = []RegisterColumn{
	{"Số, ký hiệu", 14}, {"Số đến", 7}, {"Ngày", 10}, {"Loại văn bản", 12}, {"Trích yếu nội dung", 50},
	{"Cơ quan ban hành", 28}, {"Người ký", 18}, {"Độ khẩn", 10}, {"Độ mật", 8}, {"Trạng thái", 14}, {"Hạn xử lý", 10},
}

// ListTable is a document list as a table to export, under a title.
func ListTable(agency, title, subtitle string, records []*Record) *Table {
	t := &Table{Title: title, Subtitle: subtitle, Agency: agency, Columns: listColumns}
	for _, d := range records {
		arrival := ""
		if d.ArrivalNumber > 0 {
			arrival = strconv.Itoa(d.ArrivalNumber)
		}
		t.Rows = append(t.Rows, []string{d.NumberSymbol(), arrival, dateCell(listDate(d)), d.TypeName(), d.Subject,
			d.IssuerName, d.Signer.FullName, d.Urgency.Label(), d.Secrecy.Label(), StateLabel(d), dateCell(d.DueDate)})
	}
	return t
}

// listDate is the date a list shows: issued, else arrived, else created.
func listDate(d *Record) *time.Time {
	switch {
	case d.IssuedDate != nil:
		return d.IssuedDate
	case d.ArrivalDate != nil:
		return d.ArrivalDate
	}
	return &d.CreatedAt
}

func dateCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(vietnam).Format("02/01/2006")
}

// Layout of an exported sheet: title rows, a blank row, then the headings.
const (
	xlsxSheet      = "Sheet1"
	xlsxHeadingRow = 5
	xlsxWidthScale = 1.6 // characters per unit of a column's relative width
)

// WriteXLSX writes the table as an Excel workbook (one sheet): the agency, the title
// and the subtitle above, the headings in bold and frozen, each row as printed.
func (t *Table) WriteXLSX(w io.Writer) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := t.fillSheet(f); err != nil {
		return fmt.Errorf("docs: unable to lay out the workbook: %w", err)
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("docs: unable to write the workbook: %w", err)
	}
	return nil
}

func (t *Table) fillSheet(f *excelize.File) error {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 12}})
	if err != nil {
		return err
	}
	heading, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: cellBorders(),
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	body, err := f.NewStyle(&excelize.Style{Border: cellBorders(), Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return err
	}
	for row, text := range []string{t.Agency, t.Title, t.Subtitle} {
		cell, _ := excelize.CoordinatesToCellName(1, row+1)
		if err := f.SetCellStr(xlsxSheet, cell, text); err != nil {
			return err
		}
		if err := f.SetCellStyle(xlsxSheet, cell, cell, bold); err != nil {
			return err
		}
	}
	for i, c := range t.Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(xlsxSheet, col, col, c.Width*xlsxWidthScale); err != nil {
			return err
		}
	}
	if err := t.writeRow(f, xlsxHeadingRow, t.headings(), heading); err != nil {
		return err
	}
	for i, r := range t.Rows {
		if err := t.writeRow(f, xlsxHeadingRow+1+i, r, body); err != nil {
			return err
		}
	}
	return f.SetPanes(xlsxSheet, &excelize.Panes{Freeze: true, YSplit: xlsxHeadingRow, TopLeftCell: "A6", ActivePane: "bottomLeft"})
}

func (t *Table) headings() []string {
	h := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		h[i] = c.Heading
	}
	return h
}

// writeRow writes the cells as text (numbers such as "02" keep their zero) in a style.
func (t *Table) writeRow(f *excelize.File, row int, cells []string, style int) error {
	values := make([]any, len(cells))
	for i, c := range cells {
		values[i] = c
	}
	first, _ := excelize.CoordinatesToCellName(1, row)
	last, _ := excelize.CoordinatesToCellName(max(len(cells), 1), row)
	if err := f.SetSheetRow(xlsxSheet, first, &values); err != nil {
		return err
	}
	return f.SetCellStyle(xlsxSheet, first, last, style)
}

func cellBorders() []excelize.Border {
	var b []excelize.Border
	for _, side := range []string{"left", "top", "right", "bottom"} {
		b = append(b, excelize.Border{Type: side, Color: "000000", Style: 1})
	}
	return b
}
