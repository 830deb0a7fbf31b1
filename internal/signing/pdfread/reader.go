package pdfread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
)

// maxObjectNumber is the largest object number accepted (the limit of PDF 1.7,
// Annex C, raised to what qpdf accepts for real files).
const maxObjectNumber = 1<<31 - 1

// maxRefChain bounds how many references Resolve follows.
const maxRefChain = 32

// Reader resolves the objects of the last revision of its input.
type Reader struct {
	r        io.ReaderAt
	size     int64
	entries  map[uint32]Entry
	trailer  Dict
	repaired bool
	warnings []string
	cache    map[uint32]Object
	objStms  map[uint32]*objectStream
	loading  map[uint32]bool
}

// ErrNotPDF is wrapped by every error of Open: the input has no readable
// cross-reference data or trailer, even after scanning.
var ErrNotPDF = errors.New("pdfread: not a readable PDF")

// errMisplaced: the cross-reference data points where the object is not.
var errMisplaced = errors.New("wrong cross-reference entry")

// Open reads the cross-reference data of the revision that ends at size.
func Open(r io.ReaderAt, size int64) (*Reader, error) {
	rd := &Reader{r: r, size: size, cache: map[uint32]Object{}, objStms: map[uint32]*objectStream{}, loading: map[uint32]bool{}}
	start, err := rd.startxref()
	if err == nil {
		err = rd.loadChain(start)
	}
	if err == nil {
		err = rd.checkOffsets()
	}
	if err != nil {
		if rerr := rd.repair(err.Error()); rerr != nil {
			return nil, rerr
		}
	}
	return rd, nil
}

// checkOffsets makes sure every in-use entry points at its object's header, so
// that a damaged table is repaired before anything is compared.
func (rd *Reader) checkOffsets() error {
	for num, e := range rd.entries {
		if e.Type != InUse {
			continue
		}
		s := newScanner(rd.r, rd.size, e.Offset)
		n, err := s.integer()
		g, gerr := s.integer()
		if err != nil || gerr != nil || n != int64(num) || g != int64(e.Gen) || s.expectKeyword("obj") != nil {
			return fmt.Errorf("%w: object %d %d is not at offset %d", errMisplaced, num, e.Gen, e.Offset)
		}
	}
	return nil
}

// Trailer is the trailer dictionary of the newest section.
func (rd *Reader) Trailer() Dict { return rd.trailer }

// Size of the input in bytes.
func (rd *Reader) Size() int64 { return rd.size }

// Repaired reports whether the cross-reference data had to be rebuilt by scanning.
func (rd *Reader) Repaired() bool { return rd.repaired }

// Warnings describes what had to be repaired.
func (rd *Reader) Warnings() []string { return rd.warnings }

// Entry returns the cross-reference entry of object num, if there is one.
func (rd *Reader) Entry(num uint32) (Entry, bool) {
	e, ok := rd.entries[num]
	return e, ok
}

// Numbers lists, in increasing order, every object number the cross-reference
// data lists as in use or compressed.
func (rd *Reader) Numbers() []uint32 {
	var nums []uint32
	for n, e := range rd.entries {
		if e.Type != Free {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums
}

// Object returns object num as a viewer resolves it: nil when it is free,
// absent or cannot be parsed.
func (rd *Reader) Object(num uint32) Object {
	o, _ := rd.object(num)
	return o
}

// Resolve follows references until a direct object.
func (rd *Reader) Resolve(o Object) Object {
	for i := 0; i < maxRefChain; i++ {
		ref, ok := o.(Ref)
		if !ok {
			return o
		}
		e, found := rd.entries[ref.Num]
		if !found || (e.Type == InUse && e.Gen != ref.Gen) || (e.Type == Compressed && ref.Gen != 0) {
			return nil // a reference to another generation is a reference to null
		}
		o = rd.Object(ref.Num)
	}
	return nil
}

// object loads and caches object num; on an offset that does not hold the
// object, the cross-reference data is rebuilt once by scanning.
func (rd *Reader) object(num uint32) (Object, error) {
	if o, ok := rd.cache[num]; ok {
		return o, nil
	}
	if rd.loading[num] {
		return nil, fmt.Errorf("%w: object %d refers to itself while being read", errSyntax, num)
	}
	rd.loading[num] = true
	defer delete(rd.loading, num)
	o, err := rd.load(num)
	if errors.Is(err, errMisplaced) && !rd.repaired {
		if rerr := rd.repair(err.Error()); rerr == nil {
			o, err = rd.load(num)
		}
	}
	if err != nil {
		o = nil
	}
	rd.cache[num] = o
	return o, err
}

func (rd *Reader) load(num uint32) (Object, error) {
	e, ok := rd.entries[num]
	switch {
	case !ok || e.Type == Free:
		return nil, nil
	case e.Type == Compressed:
		return rd.compressedObject(num, e)
	}
	o, _, err := rd.indirectAt(e.Offset, num, e.Gen)
	return o, err
}

// indirectAt parses "num gen obj ... endobj" at off; num is checked unless 0.
func (rd *Reader) indirectAt(off int64, num uint32, gen uint16) (Object, uint32, error) {
	s := newScanner(rd.r, rd.size, off)
	n, err := s.integer()
	g, gerr := s.integer()
	if err != nil || gerr != nil || s.expectKeyword("obj") != nil || (num != 0 && (n != int64(num) || g != int64(gen))) {
		return nil, 0, fmt.Errorf("%w: object %d %d is not at offset %d", errMisplaced, num, gen, off)
	}
	o, err := s.object(0)
	if err != nil {
		return nil, 0, fmt.Errorf("object %d: %w", n, err)
	}
	if d, ok := o.(Dict); ok {
		s.skipSpace()
		save := s.pos
		if s.keyword() == "stream" {
			st, err := rd.streamAt(s, d)
			return st, uint32(n), err
		}
		s.pos = save
	}
	return o, uint32(n), nil
}

// streamAt reads the data of a stream whose keyword "stream" was just read. A
// /Length that does not end at "endstream" is replaced by a search for it, as
// viewers do.
func (rd *Reader) streamAt(s *scanner, d Dict) (*Stream, error) {
	if c, _ := s.peek(); c == '\r' {
		s.pos++
	}
	if c, _ := s.peek(); c == '\n' {
		s.pos++
	}
	start := s.pos
	length, ok := rd.Resolve(d["Length"]).(int64)
	if ok && length >= 0 && start+length <= rd.size && rd.endstreamAt(start+length) {
		return &Stream{Dict: d, Offset: start, Length: length}, nil
	}
	end, err := rd.findEndstream(start)
	if err != nil {
		return nil, err
	}
	return &Stream{Dict: d, Offset: start, Length: end - start}, nil
}

func (rd *Reader) endstreamAt(off int64) bool {
	s := newScanner(rd.r, rd.size, off)
	s.skipSpace()
	return s.keyword() == "endstream"
}

// findEndstream finds the first "endstream" after start and returns where the
// data ends (before the end-of-line that precedes the keyword).
func (rd *Reader) findEndstream(start int64) (int64, error) {
	const marker = "endstream"
	buf := make([]byte, 64<<10)
	for off := start; off < rd.size; off += int64(len(buf) - len(marker)) {
		n, _ := rd.r.ReadAt(buf, off)
		if i := bytes.Index(buf[:n], []byte(marker)); i >= 0 {
			end := off + int64(i)
			data := buf[:i]
			switch {
			case bytes.HasSuffix(data, []byte("\r\n")):
				end -= 2
			case bytes.HasSuffix(data, []byte("\n")), bytes.HasSuffix(data, []byte("\r")):
				end--
			}
			return max(end, start), nil
		}
		if n < len(buf) {
			break
		}
	}
	return 0, fmt.Errorf("%w: stream at offset %d has no endstream", errSyntax, start)
}

// RawData returns the stream's bytes as stored (still encoded).
func (rd *Reader) RawData(st *Stream) ([]byte, error) {
	if st.Length > maxStreamBytes {
		return nil, fmt.Errorf("pdfread: stream of %d bytes is larger than %d", st.Length, maxStreamBytes)
	}
	buf := make([]byte, st.Length)
	if _, err := rd.r.ReadAt(buf, st.Offset); err != nil && !(err == io.EOF && st.Offset+st.Length <= rd.size) {
		return nil, fmt.Errorf("pdfread: read stream: %w", err)
	}
	return buf, nil
}

// Data returns the stream's decoded bytes.
func (rd *Reader) Data(st *Stream) ([]byte, error) {
	raw, err := rd.RawData(st)
	if err != nil {
		return nil, err
	}
	return decode(raw, rd.Resolve(st.Dict["Filter"]), rd.Resolve(st.Dict["DecodeParms"]), rd.Resolve)
}
