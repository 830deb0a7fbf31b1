package signing

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/digitorus/pdf"
)

// IssueStamp is the number and date of issue that the system writes on a document
// the competent person has already signed (Nghị định 30: the clerk issues the
// number after the signature, then applies the seal).
//
// It is added as an incremental update holding only Stamp annotations marked
// /EdmsStamp /IssueNumber (with their appearance images) and the page's /Annots
// entry: the bytes the leader signed are untouched, so the signature stays valid,
// and Verify recognises exactly this change as the project's own stamp. The
// agency's signature, applied next, covers the stamp.
type IssueStamp struct {
	Page  int // 1-based; 0 means 1
	Boxes []StampBox
}

// StampBox is text drawn into a reserved rectangle of the page.
type StampBox struct {
	Rect   Rect
	Lines  []string
	SizePt float64 // 0: 13 pt, the size of the document's body text
	Italic bool
}

// NumberAndDate builds the usual stamp: "Số: 12/QĐ-UBND" in numberRect and
// "Phú Lương, ngày 26 tháng 11 năm 2026" in italics in dateRect.
func NumberAndDate(numberAndSymbol string, numberRect Rect, place string, issued time.Time, dateRect Rect) IssueStamp {
	d := issued.In(VietnamZone)
	dateLine := fmt.Sprintf("%s, ngày %02d tháng %02d năm %d", place, d.Day(), d.Month(), d.Year())
	return IssueStamp{Boxes: []StampBox{
		{Rect: numberRect, Lines: []string{"Số: " + numberAndSymbol}},
		{Rect: dateRect, Lines: []string{dateLine}, Italic: true},
	}}
}

// issueStampMark is the marker Verify looks for on the project's stamp annotations.
const issueStampMark = "IssueNumber"

// AddIssueStamp writes doc with the stamp added as an incremental update.
func AddIssueStamp(doc Document, w io.Writer, st IssueStamp) (err error) {
	rdr, err := doc.open()
	if err != nil {
		return err
	}
	defer recoverAs(&err, ErrNotPDF)
	if st.Page == 0 {
		st.Page = 1
	}
	page, err := pageByNumber(rdr.Trailer().Key("Root"), st.Page)
	if err != nil {
		return fmt.Errorf("signing: issue stamp: %w", err)
	}
	u := newUpdate(doc, rdr)
	f, err := newStampFont()
	if err != nil {
		return err
	}
	fontID := u.add(nil) // written once every box has named its glyphs
	var annots []string
	for _, box := range st.Boxes {
		id, err := u.stampAnnotation(f, fontID, box, objID(page))
		if err != nil {
			return err
		}
		annots = append(annots, fmt.Sprintf("%d 0 R", id))
	}
	f.objects(u, fontID)
	var pageDict bytes.Buffer
	writeDict(&pageDict, page, objID(page), map[string]string{"Annots": annotsWith(page, annots)})
	u.replace(objID(page), pageDict.Bytes())
	return u.writeTo(w)
}

// annotsWith is the page's annotation array with the new references appended.
func annotsWith(page pdf.Value, refs []string) string {
	var b bytes.Buffer
	b.WriteString("[")
	old := page.Key("Annots")
	for i := 0; i < old.Len(); i++ {
		b.WriteString(" ")
		writeRef(&b, old.Index(i))
	}
	for _, r := range refs {
		b.WriteString(" " + r)
	}
	b.WriteString(" ]")
	return b.String()
}

// stampAnnotation adds one box: its appearance form and the annotation. A box
// narrower than its text grows to the right, so that a number longer than the
// placeholder it fills starts where the placeholder did.
func (u *update) stampAnnotation(f *stampFont, fontID uint32, box StampBox, pageID uint32) (uint32, error) {
	if box.Rect.empty() {
		return 0, fmt.Errorf("signing: issue stamp box %q has an empty rectangle", strings.Join(box.Lines, " "))
	}
	width, err := textWidth(f, box)
	if err != nil {
		return 0, err
	}
	r := box.Rect
	r.URX = max(r.URX, r.LLX+width+4)
	w, h := r.Width(), r.Height()
	content, err := stampContent(f, box, w, h)
	if err != nil {
		return 0, err
	}
	form := u.add(streamObject(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %s %s] /Resources << /Font << /F1 %d 0 R >> >>", num(w), num(h), fontID), content))
	annot := fmt.Sprintf("<< /Type /Annot /Subtype /Stamp /Rect [%s %s %s %s] /F 644 /P %d 0 R /Contents %s /EdmsStamp /%s /AP << /N %d 0 R >> >>",
		num(r.LLX), num(r.LLY), num(r.URX), num(r.URY), pageID, textString(strings.Join(box.Lines, "\n")), issueStampMark, form)
	return u.add([]byte(annot)), nil
}

func num(f float64) string { return fmt.Sprintf("%.2f", f) }
