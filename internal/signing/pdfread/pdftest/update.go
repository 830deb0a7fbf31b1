// Package pdftest appends incremental updates to a PDF in each style of
// cross-reference data (classic table, cross-reference stream, hybrid with
// /XRefStm, objects inside an object stream). Tests use it to build the benign
// and hostile files the reader and the verifier must see through; it is not a
// general PDF writer. CrossCheck compares what pdfread resolves for every
// revision of a file with what qpdf resolves for the file cut at that revision.
package pdftest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"edms/internal/signing/pdfread"
)

// Style is how the update's cross-reference section is written.
type Style int

// Styles of cross-reference sections.
const (
	Table  Style = iota // classic "xref" table and trailer
	Stream              // a cross-reference stream (with a PNG predictor)
	Hybrid              // a classic table whose trailer has /XRefStm: Hidden objects are listed only in the stream
)

// Update is one incremental update.
type Update struct {
	Style Style
	// Objects are written as "N 0 obj <body> endobj" and listed in the section.
	Objects map[uint32]string
	// Compressed objects go into a new object stream (not streams themselves).
	Compressed map[uint32]string
	// Hidden objects (Hybrid only) are written like Objects but listed only in
	// the /XRefStm stream, where readers that ignore it do not look.
	Hidden map[uint32]string
	// Free objects get a free entry (generation 1).
	Free []uint32
	// Trailer holds extra trailer entries in PDF syntax, e.g. "/Info 9 0 R".
	Trailer string
}

// Append returns base followed by the update.
func Append(base []byte, u Update) ([]byte, error) {
	rd, err := pdfread.Open(bytes.NewReader(base), int64(len(base)))
	if err != nil {
		return nil, err
	}
	w := &writer{out: bytes.NewBuffer(bytes.Clone(base)), entries: map[uint32]pdfread.Entry{}}
	if !bytes.HasSuffix(base, []byte("\n")) {
		w.out.WriteByte('\n')
	}
	size := nextNumber(rd, u)
	for _, num := range sortedKeys(u.Objects) {
		w.object(num, u.Objects[num])
	}
	tableEntries := w.entries
	w.entries = map[uint32]pdfread.Entry{}
	for _, num := range sortedKeys(u.Hidden) {
		w.object(num, u.Hidden[num])
	}
	if len(u.Compressed) > 0 {
		w.objectStream(size, u.Compressed)
		size++
	}
	for _, num := range u.Free {
		w.entries[num] = pdfread.Entry{Type: pdfread.Free, Gen: 1}
	}
	trailer := fmt.Sprintf("/Size %d /Prev %d %s", size+1, startxref(base), u.Trailer)
	if !strings.Contains(u.Trailer, "/Root") {
		trailer += " /Root " + ref(rd.Trailer()["Root"])
	}
	if info, ok := rd.Trailer()["Info"]; ok && !strings.Contains(u.Trailer, "/Info") {
		trailer += " /Info " + ref(info)
	}
	switch u.Style {
	case Table:
		merge(w.entries, tableEntries)
		w.table(w.entries, trailer)
	case Stream:
		merge(w.entries, tableEntries)
		w.stream(size, w.entries, trailer)
	case Hybrid:
		at := w.stream(size, w.entries, trailer)
		w.out.Truncate(bytes.LastIndex(w.out.Bytes(), []byte("startxref")))
		w.table(tableEntries, fmt.Sprintf("%s /XRefStm %d", trailer, at))
	}
	return w.out.Bytes(), nil
}

func merge(dst, src map[uint32]pdfread.Entry) {
	for k, v := range src {
		dst[k] = v
	}
}

// nextNumber is the first object number after the base's and the update's.
func nextNumber(rd *pdfread.Reader, u Update) uint32 {
	size, _ := rd.Trailer()["Size"].(int64)
	n := uint32(size)
	for _, m := range []map[uint32]string{u.Objects, u.Compressed, u.Hidden} {
		for k := range m {
			n = max(n, k+1)
		}
	}
	return n
}

func ref(o pdfread.Object) string {
	if r, ok := o.(pdfread.Ref); ok {
		return r.String()
	}
	return "null"
}

func startxref(b []byte) int64 {
	i := bytes.LastIndex(b, []byte("startxref"))
	var off int64
	fmt.Sscan(string(b[i+len("startxref"):]), &off)
	return off
}

func sortedKeys[V any](m map[uint32]V) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	return keys
}

type writer struct {
	out     *bytes.Buffer
	entries map[uint32]pdfread.Entry
}

func (w *writer) object(num uint32, body string) int64 {
	at := int64(w.out.Len())
	fmt.Fprintf(w.out, "%d 0 obj\n%s\nendobj\n", num, body)
	w.entries[num] = pdfread.Entry{Type: pdfread.InUse, Offset: at}
	return at
}

// objectStream writes the objects into object stream num.
func (w *writer) objectStream(num uint32, objects map[uint32]string) {
	var header, body bytes.Buffer
	for i, n := range sortedKeys(objects) {
		fmt.Fprintf(&header, "%d %d ", n, body.Len())
		body.WriteString(objects[n] + "\n")
		w.entries[n] = pdfread.Entry{Type: pdfread.Compressed, Stream: num, Index: i}
	}
	data := append(header.Bytes(), body.Bytes()...)
	w.object(num, streamBody(fmt.Sprintf("/Type /ObjStm /N %d /First %d", len(objects), header.Len()), deflate(data)))
}

func (w *writer) table(entries map[uint32]pdfread.Entry, trailer string) {
	at := w.out.Len()
	w.out.WriteString("xref\n")
	for _, n := range sortedKeys(entries) {
		e := entries[n]
		if e.Type == pdfread.Free {
			fmt.Fprintf(w.out, "%d 1\n%010d %05d f \n", n, 0, e.Gen)
		} else {
			fmt.Fprintf(w.out, "%d 1\n%010d %05d n \n", n, e.Offset, e.Gen)
		}
	}
	fmt.Fprintf(w.out, "trailer\n<< %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, at)
}

// stream writes cross-reference stream num (listing itself) and returns its offset.
func (w *writer) stream(num uint32, entries map[uint32]pdfread.Entry, trailer string) int64 {
	at := int64(w.out.Len())
	all := map[uint32]pdfread.Entry{num: {Type: pdfread.InUse, Offset: at}}
	merge(all, entries)
	var rows bytes.Buffer
	var index string
	prev := make([]byte, 7)
	for _, n := range sortedKeys(all) {
		index += fmt.Sprintf("%d 1 ", n)
		row := xrefRow(all[n])
		rows.WriteByte(2) // PNG "Up" predictor
		for i := range row {
			rows.WriteByte(row[i] - prev[i])
		}
		prev = row
	}
	dict := fmt.Sprintf("/Type /XRef /W [1 4 2] /Index [%s] /DecodeParms << /Predictor 12 /Columns 7 >> %s", index, trailer)
	fmt.Fprintf(w.out, "%d 0 obj\n%s\nendobj\nstartxref\n%d\n%%%%EOF\n", num, streamBody(dict, deflate(rows.Bytes())), at)
	return at
}

func xrefRow(e pdfread.Entry) []byte {
	row := make([]byte, 7)
	switch e.Type {
	case pdfread.Free:
		binary.BigEndian.PutUint16(row[5:], e.Gen)
	case pdfread.InUse:
		row[0] = 1
		binary.BigEndian.PutUint32(row[1:], uint32(e.Offset))
		binary.BigEndian.PutUint16(row[5:], e.Gen)
	case pdfread.Compressed:
		row[0] = 2
		binary.BigEndian.PutUint32(row[1:], e.Stream)
		binary.BigEndian.PutUint16(row[5:], uint16(e.Index))
	}
	return row
}

func streamBody(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

func deflate(data []byte) []byte {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(data) // writes to a bytes.Buffer cannot fail
	zw.Close()
	return z.Bytes()
}

// FlateStream is the body of a Flate-compressed stream object with the given
// dictionary entries, for Update.Objects.
func FlateStream(dict string, data []byte) string {
	return streamBody(dict, deflate(data))
}

// Format writes o in PDF syntax, references as references, so a test can
// rewrite an object it read with a change.
func Format(o pdfread.Object) string {
	switch v := o.(type) {
	case nil:
		return "null"
	case bool, int64:
		return fmt.Sprint(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case pdfread.Name:
		return "/" + string(v) // the test objects use plain names
	case pdfread.String:
		return "<" + hex.EncodeToString([]byte(v)) + ">"
	case pdfread.Ref:
		return v.String()
	case pdfread.Array:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = Format(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case pdfread.Dict:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("<<")
		for _, k := range keys {
			b.WriteString(" /" + k + " " + Format(v[pdfread.Name(k)]))
		}
		return b.String() + " >>"
	}
	return "null" // a stream is never inline
}
