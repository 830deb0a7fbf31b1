package axis

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// getEdoc answers carry a whole package as base64 inside JSON (axis.md §6), tens
// of MB. readEdocReply decodes the data string straight to the caller's writer as
// it arrives and keeps only the other, small fields, whatever their order.

const maxFieldBytes = 1 << 20 // any answer field but data

var errBadJSON = errors.New("axis: the answer is not a JSON object")

// readEdocReply reads a getEdoc answer from r, writing the decoded package to w.
// found tells whether the answer had a data string.
func readEdocReply(r io.Reader, w io.Writer) (rep reply, found bool, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if c, err := nextByte(br); err != nil || c != '{' {
		return reply{}, false, errBadJSON
	}
	fields := map[string]json.RawMessage{}
	for {
		c, err := nextByte(br)
		switch {
		case err != nil:
			return reply{}, false, errBadJSON
		case c == ',':
			continue
		case c == '}':
			all, _ := json.Marshal(fields) // raw values that were read as JSON
			err := json.Unmarshal(all, &rep)
			return rep, found, err
		}
		key, value, err := readField(br, c, w)
		if err != nil {
			return reply{}, false, err
		}
		if value == nil {
			found = true
		} else {
			fields[key] = value
		}
	}
}

// readField reads one member of the object whose key's first byte was first: a
// data string is decoded to w (and its value is nil), any other value kept raw.
func readField(br *bufio.Reader, first byte, w io.Writer) (string, json.RawMessage, error) {
	key, err := readKey(br, first)
	if err != nil {
		return "", nil, err
	}
	if c, err := nextByte(br); err != nil || c != ':' {
		return "", nil, errBadJSON
	}
	c, err := nextByte(br)
	if err != nil {
		return "", nil, errBadJSON
	}
	if !strings.EqualFold(key, "data") || c != '"' {
		value, err := readValue(br, c)
		return key, value, err
	}
	if _, err := io.Copy(w, base64.NewDecoder(base64.StdEncoding, &stringReader{br: br})); err != nil {
		return "", nil, fmt.Errorf("axis: unable to decode the package: %w", err)
	}
	return key, nil, nil
}

// nextByte is the next byte that is not JSON whitespace.
func nextByte(br *bufio.Reader) (byte, error) {
	for {
		c, err := br.ReadByte()
		if err != nil || !strings.ContainsRune(" \t\r\n", rune(c)) {
			return c, err
		}
	}
}

// readKey reads an object key whose opening quote was first.
func readKey(br *bufio.Reader, first byte) (string, error) {
	if first != '"' {
		return "", errBadJSON
	}
	b, err := io.ReadAll(io.LimitReader(&stringReader{br: br}, maxFieldBytes))
	return string(b), err
}

// readValue reads one JSON value that starts with first, as raw JSON.
func readValue(br *bufio.Reader, first byte) (json.RawMessage, error) {
	var b strings.Builder
	b.WriteByte(first)
	depth, inString, escaped := 0, first == '"', false
	if first == '{' || first == '[' {
		depth = 1
	}
	for depth > 0 || inString || !endsScalar(br) {
		c, err := br.ReadByte()
		if err != nil || b.Len() > maxFieldBytes {
			return nil, errBadJSON
		}
		b.WriteByte(c)
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case !inString && (c == '{' || c == '['):
			depth++
		case !inString && (c == '}' || c == ']'):
			depth--
		}
		if depth == 0 && !inString && (c == '"' || c == '}' || c == ']') {
			break
		}
	}
	return json.RawMessage(b.String()), nil
}

// endsScalar tells whether the next byte ends a number or literal.
func endsScalar(br *bufio.Reader) bool {
	next, err := br.Peek(1)
	return err != nil || strings.ContainsRune(",}] \t\r\n", rune(next[0]))
}

// stringReader reads the content of a JSON string whose opening quote was read,
// unescaping it (\/ as Java's JSON writes it, \r\n of wrapped base64), and ends
// at the closing quote.
type stringReader struct {
	br      *bufio.Reader
	pending []byte // an unescaped character that did not fit the last Read
	done    bool
}

func (s *stringReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && (len(s.pending) > 0 || !s.done) {
		if len(s.pending) > 0 {
			c := copy(p[n:], s.pending)
			s.pending, n = s.pending[c:], n+c
			continue
		}
		c, err := s.br.ReadByte()
		if err != nil {
			return n, io.ErrUnexpectedEOF
		}
		switch c {
		case '"':
			s.done = true
		case '\\':
			if s.pending, err = s.unescape(); err != nil {
				return n, err
			}
		default:
			p[n] = c
			n++
		}
	}
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

var escapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

// unescape reads an escape sequence after its backslash.
func (s *stringReader) unescape() ([]byte, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	if c != 'u' {
		r, ok := escapes[c]
		if !ok {
			return nil, errBadJSON
		}
		return []byte{r}, nil
	}
	var hex [4]byte
	if _, err := io.ReadFull(s.br, hex[:]); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	code, err := strconv.ParseUint(string(hex[:]), 16, 16)
	if err != nil {
		return nil, errBadJSON
	}
	return utf8.AppendRune(nil, rune(code)), nil
}
