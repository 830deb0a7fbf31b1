package signing

import (
	"bytes"

	"edms/internal/signing/pdfread"
)

// equality compares values of the signed revision with values of the final one
// by meaning: a reference to the same object number is equal (that object is
// compared on its own), a reference equals an inline copy of what it points to
// (pdfsign rewrites a page with its /Resources inlined), numbers compare by
// value and streams by dictionary and decoded data. Pairs of objects are
// memoised, so shared and cyclic structures cost one comparison each.
type equality struct {
	old, final view
	memo       map[[2]uint32]bool
}

// maxCompareDepth bounds the nesting followed by a comparison.
const maxCompareDepth = 32

func newEquality(old, final view) *equality {
	return &equality{old: old, final: final, memo: map[[2]uint32]bool{}}
}

func (e *equality) same(a, b pdfread.Object) bool { return e.compare(a, b, 0) }

func (e *equality) compare(a, b pdfread.Object, depth int) bool {
	ra, refA := a.(pdfread.Ref)
	rb, refB := b.(pdfread.Ref)
	if refA && refB && ra == rb {
		return true
	}
	if depth > maxCompareDepth {
		return false
	}
	if refA != refB {
		return e.compare(e.old.resolve(a), e.final.resolve(b), depth+1)
	}
	if refA {
		key := [2]uint32{ra.Num, rb.Num}
		if r, ok := e.memo[key]; ok {
			return r
		}
		e.memo[key] = true // assumed equal while being compared (cycles)
		r := e.compare(e.old.resolve(a), e.final.resolve(b), depth+1)
		e.memo[key] = r
		return r
	}
	switch x := a.(type) {
	case pdfread.Dict:
		y, ok := b.(pdfread.Dict)
		return ok && e.sameDict(x, y, depth, false)
	case pdfread.Array:
		y, ok := b.(pdfread.Array)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !e.compare(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case *pdfread.Stream:
		y, ok := b.(*pdfread.Stream)
		return ok && e.sameStream(x, y, depth)
	case int64, float64:
		return numberValue(a) == numberValue(b) && isNumber(b)
	}
	return a == b
}

func (e *equality) sameDict(x, y pdfread.Dict, depth int, skipLength bool) bool {
	for _, k := range unionKeys(x, y) {
		if skipLength && (k == "Length" || k == "Filter" || k == "DecodeParms") {
			continue
		}
		if !e.compare(x[k], y[k], depth+1) {
			return false
		}
	}
	return true
}

// sameStream compares dictionaries (but not the encoding) and decoded data;
// data that cannot be decoded must be the same bytes with the same filters.
func (e *equality) sameStream(x, y *pdfread.Stream, depth int) bool {
	if !e.sameDict(x.Dict, y.Dict, depth, true) {
		return false
	}
	dx, errX := e.old.rd.Data(x)
	dy, errY := e.final.rd.Data(y)
	if errX == nil && errY == nil {
		return bytes.Equal(dx, dy)
	}
	rx, errX := e.old.rd.RawData(x)
	ry, errY := e.final.rd.RawData(y)
	return errX == nil && errY == nil && bytes.Equal(rx, ry) && e.compare(x.Dict["Filter"], y.Dict["Filter"], depth+1) && e.compare(x.Dict["DecodeParms"], y.Dict["DecodeParms"], depth+1)
}

func isNumber(o pdfread.Object) bool {
	switch o.(type) {
	case int64, float64:
		return true
	}
	return false
}

func numberValue(o pdfread.Object) float64 {
	switch n := o.(type) {
	case int64:
		return float64(n)
	case float64:
		return n
	}
	return 0
}
