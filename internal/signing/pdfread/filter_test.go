package pdfread

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestPNGPredictors encodes rows of RGB pixels with each of the five PNG
// filters in turn and checks that FlateDecode with /Predictor 15 restores them.
func TestPNGPredictors(t *testing.T) {
	const columns, colors, rows = 13, 3, 10
	const width = columns * colors
	pixels := make([]byte, width*rows)
	for i := range pixels {
		pixels[i] = byte(i*i*7 + i/5)
	}
	var encoded []byte
	prev := make([]byte, width)
	for y := 0; y < rows; y++ {
		cur := pixels[y*width : (y+1)*width]
		kind := byte(y % 5)
		encoded = append(encoded, kind)
		for i := range cur {
			var left, upLeft byte
			if i >= colors {
				left, upLeft = cur[i-colors], prev[i-colors]
			}
			predictors := []byte{0, left, prev[i], byte((int(left) + int(prev[i])) / 2), paeth(left, prev[i], upLeft)}
			encoded = append(encoded, cur[i]-predictors[kind])
		}
		prev = cur
	}
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(encoded)
	zw.Close()
	parms := Dict{"Predictor": int64(15), "Columns": int64(columns), "Colors": int64(colors)}
	got, err := decode(z.Bytes(), Name("FlateDecode"), parms, func(o Object) Object { return o })
	if err != nil || !bytes.Equal(got, pixels) {
		t.Errorf("predictor decoding: %v\n got %v\nwant %v", err, got, pixels)
	}
}

// TestPredictorsOfImagePNG decodes the rows of a PNG written by image/png,
// which chose Up and Paeth for this picture: an independent check of those two.
func TestPredictorsOfImagePNG(t *testing.T) {
	const w, h = 37, 40
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetGray(x, y, color.Gray{Y: uint8(x*x*3 + y*7 + (x^y)*11)})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	idat := pngImageData(buf.Bytes())
	got, err := decode(idat, Name("FlateDecode"), Dict{"Predictor": int64(15), "Columns": int64(w)}, func(o Object) Object { return o })
	if err != nil || !bytes.Equal(got, img.Pix) {
		t.Errorf("predictor decoding differs from the pixels: %v", err)
	}
}

// pngImageData concatenates the IDAT chunks of a PNG file.
func pngImageData(data []byte) []byte {
	var out []byte
	for p := 8; p+12 <= len(data); {
		n := int(binary.BigEndian.Uint32(data[p:]))
		if p+12+n > len(data) {
			break
		}
		if string(data[p+4:p+8]) == "IDAT" {
			out = append(out, data[p+8:p+8+n]...)
		}
		p += 12 + n
	}
	return out
}
