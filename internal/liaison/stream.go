package liaison

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
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
}

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
// which needs it with line ends normalised) and to decode.
func (s *source) pumpPayload(text io.Writer, decode *base64Stream) error {
	var normalizer lineEnds
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
// whitespace, and writes the bytes to out.
type base64Stream struct {
	out     io.Writer
	clean   []byte // significant characters not yet decoded (a partial quantum, then the chunk)
	decoded []byte
	offset  int64 // significant characters seen, for error messages
	padded  bool  // a quantum with '=' was decoded: nothing may follow
}

func newBase64Stream(out io.Writer) *base64Stream {
	return &base64Stream{out: out, clean: make([]byte, 0, 64<<10), decoded: make([]byte, 48<<10)}
}

func (d *base64Stream) write(chunk []byte) error {
	for len(chunk) > 0 {
		room := cap(d.clean) - len(d.clean)
		n := min(room, len(chunk))
		if err := d.appendSignificant(chunk[:n]); err != nil {
			return err
		}
		chunk = chunk[n:]
		if err := d.decodeQuanta(false); err != nil {
			return err
		}
	}
	return nil
}

// appendSignificant copies the non-whitespace characters of chunk to d.clean.
func (d *base64Stream) appendSignificant(chunk []byte) error {
	for i, c := range chunk {
		if c <= ' ' {
			if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
				return fmt.Errorf("illegal character %q in base64 content at offset %d", c, d.offset+int64(i))
			}
			continue
		}
		d.clean = append(d.clean, c)
	}
	return nil
}

// decodeQuanta decodes the complete 4-character quanta of d.clean; final also
// requires that nothing is left over.
func (d *base64Stream) decodeQuanta(final bool) error {
	n := len(d.clean) &^ 3
	if final && n != len(d.clean) {
		return fmt.Errorf("base64 content is truncated (%d characters, not a multiple of 4)", d.offset+int64(len(d.clean)))
	}
	if n == 0 {
		return nil
	}
	if d.padded {
		return fmt.Errorf("base64 content continues after its padding at offset %d", d.offset)
	}
	if cap(d.decoded) < n/4*3 {
		d.decoded = make([]byte, n/4*3)
	}
	m, err := base64.StdEncoding.Decode(d.decoded, d.clean[:n])
	if err != nil {
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return fmt.Errorf("illegal base64 data at offset %d", d.offset+int64(corrupt))
		}
		return err
	}
	d.padded = d.clean[n-1] == '='
	if _, err := d.out.Write(d.decoded[:m]); err != nil {
		return err
	}
	d.offset += int64(n)
	d.clean = append(d.clean[:0], d.clean[n:]...)
	return nil
}

func (d *base64Stream) close() error { return d.decodeQuanta(true) }
