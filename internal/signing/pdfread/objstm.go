package pdfread

import (
	"bytes"
	"fmt"
)

// objectStream is a decoded object stream: the numbers and offsets of its objects.
type objectStream struct {
	data  []byte
	first int64
	nums  []uint32
	offs  []int64
}

func (rd *Reader) objectStream(num uint32) (*objectStream, error) {
	if os, ok := rd.objStms[num]; ok {
		return os, nil
	}
	st, ok := rd.Object(num).(*Stream)
	if !ok || st.Dict["Type"] != Name("ObjStm") {
		return nil, fmt.Errorf("object %d is not an object stream", num)
	}
	data, err := rd.Data(st)
	if err != nil {
		return nil, fmt.Errorf("object stream %d: %w", num, err)
	}
	n, _ := rd.Resolve(st.Dict["N"]).(int64)
	first, _ := rd.Resolve(st.Dict["First"]).(int64)
	if n < 0 || first < 0 || first > int64(len(data)) {
		return nil, fmt.Errorf("object stream %d: bad /N or /First", num)
	}
	os := &objectStream{data: data, first: first}
	s := newScanner(bytes.NewReader(data), first, 0)
	for i := int64(0); i < n; i++ {
		objNum, err1 := s.integer()
		off, err2 := s.integer()
		if err1 != nil || err2 != nil || objNum > maxObjectNumber {
			break
		}
		os.nums, os.offs = append(os.nums, uint32(objNum)), append(os.offs, off)
	}
	rd.objStms[num] = os
	return os, nil
}

// compressedObject reads object num, the e.Index-th object of its stream.
func (rd *Reader) compressedObject(num uint32, e Entry) (Object, error) {
	os, err := rd.objectStream(e.Stream)
	if err != nil {
		return nil, err
	}
	if e.Index < 0 || e.Index >= len(os.nums) || os.nums[e.Index] != num {
		return nil, fmt.Errorf("object %d is not at index %d of object stream %d", num, e.Index, e.Stream)
	}
	s := newScanner(bytes.NewReader(os.data), int64(len(os.data)), os.first+os.offs[e.Index])
	return s.object(0)
}
