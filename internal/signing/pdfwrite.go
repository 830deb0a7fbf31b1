package signing

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"image"
	"io"
	"sort"
	"strconv"
	"unicode/utf16"

	"github.com/digitorus/pdf"
)

// update is an incremental update being built on top of a document: new and
// replaced objects, then a cross-reference section whose /Prev points at the old
// one. The original bytes are copied untouched, so earlier signatures stay valid.
type update struct {
	doc     Document
	rdr     *pdf.Reader
	nextID  uint32
	objects map[uint32][]byte
}

func newUpdate(doc Document, rdr *pdf.Reader) *update {
	next := uint32(len(rdr.Xref()))
	if size := uint32(rdr.Trailer().Key("Size").Int64()); size > next {
		next = size
	}
	return &update{doc: doc, rdr: rdr, nextID: next, objects: map[uint32][]byte{}}
}

// add appends a new object and returns its number.
func (u *update) add(body []byte) uint32 {
	id := u.nextID
	u.nextID++
	u.objects[id] = body
	return id
}

// replace gives an existing object (generation 0) a new body.
func (u *update) replace(id uint32, body []byte) { u.objects[id] = body }

// writeTo writes the original document followed by the update.
func (u *update) writeTo(w io.Writer) error {
	var out bytes.Buffer
	if _, err := io.Copy(&out, u.doc.section()); err != nil {
		return fmt.Errorf("signing: read input: %w", err)
	}
	if b := out.Bytes(); len(b) > 0 && b[len(b)-1] != '\n' {
		out.WriteByte('\n')
	}
	ids := make([]uint32, 0, len(u.objects))
	for id := range u.objects {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	offsets := map[uint32]int{}
	for _, id := range ids {
		offsets[id] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n", id)
		out.Write(u.objects[id])
		out.WriteString("\nendobj\n")
	}
	xrefAt := out.Len()
	out.WriteString("xref\n")
	for _, id := range ids {
		fmt.Fprintf(&out, "%d 1\n%010d 00000 n \n", id, offsets[id])
	}
	u.writeTrailer(&out, xrefAt)
	_, err := w.Write(out.Bytes())
	return err
}

func (u *update) writeTrailer(out *bytes.Buffer, xrefAt int) {
	t := u.rdr.Trailer()
	out.WriteString("trailer\n<< ")
	fmt.Fprintf(out, "/Size %d /Root ", u.nextID)
	writeRef(out, t.Key("Root"))
	if info := t.Key("Info"); !info.IsNull() {
		out.WriteString(" /Info ")
		writeRef(out, info)
	}
	if id := t.Key("ID"); id.Len() == 2 {
		out.WriteString(" /ID ")
		writeValue(out, id, 0)
	}
	fmt.Fprintf(out, " /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", u.rdr.XrefInformation.StartPos, xrefAt)
}

func writeRef(out *bytes.Buffer, v pdf.Value) {
	ptr := v.GetPtr()
	fmt.Fprintf(out, "%d %d R", ptr.GetID(), ptr.GetGen())
}

// writeValue writes v in PDF syntax. Values held in another object than holder
// were reached through a reference and are written as that reference, so a
// rewritten dictionary points at the same objects as the original.
func writeValue(out *bytes.Buffer, v pdf.Value, holder uint32) {
	if id := objID(v); id != holder && id != 0 {
		writeRef(out, v)
		return
	}
	switch v.Kind() {
	case pdf.Null:
		out.WriteString("null")
	case pdf.Bool:
		out.WriteString(strconv.FormatBool(v.Bool()))
	case pdf.Integer:
		out.WriteString(strconv.FormatInt(v.Int64(), 10))
	case pdf.Real:
		out.WriteString(strconv.FormatFloat(v.Float64(), 'f', -1, 64))
	case pdf.String:
		out.WriteString("<" + hex.EncodeToString([]byte(v.RawString())) + ">")
	case pdf.Name:
		writeName(out, v.Name())
	case pdf.Dict:
		writeDict(out, v, holder, nil)
	case pdf.Array:
		out.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			out.WriteString(" ")
			writeValue(out, v.Index(i), holder)
		}
		out.WriteString(" ]")
	case pdf.Stream:
		out.WriteString("null") // a stream is always indirect; unreachable for valid input
	}
}

// writeDict writes a dictionary, with override values (already in PDF syntax)
// replacing or adding keys.
func writeDict(out *bytes.Buffer, v pdf.Value, holder uint32, override map[string]string) {
	out.WriteString("<<")
	for _, k := range v.Keys() {
		if _, ok := override[k]; ok {
			continue
		}
		out.WriteString(" ")
		writeName(out, k)
		out.WriteString(" ")
		writeValue(out, v.Key(k), holder)
	}
	for _, k := range sortedKeys(override) {
		out.WriteString(" ")
		writeName(out, k)
		out.WriteString(" " + override[k])
	}
	out.WriteString(" >>")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func writeName(out *bytes.Buffer, name string) {
	out.WriteByte('/')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x21 || c > 0x7e || bytes.IndexByte([]byte("#()<>[]{}/%"), c) >= 0 {
			fmt.Fprintf(out, "#%02x", c)
		} else {
			out.WriteByte(c)
		}
	}
}

// textString encodes s as a PDF text string (UTF-16BE with BOM, hex).
func textString(s string) string {
	b := []byte{0xfe, 0xff}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u>>8), byte(u))
	}
	return "<" + hex.EncodeToString(b) + ">"
}

// imageObjects adds an RGB image XObject with its alpha channel as soft mask and
// returns the image's object number.
func (u *update) imageObjects(img *image.NRGBA) uint32 {
	b := img.Bounds()
	rgb := make([]byte, 0, b.Dx()*b.Dy()*3)
	alpha := make([]byte, 0, b.Dx()*b.Dy())
	for i := 0; i < len(img.Pix); i += 4 {
		rgb = append(rgb, img.Pix[i], img.Pix[i+1], img.Pix[i+2])
		alpha = append(alpha, img.Pix[i+3])
	}
	mask := u.add(streamObject(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8", b.Dx(), b.Dy()), alpha))
	return u.add(streamObject(fmt.Sprintf("/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceRGB /BitsPerComponent 8 /SMask %d 0 R", b.Dx(), b.Dy(), mask), rgb))
}

// streamObject is a Flate-compressed stream with the given dictionary entries.
func streamObject(dict string, data []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data) // writes to a bytes.Buffer cannot fail
	zw.Close()
	var out bytes.Buffer
	fmt.Fprintf(&out, "<< %s /Filter /FlateDecode /Length %d >>\nstream\n", dict, z.Len())
	out.Write(z.Bytes())
	out.WriteString("\nendstream")
	return out.Bytes()
}
