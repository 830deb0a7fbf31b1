package liaison

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
)

// source hands the XML decoder one byte at a time, so that the decoder never reads
// ahead: when it returns the start tag of a ContentTransferEncoded element, the next
// unread byte is the first byte of the base64 payload, which pumpPayload then moves
// in large chunks straight to the digest and the base64 decoder.
type source struct {
	br        *bufio.Reader
	xmlBytes  int64 // bytes given to the XML decoder (everything but payloads)
	maxXML    int64
	total     int64
	maxTotal  int64
	overLimit error
	last      [2]byte // the last two bytes given to the decoder
	skipped   int64   // a byte-order mark skipped before the decoder's first byte
}

// utf8BOM is the byte-order mark .NET producers write before the XML declaration.
var utf8BOM = []byte("\xef\xbb\xbf")

// skipBOM drops a leading UTF-8 byte-order mark, which encoding/xml refuses, and
// tells whether there was one.
func (s *source) skipBOM() bool {
	head, _ := s.br.Peek(len(utf8BOM))
	if !bytes.Equal(head, utf8BOM) {
		return false
	}
	s.br.Discard(len(utf8BOM))
	s.skipped = int64(len(utf8BOM))
	s.total += s.skipped
	return true
}

// selfClosed tells whether the decoder's last token was an empty-element tag (<a/>).
func (s *source) selfClosed() bool { return s.last == [2]byte{'/', '>'} }

func newSource(r io.Reader, limits Limits) *source {
	return &source{br: bufio.NewReaderSize(r, 256<<10), maxXML: limits.MaxHeaderBytes, maxTotal: limits.MaxPackageBytes}
}

var errSourceLimit = errors.New("size limit exceeded")

// ReadByte implements io.ByteReader for encoding/xml.
func (s *source) ReadByte() (byte, error) {
	if s.xmlBytes >= s.maxXML {
		s.overLimit = fmt.Errorf("markup and text outside attachments exceed %d bytes", s.maxXML)
		return 0, errSourceLimit
	}
	b, err := s.br.ReadByte()
	if err == nil {
		s.xmlBytes++
		s.total++
		s.last = [2]byte{s.last[1], b}
	}
	return b, err
}

// Read implements io.Reader one byte at a time, for the same reason.
func (s *source) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := s.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

// pumpPayload passes the raw payload text, up to the next '<', to text (the digest,
// which receives it with line ends normalised as an XML parser would) and to decode.
func (s *source) pumpPayload(text io.Writer, decode *base64Stream) error {
	normalizer := lineEnds{}
	for {
		if s.br.Buffered() == 0 {
			if _, err := s.br.Peek(1); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return err
			}
		}
		chunk, _ := s.br.Peek(s.br.Buffered())
		end := bytes.IndexByte(chunk, '<')
		if end >= 0 {
			chunk = chunk[:end]
		}
		s.total += int64(len(chunk))
		if s.total > s.maxTotal {
			return fmt.Errorf("%w: package exceeds %d bytes", errSourceLimit, s.maxTotal)
		}
		if err := normalizer.write(text, chunk); err != nil {
			return err
		}
		if err := decode.write(chunk); err != nil {
			return err
		}
		if _, err := s.br.Discard(len(chunk)); err != nil {
			return err
		}
		if end >= 0 {
			return normalizer.flush(text)
		}
	}
}

// lineEnds normalises CR LF and lone CR to LF, as an XML parser does, across chunks.
type lineEnds struct{ pendingCR bool }

func (n *lineEnds) write(w io.Writer, chunk []byte) error {
	if !n.pendingCR && bytes.IndexByte(chunk, '\r') < 0 {
		_, err := w.Write(chunk)
		return err
	}
	out := make([]byte, 0, len(chunk)+1)
	for _, c := range chunk {
		if n.pendingCR {
			out = append(out, '\n')
			n.pendingCR = false
			if c == '\n' {
				continue
			}
		}
		if c == '\r' {
			n.pendingCR = true
			continue
		}
		out = append(out, c)
	}
	_, err := w.Write(out)
	return err
}

func (n *lineEnds) flush(w io.Writer) error {
	if !n.pendingCR {
		return nil
	}
	n.pendingCR = false
	_, err := w.Write([]byte{'\n'})
	return err
}

// base64Stream decodes standard base64 written in arbitrary chunks, ignoring XML
// whitespace, and writes the bytes to out. Chunks without whitespace (the usual
// single-line payload, found with vectorised byte searches) are decoded in place;
// others are first compacted.
type base64Stream struct {
	out     io.Writer
	clean   []byte // significant characters not yet decoded
	decoded []byte
	offset  int64 // significant characters decoded so far, for error messages
	padded  bool  // a quantum with '=' was decoded: nothing may follow
}

func newBase64Stream(out io.Writer) *base64Stream {
	return &base64Stream{out: out, clean: make([]byte, 0, 64<<10)}
}

func (d *base64Stream) write(chunk []byte) error {
	if hasXMLSpace(chunk) {
		return d.writeCompacted(chunk)
	}
	for len(d.clean) > 0 && len(chunk) > 0 { // complete the carried partial quantum
		d.clean = append(d.clean, chunk[0])
		chunk = chunk[1:]
		if len(d.clean) == 4 {
			if err := d.decodeBlock(d.clean); err != nil {
				return err
			}
			d.clean = d.clean[:0]
		}
	}
	n := len(chunk) &^ 3
	if n > 0 {
		if err := d.decodeBlock(chunk[:n]); err != nil {
			return err
		}
	}
	d.clean = append(d.clean, chunk[n:]...)
	return nil
}

func hasXMLSpace(chunk []byte) bool {
	return bytes.IndexByte(chunk, '\n') >= 0 || bytes.IndexByte(chunk, '\r') >= 0 ||
		bytes.IndexByte(chunk, ' ') >= 0 || bytes.IndexByte(chunk, '\t') >= 0
}

func (d *base64Stream) writeCompacted(chunk []byte) error {
	for len(chunk) > 0 {
		n := min(cap(d.clean)-len(d.clean), len(chunk))
		if err := d.appendSignificant(chunk[:n]); err != nil {
			return err
		}
		chunk = chunk[n:]
		whole := len(d.clean) &^ 3
		if whole == 0 {
			continue
		}
		if err := d.decodeBlock(d.clean[:whole]); err != nil {
			return err
		}
		d.clean = append(d.clean[:0], d.clean[whole:]...)
	}
	return nil
}

// appendSignificant copies the non-whitespace characters of chunk to d.clean.
func (d *base64Stream) appendSignificant(chunk []byte) error {
	for _, c := range chunk {
		if c <= ' ' {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("illegal character %q in base64 content near offset %d", c, d.offset+int64(len(d.clean)))
			}
			continue
		}
		d.clean = append(d.clean, c)
	}
	return nil
}

// decodeBlock decodes whole quanta and writes the bytes out.
func (d *base64Stream) decodeBlock(src []byte) error {
	if d.padded {
		return fmt.Errorf("base64 content continues after its padding at offset %d", d.offset)
	}
	if need := len(src) / 4 * 3; cap(d.decoded) < need {
		d.decoded = make([]byte, need)
	}
	m, err := base64.StdEncoding.Decode(d.decoded[:cap(d.decoded)], src)
	if err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return fmt.Errorf("illegal base64 data at offset %d", d.offset+int64(corrupt))
		}
		return err
	}
	d.padded = src[len(src)-1] == '='
	d.offset += int64(len(src))
	_, err = d.out.Write(d.decoded[:m])
	return err
}

// close decodes what is left, which must be whole quanta.
func (d *base64Stream) close() error {
	if len(d.clean)%4 != 0 {
		return fmt.Errorf("base64 content is truncated (%d characters, not a multiple of 4)", d.offset+int64(len(d.clean)))
	}
	if len(d.clean) == 0 {
		return nil
	}
	return d.decodeBlock(d.clean)
}

// asyncWriter performs the writes to w on its own goroutine, so that digesting the
// payload text, hashing and storing the decoded bytes and base64 decoding proceed in
// parallel. Write copies p into one of a few recycled buffers; the first error of w
// is returned by later Writes and by Close.
type asyncWriter struct {
	w       io.Writer
	work    chan []byte
	free    chan []byte
	done    chan struct{}
	failure atomic.Pointer[error]
	owned   []*[]byte // the buffers taken from asyncBuffers, given back by Close
}

// asyncBufferSize is the largest buffer an asyncWriter may ask for.
const asyncBufferSize = 256 << 10

// asyncBuffers recycles the asyncWriters' buffers across attachments and packages:
// allocating (and zeroing) them anew for every attachment cost more than reading it.
var asyncBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, asyncBufferSize)
	return &b
}}

func newAsyncWriter(w io.Writer, bufSize, depth int) *asyncWriter {
	a := &asyncWriter{w: w, work: make(chan []byte, depth), free: make(chan []byte, depth), done: make(chan struct{})}
	for range depth {
		b := asyncBuffers.Get().(*[]byte)
		a.owned = append(a.owned, b)
		a.free <- (*b)[:0:min(bufSize, asyncBufferSize)]
	}
	go a.loop()
	return a
}

func (a *asyncWriter) loop() {
	defer close(a.done)
	for buf := range a.work {
		if a.failure.Load() == nil {
			if _, err := a.w.Write(buf); err != nil {
				a.failure.Store(&err)
			}
		}
		a.free <- buf[:0]
	}
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if errp := a.failure.Load(); errp != nil {
			return 0, *errp
		}
		buf := <-a.free
		k := min(cap(buf), len(p))
		a.work <- append(buf, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Close waits for pending writes and returns the first error.
func (a *asyncWriter) Close() error {
	close(a.work)
	<-a.done
	for _, b := range a.owned {
		asyncBuffers.Put(b)
	}
	a.owned = nil
	if errp := a.failure.Load(); errp != nil {
		return *errp
	}
	return nil
}
