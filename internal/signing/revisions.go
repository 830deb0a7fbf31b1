package signing

import (
	"bytes"
	"fmt"
	"io"
)

// revision is where one revision of the file ends: right after its %%EOF marker,
// and after the end-of-line that follows it.
type revision struct {
	eof, eol int64
}

// revisionEnds finds every %%EOF marker of the file, in order.
func revisionEnds(doc Document) ([]revision, error) {
	const marker = "%%EOF"
	var revs []revision
	buf := make([]byte, 1<<16+len(marker)+2)
	for off := int64(0); off < doc.size; off += 1 << 16 {
		n, err := doc.r.ReadAt(buf, off)
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("signing: read input: %w", err)
		}
		chunk := buf[:n]
		for i := 0; ; {
			j := bytes.Index(chunk[i:], []byte(marker))
			if j < 0 || i+j >= 1<<16 {
				break
			}
			pos := int64(i+j) + off + int64(len(marker))
			revs = append(revs, revision{eof: pos, eol: pos + eolLength(chunk[i+j+len(marker):])})
			i += j + len(marker)
		}
	}
	return revs, nil
}

func eolLength(b []byte) int64 {
	switch {
	case bytes.HasPrefix(b, []byte("\r\n")):
		return 2
	case bytes.HasPrefix(b, []byte("\n")), bytes.HasPrefix(b, []byte("\r")):
		return 1
	}
	return 0
}

// revisionIndex is the 1-based number of the revision that ends at end, 0 if none.
func revisionIndex(revs []revision, end int64) int {
	for i, r := range revs {
		if end == r.eof || end == r.eol {
			return i + 1
		}
	}
	return 0
}
