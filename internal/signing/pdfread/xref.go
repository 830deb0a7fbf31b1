package pdfread

import (
	"bytes"
	"fmt"
	"strconv"
)

// maxSections bounds a /Prev chain (a cycle or an absurd chain is an error).
const maxSections = 4096

// startxref finds the offset after the last "startxref" of the input.
func (rd *Reader) startxref() (int64, error) {
	n := min(rd.size, 2048)
	tail := make([]byte, n)
	if _, err := rd.r.ReadAt(tail, rd.size-n); err != nil && int64(len(tail)) != n {
		return 0, err
	}
	i := bytes.LastIndex(tail, []byte("startxref"))
	if i < 0 {
		return 0, fmt.Errorf("no startxref at the end")
	}
	s := newScanner(rd.r, rd.size, rd.size-n+int64(i)+int64(len("startxref")))
	return s.integer()
}

// loadChain reads the section at start and its /Prev chain, newest first: the
// first entry seen for an object number wins, a free one included.
func (rd *Reader) loadChain(start int64) error {
	rd.entries = map[uint32]Entry{}
	seen := map[int64]bool{}
	for off, first := start, true; ; first = false {
		if seen[off] || len(seen) >= maxSections {
			return fmt.Errorf("the /Prev chain loops at offset %d", off)
		}
		seen[off] = true
		trailer, err := rd.section(off)
		if err != nil {
			return err
		}
		if first {
			rd.trailer = trailer
		}
		prev, ok := trailer["Prev"]
		if !ok {
			break
		}
		if off, ok = prev.(int64); !ok {
			return fmt.Errorf("/Prev is not an offset")
		}
	}
	if _, ok := rd.trailer["Root"]; !ok {
		return fmt.Errorf("the trailer has no /Root")
	}
	return nil
}

func (rd *Reader) add(num int64, e Entry) {
	if num < 0 || num > maxObjectNumber {
		return
	}
	if _, ok := rd.entries[uint32(num)]; !ok {
		rd.entries[uint32(num)] = e
	}
}

// section reads the cross-reference section at off (a table, with its
// /XRefStm, or a stream) and returns its trailer.
func (rd *Reader) section(off int64) (Dict, error) {
	s := newScanner(rd.r, rd.size, off)
	s.skipSpace()
	save := s.pos
	if s.keyword() != "xref" {
		s.pos = save
		return rd.xrefStream(off)
	}
	trailer, err := rd.table(s)
	if err != nil {
		return nil, err
	}
	if stm, ok := trailer["XRefStm"]; ok {
		at, ok := stm.(int64)
		if !ok {
			return nil, fmt.Errorf("/XRefStm is not an offset")
		}
		if _, err := rd.xrefStream(at); err != nil {
			return nil, fmt.Errorf("/XRefStm: %w", err)
		}
	}
	return trailer, nil
}

// table reads the subsections of a classic table and the trailer after it.
func (rd *Reader) table(s *scanner) (Dict, error) {
	for subsections := 0; ; subsections++ {
		s.skipSpace()
		save := s.pos
		if s.keyword() == "trailer" {
			if subsections == 0 {
				return nil, fmt.Errorf("the cross-reference table at offset %d is empty", save)
			}
			d, err := s.object(0)
			trailer, ok := d.(Dict)
			if err != nil || !ok {
				return nil, fmt.Errorf("the trailer is not a dictionary")
			}
			return trailer, nil
		}
		s.pos = save
		first, err := s.integer()
		if err != nil {
			return nil, err
		}
		count, err := s.integer()
		if err != nil {
			return nil, err
		}
		for i := int64(0); i < count; i++ {
			if err := rd.tableEntry(s, first+i); err != nil {
				return nil, err
			}
		}
	}
}

func (rd *Reader) tableEntry(s *scanner, num int64) error {
	off, err := s.integer()
	if err != nil {
		return err
	}
	gen, err := s.integer()
	if err != nil || gen > 65535 {
		return fmt.Errorf("bad generation in the entry of object %d", num)
	}
	s.skipSpace()
	switch s.keyword() {
	case "n":
		rd.add(num, Entry{Type: InUse, Offset: off, Gen: uint16(gen)})
	case "f":
		rd.add(num, Entry{Type: Free, Gen: uint16(gen)})
	default:
		return fmt.Errorf("bad entry for object %d", num)
	}
	return nil
}

// xrefStream reads a cross-reference stream at off and returns its dictionary.
func (rd *Reader) xrefStream(off int64) (Dict, error) {
	o, _, err := rd.indirectAt(off, 0, 0)
	if err != nil {
		return nil, err
	}
	st, ok := o.(*Stream)
	if !ok || st.Dict["Type"] != Name("XRef") {
		return nil, fmt.Errorf("no cross-reference stream at offset %d", off)
	}
	data, err := rd.Data(st)
	if err != nil {
		return nil, err
	}
	w, err := xrefWidths(st.Dict["W"])
	if err != nil {
		return nil, err
	}
	index, err := xrefIndex(st.Dict)
	if err != nil {
		return nil, err
	}
	rd.streamEntries(data, w, index)
	return st.Dict, nil
}

func xrefWidths(o Object) ([3]int, error) {
	var w [3]int
	arr, ok := o.(Array)
	if !ok || len(arr) != 3 {
		return w, fmt.Errorf("cross-reference stream /W is not three numbers")
	}
	for i := range w {
		v, ok := arr[i].(int64)
		if !ok || v < 0 || v > 8 {
			return w, fmt.Errorf("cross-reference stream /W %v", arr)
		}
		w[i] = int(v)
	}
	if w[1] == 0 {
		return w, fmt.Errorf("cross-reference stream /W has no offset field")
	}
	return w, nil
}

func xrefIndex(d Dict) ([]int64, error) {
	if arr, ok := d["Index"].(Array); ok {
		out := make([]int64, 0, len(arr))
		for _, v := range arr {
			n, ok := v.(int64)
			if !ok || n < 0 {
				return nil, fmt.Errorf("cross-reference stream /Index %v", arr)
			}
			out = append(out, n)
		}
		if len(out)%2 != 0 {
			return nil, fmt.Errorf("cross-reference stream /Index has an odd length")
		}
		return out, nil
	}
	size, ok := d["Size"].(int64)
	if !ok || size < 0 {
		return nil, fmt.Errorf("cross-reference stream without /Size")
	}
	return []int64{0, size}, nil
}

// streamEntries adds the rows of a decoded cross-reference stream; rows beyond
// the data are ignored, so a huge /Size or /Index costs nothing.
func (rd *Reader) streamEntries(data []byte, w [3]int, index []int64) {
	rowLen := w[0] + w[1] + w[2]
	for i := 0; i+1 < len(index); i += 2 {
		for n := int64(0); n < index[i+1] && len(data) >= rowLen; n++ {
			row := data[:rowLen]
			data = data[rowLen:]
			kind := int64(1)
			if w[0] > 0 {
				kind = field(row[:w[0]])
			}
			f2, f3 := field(row[w[0]:w[0]+w[1]]), field(row[w[0]+w[1]:])
			num := index[i] + n
			switch kind {
			case 0:
				rd.add(num, Entry{Type: Free, Gen: uint16(f3)})
			case 1:
				rd.add(num, Entry{Type: InUse, Offset: f2, Gen: uint16(f3)})
			case 2:
				if f2 >= 0 && f2 <= maxObjectNumber {
					rd.add(num, Entry{Type: Compressed, Stream: uint32(f2), Index: int(f3)})
				}
			}
		}
	}
}

func field(b []byte) int64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return int64(v & (1<<63 - 1))
}

// repair rebuilds the cross-reference data by scanning the whole input for
// "N G obj" (a later definition wins) and takes, as poppler does, the last
// trailer that names a /Root, or else the last cross-reference stream's
// dictionary that does. (qpdf takes the first trailer instead: viewers differ
// on damaged files, which is why the verifier refuses damage after a signature.)
func (rd *Reader) repair(why string) error {
	if rd.size > maxStreamBytes*4 {
		return fmt.Errorf("%w: %s, and the file is too large to scan", ErrNotPDF, why)
	}
	data := make([]byte, rd.size)
	if _, err := rd.r.ReadAt(data, 0); err != nil && int64(len(data)) != rd.size {
		return fmt.Errorf("%w: %v", ErrNotPDF, err)
	}
	rd.entries, rd.cache, rd.objStms = map[uint32]Entry{}, map[uint32]Object{}, map[uint32]*objectStream{}
	rd.repaired = true
	rd.warnings = append(rd.warnings, "cross-reference data rebuilt by scanning the file: "+why)
	found := scanObjects(data)
	for _, d := range found {
		rd.entries[d.num] = Entry{Type: InUse, Offset: d.off, Gen: d.gen}
	}
	rd.trailer = rd.scanTrailer(data, found)
	if rd.trailer == nil {
		return fmt.Errorf("%w: %s, and no trailer was found", ErrNotPDF, why)
	}
	rd.addScannedObjectStreams(found)
	return nil
}

type definition struct {
	num uint32
	gen uint16
	off int64
}

// scanObjects finds every "N G obj" that starts a line or follows white space.
func scanObjects(data []byte) []definition {
	var out []definition
	for i := 0; ; {
		j := bytes.Index(data[i:], []byte("obj"))
		if j < 0 {
			return out
		}
		at := i + j
		i = at + 3
		if i < len(data) && !isSpace(data[i]) && !isDelim(data[i]) {
			continue
		}
		genStart, genEnd := digitsBefore(data, at)
		numStart, numEnd := digitsBefore(data, genStart)
		if genStart == genEnd || numStart == numEnd || (numStart > 0 && !isSpace(data[numStart-1])) {
			continue
		}
		num, err1 := strconv.ParseUint(string(data[numStart:numEnd]), 10, 31)
		gen, err2 := strconv.ParseUint(string(data[genStart:genEnd]), 10, 16)
		if err1 == nil && err2 == nil {
			out = append(out, definition{num: uint32(num), gen: uint16(gen), off: int64(numStart)})
		}
	}
}

// digitsBefore skips white space backwards from end and returns the run of
// digits before it.
func digitsBefore(data []byte, end int) (int, int) {
	e := end
	for e > 0 && isSpace(data[e-1]) {
		e--
	}
	if e == end {
		return end, end // no white space: not a token boundary
	}
	s := e
	for s > 0 && data[s-1] >= '0' && data[s-1] <= '9' && e-s < 10 {
		s--
	}
	return s, e
}

func (rd *Reader) scanTrailer(data []byte, found []definition) Dict {
	for i := len(data); ; {
		j := bytes.LastIndex(data[:i], []byte("trailer"))
		if j < 0 {
			break
		}
		i = j
		s := newScanner(rd.r, rd.size, int64(j+len("trailer")))
		if d, err := s.object(0); err == nil {
			if t, ok := d.(Dict); ok && t["Root"] != nil {
				return t
			}
		}
	}
	for i := len(found) - 1; i >= 0; i-- {
		if st, ok := rd.Object(found[i].num).(*Stream); ok && st.Dict["Type"] == Name("XRef") && st.Dict["Root"] != nil {
			return st.Dict
		}
	}
	return nil
}

// addScannedObjectStreams lists the objects of every object stream found by
// the scan that no top-level definition overrides.
func (rd *Reader) addScannedObjectStreams(found []definition) {
	for _, d := range found {
		if rd.entries[d.num].Offset != d.off {
			continue // redefined later
		}
		st, ok := rd.Object(d.num).(*Stream)
		if !ok || st.Dict["Type"] != Name("ObjStm") {
			continue
		}
		os, err := rd.objectStream(d.num)
		if err != nil {
			continue
		}
		for i, num := range os.nums {
			rd.add(int64(num), Entry{Type: Compressed, Stream: d.num, Index: i})
		}
	}
}
