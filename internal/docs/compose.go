package docs

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"
)

// FormArea is a rectangle of an A4 page, in millimetres from its top-left corner.
type FormArea struct{ X, Y, W, H float64 }

// The areas a composed draft leaves empty for what comes after drafting (Phụ lục I):
// the number and the date of issue on page 1 (written by the issue stamp) and the
// signer's block on the last page (drawn by the competent person's signature). The
// signing hook places its appearances in the same areas.
var (
	NumberArea    = FormArea{X: 20, Y: 37, W: 75, H: 8}
	DateArea      = FormArea{X: 100, Y: 37, W: 95, H: 8}
	SignatureArea = FormArea{X: 110, Y: 212, W: 80, H: 55}
)

// ComposeInput is what a drafter types instead of uploading a file.
type ComposeInput struct {
	ParentName string // the body above the issuer, printed first in the header ("" for none)
	IssuerName string // e.g. "Ủy ban nhân dân huyện Phú Lương"
	Type       DocType
	Notation   string // "KH-UBND": the number is left blank until issue
	Subject    string
	Body       string // paragraphs separated by blank lines
	ToPlaces   []string
	// Signer, when known, prints the signer's block: the authority line ("KT. CHỦ
	// TỊCH"), the position and, under the room left for the signature, the name.
	Signer SignerInfo
}

// Form geometry in millimetres (A4, margins of Nghị định 30: left 30, right 15).
const (
	formLeft   = 30.0
	formRight  = 195.0
	formBottom = 20.0
	bodySize   = 13.0
	lineHeight = 6.5
)

// ComposePDF lays a draft out on the administrative form: the header (issuer and
// national motto), the reserved number and date areas, the type and subject, the body,
// the recipients ("Nơi nhận") and the reserved signature area on the last page.
func ComposePDF(in ComposeInput) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("serif", "", serifRegular)
	pdf.AddUTF8FontFromBytes("serif", "B", serifBold)
	pdf.SetMargins(formLeft, 20, 210-formRight)
	pdf.SetAutoPageBreak(true, formBottom)
	pdf.SetTitle(in.Type.Name+" "+in.Subject, true)
	pdf.SetCreator("edms", true)
	pdf.AddPage()
	composeHeader(pdf, in)
	composeTitle(pdf, in)
	composeBody(pdf, in.Body)
	composeClosing(pdf, in)
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("docs: unable to compose the PDF: %w", err)
	}
	return buf.Bytes(), nil
}

func composeHeader(pdf *fpdf.Fpdf, in ComposeInput) {
	left := FormArea{X: 15, Y: 15, W: 85}
	pdf.SetXY(left.X, left.Y)
	if in.ParentName != "" {
		pdf.SetFont("serif", "", 12)
		pdf.CellFormat(left.W, 5.5, strings.ToUpper(in.ParentName), "", 2, "C", false, 0, "")
	}
	pdf.SetFont("serif", "B", 12)
	pdf.MultiCell(left.W, 5.5, headerName(in.IssuerName), "", "C", false)
	underline(pdf, left.X+left.W/2, pdf.GetY()+1, 25)

	pdf.SetXY(100, 15)
	pdf.SetFont("serif", "B", 12)
	pdf.CellFormat(95, 5.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	pdf.SetFont("serif", "B", 13)
	pdf.CellFormat(95, 6, "Độc lập - Tự do - Hạnh phúc", "", 2, "C", false, 0, "")
	underline(pdf, 147.5, pdf.GetY()+1, 60)
	// NumberArea and DateArea stay empty: the issue stamp writes them.
}

// headerName writes an issuer in capitals the way the header prints it, the kind of
// body on its own line: "ỦY BAN NHÂN DÂN\nHUYỆN PHÚ LƯƠNG".
func headerName(name string) string {
	upper := strings.ToUpper(strings.TrimSpace(name))
	for _, kind := range []string{"ỦY BAN NHÂN DÂN", "HỘI ĐỒNG NHÂN DÂN"} {
		if rest, ok := strings.CutPrefix(upper, kind+" "); ok {
			return kind + "\n" + rest
		}
	}
	return upper
}

// underline draws a short centred rule under a header line.
func underline(pdf *fpdf.Fpdf, centreX, y, width float64) {
	pdf.SetLineWidth(0.3)
	pdf.Line(centreX-width/2, y, centreX+width/2, y)
}

func composeTitle(pdf *fpdf.Fpdf, in ComposeInput) {
	pdf.SetY(NumberArea.Y + NumberArea.H + 6)
	if in.Type.Code == TypeCongVan {
		// A công văn carries its subject as "V/v ..." under the number, on the left.
		pdf.SetXY(NumberArea.X, NumberArea.Y+NumberArea.H)
		pdf.SetFont("serif", "", 12)
		pdf.MultiCell(NumberArea.W, 5, "V/v "+congVanSubject(in.Subject), "", "C", false)
		pdf.Ln(6)
		composeKinhGui(pdf, in.ToPlaces)
		return
	}
	pdf.SetFont("serif", "B", 14)
	pdf.CellFormat(0, 7, strings.ToUpper(in.Type.Name), "", 1, "C", false, 0, "")
	pdf.SetFont("serif", "B", 13)
	pdf.MultiCell(0, lineHeight, in.Subject, "", "C", false)
	underline(pdf, (formLeft+formRight)/2, pdf.GetY()+1, 40)
	pdf.Ln(6)
}

// congVanSubject is a công văn's subject without the "V/v" the drafter may have typed:
// the form prints it once.
func congVanSubject(subject string) string {
	subject = strings.TrimSpace(subject)
	for _, prefix := range []string{"V/v", "v/v", "V/V", "Về việc", "về việc"} {
		if rest, ok := strings.CutPrefix(subject, prefix); ok {
			return strings.TrimSpace(rest)
		}
	}
	return subject
}

// composeKinhGui addresses a công văn: "Kính gửi:" then its recipients, one a line
// when there are several.
func composeKinhGui(pdf *fpdf.Fpdf, toPlaces []string) {
	if len(toPlaces) == 0 {
		return
	}
	pdf.SetFont("serif", "", bodySize)
	if len(toPlaces) == 1 {
		pdf.SetX(formLeft + 20)
		pdf.MultiCell(0, lineHeight, "Kính gửi: "+toPlaces[0]+".", "", "L", false)
	} else {
		pdf.SetX(formLeft + 20)
		pdf.CellFormat(0, lineHeight, "Kính gửi:", "", 1, "L", false, 0, "")
		for i, place := range toPlaces {
			end := ";"
			if i == len(toPlaces)-1 {
				end = "."
			}
			pdf.SetX(formLeft + 45)
			pdf.MultiCell(0, lineHeight, "- "+place+end, "", "L", false)
		}
	}
	pdf.Ln(4)
}

func composeBody(pdf *fpdf.Fpdf, body string) {
	pdf.SetFont("serif", "", bodySize)
	for _, para := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		para = strings.Join(strings.Fields(para), " ")
		if para == "" {
			continue
		}
		pdf.SetX(formLeft)
		pdf.MultiCell(0, lineHeight, "        "+para, "", "J", false)
		pdf.Ln(1.5)
	}
}

// composeClosing puts "Nơi nhận" on the left and the signer's block (when known) in
// the signature area of the last page, starting a new page when the body reaches into
// it. A công văn, addressed under "Kính gửi", lists "Như trên" first.
func composeClosing(pdf *fpdf.Fpdf, in ComposeInput) {
	toPlaces := in.ToPlaces
	if in.Type.Code == TypeCongVan && len(toPlaces) > 0 {
		toPlaces = []string{"Như trên"}
	}
	if pdf.GetY()+4 > SignatureArea.Y {
		pdf.AddPage()
	}
	pdf.SetXY(formLeft-10, SignatureArea.Y)
	pdf.SetFont("serif", "B", 12)
	pdf.CellFormat(70, 5.5, "Nơi nhận:", "", 2, "L", false, 0, "")
	pdf.SetFont("serif", "", 11)
	for _, place := range toPlaces {
		pdf.SetX(formLeft - 10)
		pdf.CellFormat(75, 5, "- "+place+";", "", 2, "L", false, 0, "")
	}
	pdf.SetX(formLeft - 10)
	pdf.CellFormat(75, 5, "- Lưu: VT.", "", 2, "L", false, 0, "")
	composeSigner(pdf, in.Signer)
}

// composeSigner prints the signer's block in the signature area: the authority line
// and the position, each on its own line in capitals, and the full name at the
// bottom, leaving the middle for the signature image (Phụ lục I).
func composeSigner(pdf *fpdf.Fpdf, signer SignerInfo) {
	if signer.Position == "" && signer.FullName == "" {
		return
	}
	area := SignatureArea
	pdf.SetXY(area.X, area.Y)
	pdf.SetFont("serif", "B", 13)
	for _, line := range SignerLines(signer) {
		pdf.SetX(area.X)
		pdf.CellFormat(area.W, 6, line, "", 2, "C", false, 0, "")
	}
	pdf.SetXY(area.X, area.Y+area.H-7)
	pdf.CellFormat(area.W, 6, strings.TrimSpace(signer.FullName), "", 2, "C", false, 0, "")
}

// SignerLines is the signer's block above the signature, one line each: the
// authority line (when the signer signs for someone) and the position, in capitals:
// ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"].
func SignerLines(signer SignerInfo) []string {
	var lines []string
	for _, l := range []string{signer.Competence, signer.Position} {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, strings.ToUpper(l))
		}
	}
	return lines
}
