package pdfread

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxDepth bounds the nesting of arrays and dictionaries.
const maxDepth = 100

var errSyntax = errors.New("pdfread: syntax error")

// scanner reads bytes at increasing positions of an io.ReaderAt through a
// small window, so that parsing one object never loads the whole file.
type scanner struct {
	r        io.ReaderAt
	size     int64
	pos      int64
	buf      []byte
	bufStart int64
}

func newScanner(r io.ReaderAt, size, pos int64) *scanner {
	return &scanner{r: r, size: size, pos: pos}
}

func (s *scanner) peek() (byte, bool) {
	if s.pos < 0 || s.pos >= s.size {
		return 0, false
	}
	if s.pos < s.bufStart || s.pos >= s.bufStart+int64(len(s.buf)) {
		// the window starts small (most reads are an object header or a short
		// dictionary) and doubles for long objects
		n := min(max(int64(256), 2*int64(len(s.buf))), 64<<10, s.size-s.pos)
		if cap(s.buf) < int(n) {
			s.buf = make([]byte, n)
		}
		s.buf = s.buf[:n]
		got, err := s.r.ReadAt(s.buf, s.pos)
		if got == 0 && err != nil {
			s.buf = s.buf[:0]
			return 0, false
		}
		s.buf, s.bufStart = s.buf[:got], s.pos
	}
	return s.buf[s.pos-s.bufStart], true
}

func (s *scanner) next() (byte, bool) {
	c, ok := s.peek()
	if ok {
		s.pos++
	}
	return c, ok
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	return bytes.IndexByte([]byte("()<>[]{}/%"), c) >= 0
}

// skipSpace skips white space and comments.
func (s *scanner) skipSpace() {
	for {
		c, ok := s.peek()
		switch {
		case !ok:
			return
		case isSpace(c):
			s.pos++
		case c == '%':
			for c != '\n' && c != '\r' && ok {
				c, ok = s.next()
			}
		default:
			return
		}
	}
}

// keyword reads a run of regular characters (a keyword or a number).
func (s *scanner) keyword() string {
	var b []byte
	for {
		c, ok := s.peek()
		if !ok || isSpace(c) || isDelim(c) || len(b) > 255 {
			return string(b)
		}
		b = append(b, c)
		s.pos++
	}
}

// expectKeyword skips space and reads the keyword want.
func (s *scanner) expectKeyword(want string) error {
	s.skipSpace()
	at := s.pos
	if got := s.keyword(); got != want {
		return fmt.Errorf("%w: %q expected at offset %d, found %q", errSyntax, want, at, got)
	}
	return nil
}

// integer reads an unsigned decimal integer token.
func (s *scanner) integer() (int64, error) {
	s.skipSpace()
	at := s.pos
	k := s.keyword()
	n, err := strconv.ParseInt(k, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: integer expected at offset %d, found %q", errSyntax, at, k)
	}
	return n, nil
}

// object reads one direct object or reference.
func (s *scanner) object(depth int) (Object, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("%w: objects nested more than %d deep", errSyntax, maxDepth)
	}
	s.skipSpace()
	c, ok := s.peek()
	if !ok {
		return nil, fmt.Errorf("%w: unexpected end of data", errSyntax)
	}
	switch {
	case c == '/':
		s.pos++
		return s.name(), nil
	case c == '(':
		s.pos++
		return s.literalString()
	case c == '<':
		s.pos++
		if c, _ := s.peek(); c == '<' {
			s.pos++
			return s.dict(depth)
		}
		return s.hexString()
	case c == '[':
		s.pos++
		return s.array(depth)
	}
	at := s.pos
	k := s.keyword()
	switch k {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	}
	return s.number(k, at)
}

// number parses k; an integer followed by "G R" is a reference.
func (s *scanner) number(k string, at int64) (Object, error) {
	if n, err := strconv.ParseInt(k, 10, 64); err == nil {
		if n >= 0 && n <= maxObjectNumber {
			if ref, ok := s.refTail(uint32(n)); ok {
				return ref, nil
			}
		}
		return n, nil
	}
	f, err := strconv.ParseFloat(k, 64)
	if err != nil || len(k) == 0 || (k[0] != '-' && k[0] != '+' && k[0] != '.' && (k[0] < '0' || k[0] > '9')) {
		return nil, fmt.Errorf("%w: unexpected %q at offset %d", errSyntax, k, at)
	}
	return f, nil
}

// refTail reads "G R" after an object number, restoring the position if absent.
func (s *scanner) refTail(num uint32) (Ref, bool) {
	save := s.pos
	s.skipSpace()
	gen, err := strconv.ParseUint(s.keyword(), 10, 16)
	if err == nil {
		s.skipSpace()
		if s.keyword() == "R" {
			return Ref{Num: num, Gen: uint16(gen)}, true
		}
	}
	s.pos = save
	return Ref{}, false
}

func hexValue(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (s *scanner) name() Name {
	var b []byte
	for {
		c, ok := s.peek()
		if !ok || isSpace(c) || isDelim(c) {
			return Name(b)
		}
		s.pos++
		if c == '#' {
			hi, ok1 := s.peek()
			h, okh := hexValue(hi)
			if ok1 && okh {
				s.pos++
				lo, _ := s.peek()
				if l, okl := hexValue(lo); okl {
					s.pos++
					c = h<<4 | l
				}
			}
		}
		b = append(b, c)
	}
}

func (s *scanner) literalString() (Object, error) {
	var b []byte
	for nest := 1; ; {
		c, ok := s.next()
		if !ok {
			return nil, fmt.Errorf("%w: unterminated string", errSyntax)
		}
		switch c {
		case '(':
			nest++
		case ')':
			if nest--; nest == 0 {
				return String(b), nil
			}
		case '\\':
			b = s.escape(b)
			continue
		case '\r':
			if n, _ := s.peek(); n == '\n' {
				s.pos++
			}
			c = '\n'
		}
		b = append(b, c)
	}
}

// escape decodes the escape sequence after a backslash of a literal string.
func (s *scanner) escape(b []byte) []byte {
	c, ok := s.next()
	if !ok {
		return b
	}
	switch c {
	case 'n':
		return append(b, '\n')
	case 'r':
		return append(b, '\r')
	case 't':
		return append(b, '\t')
	case 'b':
		return append(b, '\b')
	case 'f':
		return append(b, '\f')
	case '\r':
		if n, _ := s.peek(); n == '\n' {
			s.pos++
		}
		return b
	case '\n':
		return b
	}
	if c >= '0' && c <= '7' {
		v := c - '0'
		for i := 0; i < 2; i++ {
			d, ok := s.peek()
			if !ok || d < '0' || d > '7' {
				break
			}
			s.pos++
			v = v<<3 | (d - '0')
		}
		return append(b, v)
	}
	return append(b, c)
}

func (s *scanner) hexString() (Object, error) {
	var b []byte
	var hi byte
	half := false
	for {
		c, ok := s.next()
		if !ok {
			return nil, fmt.Errorf("%w: unterminated hex string", errSyntax)
		}
		if c == '>' {
			if half {
				b = append(b, hi<<4)
			}
			return String(b), nil
		}
		v, isHex := hexValue(c)
		switch {
		case isSpace(c):
		case !isHex:
			return nil, fmt.Errorf("%w: %q in a hex string", errSyntax, c)
		case half:
			b, half = append(b, hi<<4|v), false
		default:
			hi, half = v, true
		}
	}
}

func (s *scanner) array(depth int) (Object, error) {
	arr := Array{}
	for {
		s.skipSpace()
		c, ok := s.peek()
		if !ok {
			return nil, fmt.Errorf("%w: unterminated array", errSyntax)
		}
		if c == ']' {
			s.pos++
			return arr, nil
		}
		o, err := s.object(depth + 1)
		if err != nil {
			return nil, err
		}
		arr = append(arr, o)
	}
}

func (s *scanner) dict(depth int) (Object, error) {
	d := Dict{}
	for {
		s.skipSpace()
		c, ok := s.next()
		if !ok {
			return nil, fmt.Errorf("%w: unterminated dictionary", errSyntax)
		}
		if c == '>' {
			if c, _ := s.next(); c != '>' {
				return nil, fmt.Errorf("%w: '>' inside a dictionary", errSyntax)
			}
			return d, nil
		}
		if c != '/' {
			return nil, fmt.Errorf("%w: dictionary key expected at offset %d", errSyntax, s.pos-1)
		}
		key := s.name()
		v, err := s.object(depth + 1)
		if err != nil {
			return nil, err
		}
		if v != nil {
			d[key] = v // a null value is the same as an absent key
		}
	}
}
