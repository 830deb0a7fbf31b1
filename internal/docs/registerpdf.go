package docs

import (
	_ "embed"
	"fmt"
	"io"
	"time"

	"github.com/go-pdf/fpdf"
)

// Liberation Serif is metric-compatible with Times New Roman, the font of Vietnamese
// administrative documents, and covers Vietnamese; it is embedded so that printing
// needs no font installed (SIL Open Font License, see fonts/LICENSE-LiberationSerif.txt).
var (
	//go:embed fonts/LiberationSerif-Regular.ttf
	serifRegular []byte
	//go:embed fonts/LiberationSerif-Bold.ttf
	serifBold []byte
)

// Page geometry of a printed register: A4 landscape, in millimetres.
const (
	regMargin   = 10.0
	regLineH    = 4.2
	regFontSize = 9.0
	regPadding  = 1.0
)

// WritePDF prints the register with all its columns, heading repeated on every page,
// rows never split across pages, and page numbers.
func (r *Register) WritePDF(w io.Writer, printed time.Time) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("serif", "", serifRegular)
	pdf.AddUTF8FontFromBytes("serif", "B", serifBold)
	pdf.SetMargins(regMargin, regMargin, regMargin)
	pdf.SetAutoPageBreak(false, regMargin)
	pdf.SetTitle(r.Title+" "+r.Subtitle, true)
	pdf.SetCreator("edms", true)
	pageW, pageH := pdf.GetPageSize()
	widths := r.columnWidths(pageW - 2*regMargin)
	pdf.SetFooterFunc(func() {
		pdf.SetY(pageH - regMargin + 2)
		pdf.SetFont("serif", "", 8)
		pdf.CellFormat(0, 4, fmt.Sprintf("%s — %s — in lúc %s — trang %d", r.Agency, r.Title, printedAt(printed), pdf.PageNo()),
			"", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	r.writeTitle(pdf)
	r.writeRow(pdf, widths, r.headings(), true)
	for _, row := range r.Rows {
		if pdf.GetY()+r.rowHeight(pdf, widths, row) > pageH-regMargin-4 {
			pdf.AddPage()
			r.writeRow(pdf, widths, r.headings(), true)
		}
		r.writeRow(pdf, widths, row, false)
	}
	if len(r.Rows) == 0 {
		pdf.SetFont("serif", "", regFontSize)
		pdf.CellFormat(0, 8, "Chưa có văn bản nào trong sổ.", "", 1, "C", false, 0, "")
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("docs: unable to lay out the register: %w", err)
	}
	return pdf.Output(w)
}

func (r *Register) writeTitle(pdf *fpdf.Fpdf) {
	pdf.SetFont("serif", "B", 11)
	pdf.CellFormat(0, 6, r.Agency, "", 1, "L", false, 0, "")
	pdf.SetFont("serif", "B", 14)
	pdf.CellFormat(0, 8, r.Title, "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "", 11)
	pdf.CellFormat(0, 6, r.Subtitle, "", 1, "C", false, 0, "")
	pdf.Ln(2)
}

// columnWidths shares the printable width by the columns' relative widths.
func (r *Register) columnWidths(total float64) []float64 {
	sum := 0.0
	for _, c := range r.Columns {
		sum += c.Width
	}
	widths := make([]float64, len(r.Columns))
	for i, c := range r.Columns {
		widths[i] = total * c.Width / sum
	}
	return widths
}

func (r *Register) rowHeight(pdf *fpdf.Fpdf, widths []float64, cells []string) float64 {
	pdf.SetFont("serif", "", regFontSize)
	lines := 1
	for i, c := range cells {
		lines = max(lines, len(pdf.SplitText(c, widths[i]-2*regPadding)))
	}
	return float64(lines)*regLineH + 2*regPadding
}

// writeRow draws one row of bordered cells of equal height, text wrapped in each.
func (r *Register) writeRow(pdf *fpdf.Fpdf, widths []float64, cells []string, heading bool) {
	h := r.rowHeight(pdf, widths, cells)
	style, align := "", "L"
	if heading {
		style, align = "B", "C"
	}
	pdf.SetFont("serif", style, regFontSize)
	x, y := pdf.GetX(), pdf.GetY()
	for i, c := range cells {
		pdf.Rect(x, y, widths[i], h, "D")
		for j, line := range pdf.SplitText(c, widths[i]-2*regPadding) {
			pdf.SetXY(x+regPadding, y+regPadding+float64(j)*regLineH)
			pdf.CellFormat(widths[i]-2*regPadding, regLineH, line, "", 0, align, false, 0, "")
		}
		x += widths[i]
	}
	pdf.SetXY(regMargin, y+h)
}
