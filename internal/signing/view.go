package signing

import (
	"fmt"
	"io"
	"unicode/utf16"

	"edms/internal/signing/pdfread"
)

// view is one revision of a document as a viewer resolves it (package pdfread),
// with helpers that follow references. The verifier reads every revision, the
// signed ones and the final one, only through views.
type view struct {
	rd *pdfread.Reader
}

// openView reads the revision of doc that ends at end.
func openView(doc Document, end int64) (view, error) {
	rd, err := pdfread.Open(io.NewSectionReader(doc.r, 0, end), end)
	if err != nil {
		return view{}, fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	return view{rd: rd}, nil
}

func (v view) resolve(o pdfread.Object) pdfread.Object { return v.rd.Resolve(o) }

// dict is the dictionary o resolves to, a stream's dictionary included.
func (v view) dict(o pdfread.Object) pdfread.Dict {
	switch x := v.resolve(o).(type) {
	case pdfread.Dict:
		return x
	case *pdfread.Stream:
		return x.Dict
	}
	return nil
}

func (v view) array(o pdfread.Object) pdfread.Array {
	a, _ := v.resolve(o).(pdfread.Array)
	return a
}

func (v view) name(o pdfread.Object) string {
	n, _ := v.resolve(o).(pdfread.Name)
	return string(n)
}

func (v view) integer(o pdfread.Object) int64 {
	n, _ := v.resolve(o).(int64)
	return n
}

func (v view) number(o pdfread.Object) float64 {
	switch n := v.resolve(o).(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}

func (v view) bytes(o pdfread.Object) []byte {
	s, _ := v.resolve(o).(pdfread.String)
	return []byte(s)
}

// text decodes a PDF text string: UTF-16BE with a byte order mark, else
// PDFDocEncoding read as Latin-1 (they differ only in rare punctuation).
func (v view) text(o pdfread.Object) string {
	b := v.bytes(o)
	if len(b) >= 2 && b[0] == 0xfe && b[1] == 0xff {
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
		}
		return string(utf16.Decode(u))
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

func (v view) root() pdfread.Dict { return v.dict(v.rd.Trailer()["Root"]) }

// refNum is the object number o refers to, 0 when o is not a reference.
func refNum(o pdfread.Object) uint32 {
	r, _ := o.(pdfread.Ref)
	return r.Num
}

// rect reads a rectangle array as a normalised Rect.
func (v view) rect(o pdfread.Object) Rect {
	a := v.array(o)
	if len(a) != 4 {
		return Rect{}
	}
	x1, y1, x2, y2 := v.number(a[0]), v.number(a[1]), v.number(a[2]), v.number(a[3])
	return Rect{min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)}
}

// firstPage walks the page tree to its first page, bounded in depth.
func (v view) firstPage() (pdfread.Dict, bool) {
	node := v.dict(v.root()["Pages"])
	for depth := 0; depth < 64 && node != nil; depth++ {
		if v.name(node["Type"]) == "Page" {
			return node, true
		}
		kids := v.array(node["Kids"])
		if len(kids) == 0 {
			break
		}
		node = v.dict(kids[0])
	}
	return nil, false
}

// pages lists the object numbers of every page, walking the tree with a bound
// on depth and a guard against cycles.
func (v view) pages() []uint32 {
	var out []uint32
	seen := map[uint32]bool{}
	var walk func(ref pdfread.Object, depth int)
	walk = func(ref pdfread.Object, depth int) {
		n := refNum(ref)
		if depth > 64 || seen[n] || n == 0 {
			return
		}
		seen[n] = true
		node := v.dict(ref)
		if v.name(node["Type"]) == "Page" {
			out = append(out, n)
			return
		}
		for _, kid := range v.array(node["Kids"]) {
			walk(kid, depth+1)
		}
	}
	walk(v.root()["Pages"], 0)
	return out
}

// describe names what an object is, for reports.
func (v view) describe(o pdfread.Object) string {
	d := v.dict(o)
	for _, k := range []pdfread.Name{"Type", "Subtype", "FT"} {
		if n := v.name(d[k]); n != "" {
			return n
		}
	}
	if _, ok := v.resolve(o).(*pdfread.Stream); ok {
		return "stream"
	}
	return "object"
}

// fieldType is a field's /FT, inherited through /Parent.
func (v view) fieldType(f pdfread.Dict) string {
	for depth := 0; depth < 32 && f != nil; depth++ {
		if ft := v.name(f["FT"]); ft != "" {
			return ft
		}
		f = v.dict(f["Parent"])
	}
	return ""
}

// appearances lists the appearance streams of an annotation: normal, rollover
// and down, each a stream or a dictionary of states.
func (v view) appearances(a pdfread.Dict) []pdfread.Object {
	var out []pdfread.Object
	ap := v.dict(a["AP"])
	for _, k := range []pdfread.Name{"N", "R", "D"} {
		if _, ok := v.resolve(ap[k]).(*pdfread.Stream); ok {
			out = append(out, ap[k])
			continue
		}
		for _, state := range v.dict(ap[k]) {
			out = append(out, state)
		}
	}
	return out
}

// maxReachable bounds the objects collected by reachable.
const maxReachable = 100000

// reachable lists the object numbers reachable from o through references.
func (v view) reachable(o pdfread.Object) []uint32 {
	seen := map[uint32]bool{}
	var out []uint32
	stack := []pdfread.Object{o}
	for len(stack) > 0 && len(out) < maxReachable {
		cur := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch x := cur.(type) {
		case pdfread.Ref:
			if !seen[x.Num] {
				seen[x.Num] = true
				out = append(out, x.Num)
				stack = append(stack, v.rd.Object(x.Num))
			}
		case pdfread.Array:
			stack = append(stack, []pdfread.Object(x)...)
		case pdfread.Dict:
			for _, e := range x {
				stack = append(stack, e)
			}
		case *pdfread.Stream:
			stack = append(stack, x.Dict)
		}
	}
	return out
}

// matrix reads a transformation matrix, the identity when absent or malformed.
func (v view) matrix(o pdfread.Object) [6]float64 {
	m := [6]float64{1, 0, 0, 1, 0, 0}
	if a := v.array(o); len(a) == 6 {
		for i := range m {
			m[i] = v.number(a[i])
		}
	}
	return m
}

// transformRect is the bounding box of r transformed by m.
func transformRect(r Rect, m [6]float64) Rect {
	out := Rect{LLX: 1e300, LLY: 1e300, URX: -1e300, URY: -1e300}
	for _, p := range [][2]float64{{r.LLX, r.LLY}, {r.LLX, r.URY}, {r.URX, r.LLY}, {r.URX, r.URY}} {
		x, y := m[0]*p[0]+m[2]*p[1]+m[4], m[1]*p[0]+m[3]*p[1]+m[5]
		out = Rect{min(out.LLX, x), min(out.LLY, y), max(out.URX, x), max(out.URY, y)}
	}
	return out
}
