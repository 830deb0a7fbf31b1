package pdfread_test

import (
	"bytes"
	"testing"

	"edms/internal/signing/pdfread"
	"edms/internal/signing/pdfread/pdftest"
)

// FuzzOpen reads arbitrary input and every object it lists: it must end without
// a panic, and within the fuzzer's time and memory limits.
func FuzzOpen(f *testing.F) {
	base := basePDF()
	f.Add(base)
	for _, u := range []pdftest.Update{
		{Style: pdftest.Stream, Objects: redirected, Compressed: map[uint32]string{3: "<< /Type /Page /Contents 6 0 R >>"}},
		{Style: pdftest.Hybrid, Objects: map[uint32]string{7: "(x)"}, Hidden: redirected, Free: []uint32{4}},
	} {
		data, err := pdftest.Append(base, u)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := pdfread.Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, n := range rd.Numbers() {
			if st, ok := rd.Object(n).(*pdfread.Stream); ok {
				rd.Data(st)
			}
		}
	})
}
