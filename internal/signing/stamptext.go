package signing

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The issue stamp writes its lines as real text, not as a picture: the number it
// fills in is then text like the rest of the page (found by a search, read back by
// pdftotext and by screen readers). The serif font is embedded whole as a CID font
// (Identity-H, glyph ids as codes) with a ToUnicode map, so any Vietnamese letter
// shows and extracts; italics are the regular face slanted.

// stampFont encodes text in the embedded font and remembers the glyphs used, for the
// widths and the ToUnicode map.
type stampFont struct {
	font *sfnt.Font
	buf  sfnt.Buffer
	upem fixed.Int26_6
	used map[sfnt.GlyphIndex]rune
	adv  map[sfnt.GlyphIndex]int // advance in thousandths of the em
}

func newStampFont() (*stampFont, error) {
	fonts, err := loadFonts()
	if err != nil {
		return nil, err
	}
	f := fonts[regular]
	return &stampFont{font: f, upem: fixed.Int26_6(f.UnitsPerEm()),
		used: map[sfnt.GlyphIndex]rune{}, adv: map[sfnt.GlyphIndex]int{}}, nil
}

// encode returns s as a hex string of glyph ids and its width at size 1 (in ems).
func (f *stampFont) encode(s string) (string, float64, error) {
	var hex strings.Builder
	width := 0
	for _, r := range s {
		g, err := f.font.GlyphIndex(&f.buf, r)
		if err != nil {
			return "", 0, fmt.Errorf("signing: stamp font: %w", err)
		}
		adv, err := f.font.GlyphAdvance(&f.buf, g, f.upem, font.HintingNone)
		if err != nil {
			return "", 0, fmt.Errorf("signing: stamp font: %w", err)
		}
		f.used[g] = r
		f.adv[g] = int(adv) * 1000 / int(f.upem)
		width += f.adv[g]
		fmt.Fprintf(&hex, "%04X", uint16(g))
	}
	return "<" + hex.String() + ">", float64(width) / 1000, nil
}

// objects adds the font's objects to the update, the Type0 font as object id (which
// the boxes' appearances, written before every glyph was known, already name).
func (f *stampFont) objects(u *update, id uint32) {
	file := u.add(fontFileObject())
	descriptor := u.add(fmt.Appendf(nil, "<< /Type /FontDescriptor /FontName /EdmsStampSerif /Flags 34 /FontBBox [-600 -300 2000 1000] /ItalicAngle 0 /Ascent 891 /Descent -216 /CapHeight 662 /StemV 80 /FontFile2 %d 0 R >>", file))
	cid := u.add(fmt.Appendf(nil, "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /EdmsStampSerif /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 500 /W [%s] >>", descriptor, f.widths()))
	toUnicode := u.add(streamObject("", f.toUnicode()))
	u.replace(id, fmt.Appendf(nil, "<< /Type /Font /Subtype /Type0 /BaseFont /EdmsStampSerif /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>", cid, toUnicode))
}

// fontFileObject is the embedded font file stream, compressed once per process:
// every stamp embeds the same file.
var fontFileObject = sync.OnceValue(func() []byte {
	return streamObject(fmt.Sprintf("/Length1 %d", len(fontData[regular])), fontData[regular])
})

func (f *stampFont) glyphs() []sfnt.GlyphIndex {
	gs := make([]sfnt.GlyphIndex, 0, len(f.used))
	for g := range f.used {
		gs = append(gs, g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i] < gs[j] })
	return gs
}

func (f *stampFont) widths() string {
	var b strings.Builder
	for _, g := range f.glyphs() {
		fmt.Fprintf(&b, " %d [%d]", g, f.adv[g])
	}
	return b.String()
}

func (f *stampFont) toUnicode() []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /EdmsStamp-UCS def /CMapType 2 def\n1 begincodespacerange <0000> <FFFF> endcodespacerange\n")
	gs := f.glyphs()
	for start := 0; start < len(gs); start += 100 {
		chunk := gs[start:min(start+100, len(gs))]
		fmt.Fprintf(&b, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&b, "<%04X> %s\n", uint16(g), utf16Hex(f.used[g]))
		}
		b.WriteString("endbfchar\n")
	}
	b.WriteString("endcmap CMapName currentdict /CMap defineresource pop end end\n")
	return b.Bytes()
}

// utf16Hex is a rune in UTF-16BE, as a hex string.
func utf16Hex(r rune) string {
	s := textString(string(r)) // <feffXXXX>
	return "<" + s[5:]
}

// stampLeading is the distance between the baselines of a box's lines, in sizes.
const stampLeading = 1.2

// stampContent is the appearance of a box of size w×h: a white ground hiding what
// the page printed there (the placeholder's dots), then the lines, centred.
func stampContent(f *stampFont, box StampBox, w, h float64) ([]byte, error) {
	size := box.size()
	slant := 0.0
	if box.Italic {
		slant = 0.2
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "q 1 g 0 0 %s %s re f Q\nBT 0 g /F1 %s Tf\n", num(w), num(h), num(size))
	top := h/2 + float64(len(box.Lines))*size*stampLeading/2
	for i, line := range box.Lines {
		text, width, err := f.encode(line)
		if err != nil {
			return nil, err
		}
		x := (w - width*size) / 2
		y := top - float64(i+1)*size*stampLeading + size*0.3
		fmt.Fprintf(&b, "1 0 %s 1 %s %s Tm %s Tj\n", num(slant), num(x), num(y), text)
	}
	b.WriteString("ET")
	return b.Bytes(), nil
}

// textWidth is the width of the box's widest line, in points.
func textWidth(f *stampFont, box StampBox) (float64, error) {
	widest := 0.0
	for _, line := range box.Lines {
		_, w, err := f.encode(line)
		if err != nil {
			return 0, err
		}
		widest = max(widest, w*box.size())
	}
	return widest, nil
}

func (box StampBox) size() float64 {
	if box.SizePt == 0 {
		return 13
	}
	return box.SizePt
}
