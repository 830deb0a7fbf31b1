package liaison

import (
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

const (
	xmlNamespace   = "http://www.w3.org/XML/1998/namespace"
	xmlnsPrefix    = "xmlns"
	defaultNSLocal = "xmlns"
)

// nsScope resolves namespace prefixes while raw tokens stream by: one map of
// declarations per open element.
type nsScope struct {
	frames []map[string]string // prefix -> URI declared on that element ("" = default)
}

// push records the declarations carried by a start tag.
func (s *nsScope) push(attrs []xml.Attr) {
	var decl map[string]string
	for _, a := range attrs {
		if p, ok := declaredPrefix(a); ok {
			if decl == nil {
				decl = make(map[string]string, 2)
			}
			decl[p] = a.Value
		}
	}
	s.frames = append(s.frames, decl)
}

func (s *nsScope) pop() { s.frames = s.frames[:len(s.frames)-1] }

// lookup returns the URI bound to prefix; ok is false for an undeclared prefix.
func (s *nsScope) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return xmlNamespace, true
	}
	for i := len(s.frames) - 1; i >= 0; i-- {
		if uri, ok := s.frames[i][prefix]; ok {
			return uri, true
		}
	}
	return "", prefix == ""
}

// declaredPrefix tells whether a is a namespace declaration and for which prefix.
func declaredPrefix(a xml.Attr) (string, bool) {
	switch {
	case a.Name.Space == xmlnsPrefix:
		return a.Name.Local, true
	case a.Name.Space == "" && a.Name.Local == defaultNSLocal:
		return "", true
	}
	return "", false
}

// canonicalizer writes the Exclusive XML Canonicalization (without comments, no
// InclusiveNamespaces) of a stream of raw tokens, resolving prefixes with a shared
// nsScope. It renders a namespace declaration only where it is visibly utilised and
// not already rendered with the same value by an output ancestor.
type canonicalizer struct {
	w        io.Writer
	scope    *nsScope
	rendered []map[string]string
	depth    int
	seenRoot bool
}

func newCanonicalizer(w io.Writer, scope *nsScope) *canonicalizer {
	return &canonicalizer{w: w, scope: scope}
}

// start writes a start tag; the scope must already include its declarations.
func (c *canonicalizer) start(el xml.StartElement) error {
	parent := map[string]string{}
	if n := len(c.rendered); n > 0 {
		parent = c.rendered[n-1]
	}
	mine := parent
	var decls []string
	used := append([]string{el.Name.Space}, attrPrefixes(el.Attr)...)
	for _, p := range used {
		uri, ok := c.scope.lookup(p)
		if !ok {
			return fmt.Errorf("namespace prefix %q is not declared", p)
		}
		if p == "xml" || parent[p] == uri || contains(decls, p) {
			continue
		}
		if p != "" && uri == "" {
			return fmt.Errorf("namespace prefix %q is bound to an empty URI", p)
		}
		if len(decls) == 0 {
			mine = cloneMap(parent)
		}
		mine[p] = uri
		decls = append(decls, p)
	}
	sort.Strings(decls)
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(qname(el.Name))
	for _, p := range decls {
		if p == "" {
			b.WriteString(` xmlns="`)
		} else {
			b.WriteString(` xmlns:` + p + `="`)
		}
		escapeAttr(&b, mine[p])
		b.WriteByte('"')
	}
	attrs, err := c.sortedAttrs(el.Attr)
	if err != nil {
		return err
	}
	for _, a := range attrs {
		b.WriteString(" " + qname(a.Name) + `="`)
		escapeAttr(&b, a.Value)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	c.rendered = append(c.rendered, mine)
	c.depth++
	c.seenRoot = true
	_, err = io.WriteString(c.w, b.String())
	return err
}

func (c *canonicalizer) end(name xml.Name) error {
	c.rendered = c.rendered[:len(c.rendered)-1]
	c.depth--
	_, err := io.WriteString(c.w, "</"+qname(name)+">")
	return err
}

// text writes character data; outside the document element it is dropped.
func (c *canonicalizer) text(data []byte) error {
	if c.depth == 0 {
		return nil
	}
	var b strings.Builder
	escapeText(&b, data)
	_, err := io.WriteString(c.w, b.String())
	return err
}

// procInst writes a processing instruction (the XML declaration is not one).
func (c *canonicalizer) procInst(pi xml.ProcInst) error {
	s := "<?" + pi.Target
	if len(pi.Inst) > 0 {
		s += " " + string(pi.Inst)
	}
	s += "?>"
	switch {
	case c.depth > 0:
	case c.seenRoot:
		s = "\n" + s
	default:
		s += "\n"
	}
	_, err := io.WriteString(c.w, s)
	return err
}

type sortableAttr struct {
	xml.Attr
	uri string
}

// sortedAttrs drops namespace declarations and orders the rest by (URI, local name).
func (c *canonicalizer) sortedAttrs(attrs []xml.Attr) ([]sortableAttr, error) {
	var out []sortableAttr
	for _, a := range attrs {
		if _, isDecl := declaredPrefix(a); isDecl {
			continue
		}
		uri := ""
		if a.Name.Space != "" {
			var ok bool
			if uri, ok = c.scope.lookup(a.Name.Space); !ok {
				return nil, fmt.Errorf("namespace prefix %q is not declared", a.Name.Space)
			}
		}
		out = append(out, sortableAttr{a, uri})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].uri != out[j].uri {
			return out[i].uri < out[j].uri
		}
		return out[i].Name.Local < out[j].Name.Local
	})
	return out, nil
}

func attrPrefixes(attrs []xml.Attr) []string {
	var out []string
	for _, a := range attrs {
		if _, isDecl := declaredPrefix(a); !isDecl && a.Name.Space != "" {
			out = append(out, a.Name.Space)
		}
	}
	return out
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func cloneMap(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func escapeText(b *strings.Builder, data []byte) {
	for _, r := range string(data) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteRune(r)
		}
	}
}

// escapeAttr escapes an attribute value; literal tabs and line breaks were turned
// into spaces by attribute-value normalisation, as a validating parser does.
func escapeAttr(b *strings.Builder, v string) {
	for _, r := range v {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		case '\t', '\n', '\r':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
}
