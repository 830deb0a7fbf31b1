package pdfread

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
)

// maxStreamBytes bounds the raw and the decoded size of one stream.
const maxStreamBytes = 64 << 20

// decode applies the stream's filters. Only FlateDecode (with PNG or no
// predictor) is decoded: it is what cross-reference and object streams use;
// other filters are refused with an error.
func decode(data []byte, filter, parms Object, resolve func(Object) Object) ([]byte, error) {
	filters, params := asList(filter), asList(parms)
	for i, f := range filters {
		name, _ := resolve(f).(Name)
		var p Dict
		if i < len(params) {
			p, _ = resolve(params[i]).(Dict)
		}
		switch name {
		case "FlateDecode", "Fl":
			out, err := inflate(data)
			if err != nil {
				return nil, err
			}
			if data, err = unpredict(out, p, resolve); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("pdfread: filter /%s is not supported", name)
		}
	}
	return data, nil
}

func asList(o Object) Array {
	switch v := o.(type) {
	case nil:
		return nil
	case Array:
		return v
	}
	return Array{o}
}

// inflate decompresses zlib data, keeping what was decoded before a damaged
// end, as viewers do; the output is bounded by maxStreamBytes.
func inflate(data []byte) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("pdfread: FlateDecode: %w", err)
	}
	var out bytes.Buffer
	n, err := io.Copy(&out, io.LimitReader(zr, maxStreamBytes+1))
	if n > maxStreamBytes {
		return nil, fmt.Errorf("pdfread: FlateDecode: more than %d bytes", maxStreamBytes)
	}
	if err != nil && out.Len() == 0 {
		return nil, fmt.Errorf("pdfread: FlateDecode: %w", err)
	}
	return out.Bytes(), nil
}

// unpredict undoes a PNG predictor (Predictor >= 10).
func unpredict(data []byte, p Dict, resolve func(Object) Object) ([]byte, error) {
	pred, _ := resolve(p["Predictor"]).(int64)
	if pred <= 1 {
		return data, nil
	}
	if pred < 10 {
		return nil, fmt.Errorf("pdfread: predictor %d is not supported", pred)
	}
	colors, bpc, columns := intOr(resolve(p["Colors"]), 1), intOr(resolve(p["BitsPerComponent"]), 8), intOr(resolve(p["Columns"]), 1)
	if colors < 1 || colors > 32 || bpc < 1 || bpc > 16 || columns < 1 || columns > 1<<20 {
		return nil, fmt.Errorf("pdfread: bad predictor parameters")
	}
	bpp := max(1, int(colors*bpc/8))
	row := int((colors*bpc*columns + 7) / 8)
	if row > 1<<20 {
		return nil, fmt.Errorf("pdfread: predictor rows of %d bytes", row)
	}
	out := make([]byte, 0, len(data))
	prev := make([]byte, row)
	for len(data) > 0 {
		kind := data[0]
		n := min(row, len(data)-1)
		cur := append([]byte(nil), data[1:1+n]...)
		cur = append(cur, make([]byte, row-n)...)
		data = data[1+n:]
		if err := unfilterRow(kind, cur, prev, bpp); err != nil {
			return nil, err
		}
		out = append(out, cur[:n]...)
		prev = cur
	}
	return out, nil
}

func unfilterRow(kind byte, cur, prev []byte, bpp int) error {
	for i := range cur {
		var left, upLeft byte
		if i >= bpp {
			left, upLeft = cur[i-bpp], prev[i-bpp]
		}
		switch kind {
		case 0:
		case 1:
			cur[i] += left
		case 2:
			cur[i] += prev[i]
		case 3:
			cur[i] += byte((int(left) + int(prev[i])) / 2)
		case 4:
			cur[i] += paeth(left, prev[i], upLeft)
		default:
			return fmt.Errorf("pdfread: PNG filter type %d", kind)
		}
	}
	return nil
}

func paeth(a, b, c byte) byte {
	p := int(a) + int(b) - int(c)
	pa, pb, pc := abs(p-int(a)), abs(p-int(b)), abs(p-int(c))
	switch {
	case pa <= pb && pa <= pc:
		return a
	case pb <= pc:
		return b
	}
	return c
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func intOr(o Object, def int64) int64 {
	if v, ok := o.(int64); ok {
		return v
	}
	return def
}
