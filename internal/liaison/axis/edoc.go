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
		if err != nil {
			return reply{}, false, errBadJSON
		}
		if c == '}' {
			break
		}
		if c == ',' {
			continue
		}
		key, err := readKey(br, c)
		if err != nil {
			return reply{}, false, err
		}
		if c, err := nextByte(br); err != nil || c != ':' {
			return reply{}, false, errBadJSON
		}
		c, err = nextByte(br)
		if err != nil {
			return reply{}, false, errBadJSON
		}
		if strings.EqualFold(key, "data") && c == '"' {
			if _, err := io.Copy(w, base64.NewDecoder(base64.StdEncoding, &stringReader{br: br})); err != nil {
				return reply{}, false, fmt.Errorf("axis: unable to decode the package: %w", err)
			}
			found = true
			continue
		}
		raw, err := readValue(br, c)
		if err != nil {
			return reply{}, false, err
		}
		fields[key] = raw
	}
	all, _ := json.Marshal(fields) // raw values that were read as JSON
	if err := json.Unmarshal(all, &rep); err != nil {
		return reply{}, false, fmt.Errorf("axis: unreadable answer: %w", err)
	}
	return rep, found, nil
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
	br   *bufio.Reader
	done bool
}

func (s *stringReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p)-utf8.UTFMax && !s.done {
		c, err := s.br.ReadByte()
		if err != nil {
			return n, io.ErrUnexpectedEOF
		}
		switch c {
		case '"':
			s.done = true
		case '\\':
			w, err := s.unescape(p[n:])
			if err != nil {
				return n, err
			}
			n += w
		default:
			p[n] = c
			n++
		}
	}
	if n == 0 && s.done {
		return 0, io.EOF
	}
	return n, nil
}

var escapes = map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}

func (s *stringReader) unescape(p []byte) (int, error) {
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	if c != 'u' {
		r, ok := escapes[c]
		if !ok {
			return 0, errBadJSON
		}
		p[0] = r
		return 1, nil
	}
	var hex [4]byte
	if _, err := io.ReadFull(s.br, hex[:]); err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	code, err := strconv.ParseUint(string(hex[:]), 16, 16)
	if err != nil {
		return 0, errBadJSON
	}
	return utf8.EncodeRune(p, rune(code)), nil
}
