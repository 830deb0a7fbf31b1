package pdfread_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"edms/internal/signing/pdfread"
	"edms/internal/signing/pdfread/pdftest"
)

// basePDF is a one-page file with a classic table of two subsections, a free
// entry and a stream whose /Length is an indirect object.
func basePDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R /Name (caf\\351 \\(x\\)) /Hex <FEFF0041> /R 0.5 >>",
		"<< /Length 5 0 R >>\nstream\nBT /F1 12 Tf (original) Tj ET\nendstream",
		"29",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	b.WriteString("xref\n0 3\n0000000000 65535 f \n")
	fmt.Fprintf(&b, "%010d 00000 n \n%010d 00000 n \n", offs[0], offs[1])
	fmt.Fprintf(&b, "3 3\n%010d 00000 n \n%010d 00000 n \n%010d 00000 n \n", offs[2], offs[3], offs[4])
	fmt.Fprintf(&b, "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

func open(t *testing.T, data []byte) *pdfread.Reader {
	t.Helper()
	rd, err := pdfread.Open(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	return rd
}

func content(t *testing.T, rd *pdfread.Reader) string {
	t.Helper()
	page, _ := rd.Object(3).(pdfread.Dict)
	st, ok := rd.Resolve(page["Contents"]).(*pdfread.Stream)
	if !ok {
		return "<none>"
	}
	data, err := rd.Data(st)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func update(t *testing.T, base []byte, u pdftest.Update) []byte {
	t.Helper()
	out, err := pdftest.Append(base, u)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var redirected = map[uint32]string{6: pdftest.FlateStream("", []byte("BT (FORGED) Tj ET"))}

func TestRevisionsResolveAsViewers(t *testing.T) {
	base := basePDF()
	newPage := "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 6 0 R >>"
	cases := map[string]struct {
		data []byte
		want string // the page content a viewer shows
	}{
		"base":            {base, "BT /F1 12 Tf (original) Tj ET"},
		"classic update":  {update(t, base, pdftest.Update{Style: pdftest.Table, Objects: map[uint32]string{3: newPage, 6: redirected[6]}}), "BT (FORGED) Tj ET"},
		"stream update":   {update(t, base, pdftest.Update{Style: pdftest.Stream, Objects: map[uint32]string{3: newPage, 6: redirected[6]}}), "BT (FORGED) Tj ET"},
		"object stream":   {update(t, base, pdftest.Update{Style: pdftest.Stream, Objects: redirected, Compressed: map[uint32]string{3: newPage}}), "BT (FORGED) Tj ET"},
		"hybrid redirect": {update(t, base, pdftest.Update{Style: pdftest.Hybrid, Objects: map[uint32]string{7: "(unused)"}, Hidden: map[uint32]string{3: newPage, 6: redirected[6]}}), "BT (FORGED) Tj ET"},
		"hybrid objstm":   {update(t, base, pdftest.Update{Style: pdftest.Hybrid, Objects: redirected, Compressed: map[uint32]string{3: newPage}}), "BT (FORGED) Tj ET"},
		"content freed":   {update(t, base, pdftest.Update{Style: pdftest.Table, Free: []uint32{4}}), "<none>"},
		"freed in stream": {update(t, base, pdftest.Update{Style: pdftest.Stream, Free: []uint32{4}}), "<none>"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rd := open(t, c.data)
			if got := content(t, rd); got != c.want {
				t.Errorf("page content %q, want %q", got, c.want)
			}
			if rd.Repaired() {
				t.Errorf("a well-formed file was repaired: %v", rd.Warnings())
			}
			pdftest.CrossCheck(t, c.data)
		})
	}
}

func TestBasicValues(t *testing.T) {
	rd := open(t, basePDF())
	page := rd.Object(3).(pdfread.Dict)
	if page["Name"] != pdfread.String("caf\xe9 (x)") || page["Hex"] != pdfread.String("\xfe\xff\x00A") || page["R"] != 0.5 {
		t.Errorf("values: %#v", page)
	}
	if e, _ := rd.Entry(0); e.Type != pdfread.Free {
		t.Errorf("object 0 must be free: %+v", e)
	}
	if rd.Resolve(pdfread.Ref{Num: 3, Gen: 1}) != nil {
		t.Error("a reference with another generation must resolve to null")
	}
}

// TestBrokenOffsetRepaired shifts the offsets of the table by one byte: the
// objects are found by scanning, and the reader says so.
func TestBrokenOffsetRepaired(t *testing.T) {
	base := basePDF()
	i := bytes.Index(base, []byte("xref\n"))
	broken := bytes.Clone(base)
	table := strings.Replace(string(broken[i:]), "00000 n", "00000 n", -1)
	off := strings.Index(table, "3 3\n") + 4
	// object 3's entry: change its last offset digit
	d := table[off+9]
	table = table[:off+9] + string(rune('0'+(d-'0'+1)%10)) + table[off+10:]
	broken = append(broken[:i], table...)
	rd := open(t, broken)
	if !rd.Repaired() || len(rd.Warnings()) == 0 {
		t.Fatal("a wrong offset must trigger a repair")
	}
	if got := content(t, rd); got != "BT /F1 12 Tf (original) Tj ET" {
		t.Errorf("content after repair: %q", got)
	}
	pdftest.CrossCheck(t, broken)
}

func TestHostileInputEnds(t *testing.T) {
	base := basePDF()
	selfPrev := bytes.Replace(base, []byte("/Size 6 /Root 1 0 R"), []byte(fmt.Sprintf("/Size 6 /Root 1 0 R /Prev %d", bytes.Index(base, []byte("xref\n")))), 1)
	deep := append([]byte("%PDF-1.7\n1 0 obj\n"), bytes.Repeat([]byte("["), 100000)...)
	cases := map[string][]byte{
		"prev cycle":   selfPrev,
		"deep nesting": append(deep, []byte("\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")...),
		"huge size":    update(t, base, pdftest.Update{Style: pdftest.Stream, Trailer: "/Size 2000000000"}),
		"no trailer":   []byte("%PDF-1.7\n1 0 obj\n<< >>\nendobj\n"),
		"empty":        nil,
		"garbage xref": bytes.Replace(base, []byte("xref\n0 3"), []byte("xref\n0 999999999"), 1),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			rd, err := pdfread.Open(bytes.NewReader(data), int64(len(data)))
			if err == nil {
				for _, n := range rd.Numbers() {
					rd.Object(n)
				}
			}
		})
	}
}
