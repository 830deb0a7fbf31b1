package pdfread

import "fmt"

// Object is one PDF value: nil, bool, int64, float64, String, Name, Array, Dict,
// Ref or *Stream.
type Object any

// Name is a PDF name without its slash, with #xx escapes decoded.
type Name string

// String is the bytes of a PDF string (literal or hexadecimal), escapes decoded.
type String string

// Array is a PDF array.
type Array []Object

// Dict is a PDF dictionary.
type Dict map[Name]Object

// Ref is an indirect reference.
type Ref struct {
	Num uint32
	Gen uint16
}

func (r Ref) String() string { return fmt.Sprintf("%d %d R", r.Num, r.Gen) }

// Stream is a stream object: its dictionary and where its raw data lies.
type Stream struct {
	Dict   Dict
	Offset int64 // first byte of the data
	Length int64 // bytes of raw (encoded) data
}

// EntryType is the kind of a cross-reference entry.
type EntryType uint8

// Kinds of cross-reference entries.
const (
	Free       EntryType = iota // deleted or never used: the object is null
	InUse                       // at Offset in the file
	Compressed                  // object Index of object stream Stream
)

// Entry is where the cross-reference data says an object is.
type Entry struct {
	Type   EntryType
	Offset int64  // InUse: byte offset of "N G obj"
	Gen    uint16 // InUse and Free: generation number
	Stream uint32 // Compressed: number of the object stream
	Index  int    // Compressed: index inside the object stream
}
