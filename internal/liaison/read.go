package liaison

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/beevik/etree"
)

// Limits bound what Read accepts; a package beyond them is refused, not truncated.
type Limits struct {
	MaxPackageBytes    int64 // the whole file
	MaxHeaderBytes     int64 // everything outside attachment payloads
	MaxDepth           int   // element nesting
	MaxAttachments     int
	MaxAttachmentBytes int64 // decoded size of one attachment
	// Zipped attachments are unpacked within these bounds; beyond them the package
	// is refused as a zip bomb.
	MaxArchiveEntries int   // files in all archives of a package
	MaxArchiveBytes   int64 // unpacked bytes of all archives of a package
	MaxArchiveRatio   int64 // unpacked size / compressed size of an entry (beyond 1 MB)
	MaxArchiveDepth   int   // archives inside archives
}

// DefaultLimits suits packages of a few hundred MB with ordinary headers.
func DefaultLimits() Limits {
	return Limits{
		MaxPackageBytes:    2 << 30,
		MaxHeaderBytes:     8 << 20,
		MaxDepth:           32,
		MaxAttachments:     200,
		MaxAttachmentBytes: 1 << 30,
		MaxArchiveEntries:  1000,
		MaxArchiveBytes:    1 << 30,
		MaxArchiveRatio:    100,
		MaxArchiveDepth:    3,
	}
}

// orDefaults replaces the zero fields of l by the defaults.
func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	return Limits{
		MaxPackageBytes:    cmp.Or(l.MaxPackageBytes, d.MaxPackageBytes),
		MaxHeaderBytes:     cmp.Or(l.MaxHeaderBytes, d.MaxHeaderBytes),
		MaxDepth:           cmp.Or(l.MaxDepth, d.MaxDepth),
		MaxAttachments:     cmp.Or(l.MaxAttachments, d.MaxAttachments),
		MaxAttachmentBytes: cmp.Or(l.MaxAttachmentBytes, d.MaxAttachmentBytes),
		MaxArchiveEntries:  cmp.Or(l.MaxArchiveEntries, d.MaxArchiveEntries),
		MaxArchiveBytes:    cmp.Or(l.MaxArchiveBytes, d.MaxArchiveBytes),
		MaxArchiveRatio:    cmp.Or(l.MaxArchiveRatio, d.MaxArchiveRatio),
		MaxArchiveDepth:    cmp.Or(l.MaxArchiveDepth, d.MaxArchiveDepth),
	}
}

// Options configure Read.
type Options struct {
	Limits Limits         // zero value: DefaultLimits
	Sink   AttachmentSink // nil: DiscardSink (attachments measured, not kept)
	// Roots are the trust anchors for signature verification. Without them an intact
	// signature is reported as SignatureUntrusted, never as verified.
	Roots *x509.CertPool
	// RequireSignature refuses packages whose signature is not verified.
	RequireSignature bool
	// Now is the time at which certificates must be valid (default time.Now).
	Now func() time.Time
}

// Read parses, validates and (when signed) verifies a package in one pass, streaming
// attachment bytes to opts.Sink. On any error the sink is told to Discard. A package
// that parsed but broke validation or signature rules is returned with the error,
// so that callers can still show what it contains.
func Read(r io.Reader, opts Options) (*Package, error) {
	opts.Limits = opts.Limits.orDefaults()
	if opts.Sink == nil {
		opts.Sink = DiscardSink{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	pkg, _, err := readStream(r, opts)
	if err != nil {
		if derr := opts.Sink.Discard(); derr != nil {
			err = errors.Join(err, fmt.Errorf("discarding stored attachments: %w", derr))
		}
	}
	return pkg, err
}

// readStream is Read without the sink clean-up; it also returns the stream state.
func readStream(r io.Reader, opts Options) (*Package, *streamReader, error) {
	sr := newStreamReader(r, opts)
	if err := sr.run(); err != nil {
		return nil, nil, err
	}
	pkg, err := decodePackage(sr.doc.Root(), &sr.warnings)
	if err != nil {
		return nil, nil, err
	}
	pkg.Attachments = sr.attachments
	pkg.Signature = sr.verifySignature(opts)
	if pkg.Signature.Weak && pkg.Signature.State != SignatureInvalid {
		sr.warnings.warn(elementPath(sr.sig.element), RuleSignature, "the signature uses SHA-1 (%s), which is weak: it was verified, but ask the sender to sign with SHA-256", pkg.Signature.Algorithm)
	}
	resolveContent(pkg, &sr.warnings)
	if bySeverityCount(sr.warnings, Violation) == 0 {
		if err := unpackArchives(pkg, opts.Sink, opts.Limits, &sr.warnings); err != nil {
			return nil, nil, err
		}
	}
	found := append(sr.warnings, Validate(pkg)...)
	pkg.Warnings = bySeverity(found, Warning)
	if err := pkg.Signature.requireValid(opts.RequireSignature); err != nil {
		return pkg, sr, err // a broken signature matters more than broken fields
	}
	if v := bySeverity(found, Violation); len(v) > 0 {
		return pkg, sr, &InvalidError{Issues: v}
	}
	return pkg, sr, nil
}

// frame is one open element of the stream.
type frame struct {
	name       xml.Name // raw: Space is the prefix
	uri        string
	el         *etree.Element
	path       string
	siblings   map[string]int // occurrences of each child local name so far
	excluded   bool           // inside the enveloped signature: not digested
	signedInfo bool           // inside ds:SignedInfo: canonicalised on its own
	payload    bool           // a ContentTransferEncoded whose payload was pumped
	line       int            // where its start tag ends
}

// streamReader runs the single pass: tokens from encoding/xml (raw, namespaces
// resolved here), a DOM of everything but attachment payloads, the exclusive-c14n
// digest of the whole document minus the signature, and payloads pumped to the sink.
type streamReader struct {
	src    *source
	dec    *xml.Decoder
	opts   Options
	scope  nsScope
	stack  []*frame
	doc    *etree.Document
	digest *documentHash
	digBuf *bufio.Writer
	canon  *canonicalizer

	rootClosed     bool
	tokenStart     int64 // input offset of the token being handled
	headerEnd      int64 // file offset of </edXMLHeader>, where a signature goes
	attachments    []Attachment
	current        *Attachment    // the Attachment element being read
	currentEl      *etree.Element // its DOM element
	currentPayload bool           // its ContentTransferEncoded was read
	sig            signatureCapture
	warnings       issues
}

func newStreamReader(r io.Reader, opts Options) *streamReader {
	sr := &streamReader{src: newSource(r, opts.Limits), opts: opts, doc: etree.NewDocument(), digest: newDocumentHash()}
	sr.dec = xml.NewDecoder(sr.src)
	sr.dec.Strict = true
	sr.digBuf = bufio.NewWriterSize(sr.digest, 32<<10)
	sr.canon = newCanonicalizer(sr.digBuf, &sr.scope)
	return sr
}

func (sr *streamReader) run() error {
	if sr.src.skipBOM() {
		sr.warnings.warn("/edXML", RuleLenient, "the file starts with a UTF-8 byte-order mark, which was skipped")
	}
	for {
		sr.tokenStart = sr.dec.InputOffset()
		tok, err := sr.dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return sr.tokenError(err)
		}
		if err := sr.handle(tok); err != nil {
			return err
		}
	}
	if len(sr.stack) > 0 {
		return sr.fail(RuleXML, fmt.Errorf("the file ends before the element <%s> opened on line %d is closed", qname(sr.top().name), sr.top().line))
	}
	if sr.doc.Root() == nil {
		return sr.fail(RuleXML, errors.New("no document element"))
	}
	if err := sr.digBuf.Flush(); err != nil {
		return err
	}
	sr.sig.documentDigest = sr.digest.sha256.Sum(nil)
	if sr.digest.sha1 != nil {
		sr.sig.documentSHA1 = sr.digest.sha1.Sum(nil)
	}
	return nil
}

func (sr *streamReader) tokenError(err error) error {
	if errors.Is(err, errSourceLimit) {
		return sr.fail(RuleLimit, sr.src.overLimit)
	}
	return sr.fail(RuleXML, err)
}

func (sr *streamReader) handle(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		return sr.startElement(t)
	case xml.EndElement:
		return sr.endElement(t)
	case xml.CharData:
		return sr.charData(t)
	case xml.ProcInst:
		return sr.procInst(t)
	case xml.Directive:
		return sr.fail(RuleNoDTD, errors.New("DOCTYPE and other markup declarations are refused (no DTD, no entities)"))
	}
	return nil // comments are neither digested nor kept
}

// fail returns a located error for the current position.
func (sr *streamReader) fail(rule string, err error) error {
	line, _ := sr.dec.InputPos()
	return &Error{Path: sr.path(), Line: line, Rule: rule, Err: err}
}

func (sr *streamReader) path() string {
	if len(sr.stack) == 0 {
		return ""
	}
	return sr.top().path
}

func (sr *streamReader) top() *frame { return sr.stack[len(sr.stack)-1] }

func (sr *streamReader) parent(up int) *frame {
	if len(sr.stack) <= up {
		return nil
	}
	return sr.stack[len(sr.stack)-1-up]
}

func (sr *streamReader) startElement(t xml.StartElement) error {
	if sr.rootClosed {
		return sr.fail(RuleXML, fmt.Errorf("element <%s> after the document element", qname(t.Name)))
	}
	if len(sr.stack) >= sr.opts.Limits.MaxDepth {
		return sr.fail(RuleLimit, fmt.Errorf("elements nested deeper than %d", sr.opts.Limits.MaxDepth))
	}
	if err := checkDuplicateAttrs(t.Attr); err != nil {
		return sr.fail(RuleXML, err)
	}
	sr.scope.push(t.Attr)
	f, err := sr.newFrame(t)
	if err != nil {
		sr.scope.pop()
		located := sr.fail(RuleNamespace, err).(*Error)
		located.Path += "/" + t.Name.Local
		return located
	}
	sr.stack = append(sr.stack, f)
	if err := sr.classify(f); err != nil {
		return err
	}
	if err := sr.canonicalize(f, func(c *canonicalizer) error { return c.start(t) }); err != nil {
		return sr.fail(RuleNamespace, err)
	}
	if f.uri == Namespace && f.name.Local == "ContentTransferEncoded" && sr.current != nil && sr.parent(1).el == sr.currentEl {
		return sr.pump(f)
	}
	return nil
}

// newFrame resolves the element's namespace, computes its path and adds it to the DOM.
func (sr *streamReader) newFrame(t xml.StartElement) (*frame, error) {
	uri, ok := sr.scope.lookup(t.Name.Space)
	if !ok {
		return nil, fmt.Errorf("namespace prefix %q of <%s> is not declared", t.Name.Space, qname(t.Name))
	}
	el := etree.NewElement(t.Name.Local)
	el.Space = t.Name.Space
	for _, a := range t.Attr {
		el.Attr = append(el.Attr, etree.Attr{Space: a.Name.Space, Key: a.Name.Local, Value: a.Value})
	}
	line, _ := sr.dec.InputPos()
	f := &frame{name: t.Name, uri: uri, el: el, siblings: map[string]int{}, line: line}
	parent := sr.parent(0)
	if parent == nil {
		if uri != Namespace || t.Name.Local != "edXML" {
			return nil, fmt.Errorf("document element is {%s}%s, want {%s}edXML", uri, t.Name.Local, Namespace)
		}
		f.path = "/edXML"
		sr.doc.SetRoot(el)
		return f, nil
	}
	parent.siblings[t.Name.Local]++
	f.path = parent.path + "/" + stepName(t.Name.Local, parent.siblings[t.Name.Local])
	f.excluded = parent.excluded
	f.signedInfo = parent.signedInfo
	parent.el.AddChild(el)
	return f, nil
}

func stepName(local string, n int) string {
	if n > 1 {
		return local + "[" + strconv.Itoa(n) + "]"
	}
	return local
}

// classify spots the XML-DSig signature, its SignedInfo and the attachments.
func (sr *streamReader) classify(f *frame) error {
	parent := sr.parent(1)
	switch {
	case f.uri == dsigNamespace && f.name.Local == "Signature":
		if sr.sig.element != nil || (parent.path != headerPath && parent.path != headerPath+"/DigitalSignature") {
			return sr.fail(RuleSignature, errors.New("an XML-DSig Signature is accepted only once, as a child of edXMLHeader (or of its DigitalSignature)"))
		}
		f.excluded = true
		sr.sig.element = f.el
	case f.uri == dsigNamespace && f.name.Local == "SignedInfo" && parent.el == sr.sig.element:
		if sr.sig.signedInfoCanon != nil {
			return sr.fail(RuleSignature, errors.New("more than one SignedInfo"))
		}
		f.signedInfo = true
		sr.sig.signedInfoCanon = newCanonicalizer(&sr.sig.signedInfo, &sr.scope)
	case f.uri == Namespace && f.name.Local == "Attachment" && parent.uri == Namespace && parent.name.Local == "AttachmentEncoded" && len(sr.stack) == 3:
		if len(sr.attachments) >= sr.opts.Limits.MaxAttachments {
			return sr.fail(RuleLimit, fmt.Errorf("more than %d attachments", sr.opts.Limits.MaxAttachments))
		}
		sr.current = &Attachment{Index: len(sr.attachments)}
		sr.currentEl = f.el
	}
	return nil
}

const (
	headerPath    = "/edXML/edXMLEnvelope/edXMLHeader"
	dsigNamespace = "http://www.w3.org/2000/09/xmldsig#"
)

// canonicalize feeds an event to the document digest and, inside SignedInfo, to
// the SignedInfo canonicalizer.
func (sr *streamReader) canonicalize(f *frame, event func(*canonicalizer) error) error {
	if !f.excluded {
		if err := event(sr.canon); err != nil {
			return err
		}
	}
	if f.signedInfo {
		return event(sr.sig.signedInfoCanon)
	}
	return nil
}

func (sr *streamReader) endElement(t xml.EndElement) error {
	if len(sr.stack) == 0 {
		return sr.fail(RuleXML, fmt.Errorf("unexpected end tag </%s>", qname(t.Name)))
	}
	f := sr.top()
	if t.Name != f.name {
		return sr.fail(RuleXML, fmt.Errorf("end tag </%s> does not match the element <%s> opened on line %d", qname(t.Name), qname(f.name), f.line))
	}
	if err := sr.canonicalize(f, func(c *canonicalizer) error { return c.end(t.Name) }); err != nil {
		return sr.fail(RuleXML, err)
	}
	if f.path == headerPath {
		sr.headerEnd = sr.src.skipped + sr.tokenStart
		if !sr.sig.digestedWithSHA1() {
			sr.digest.sha1 = nil // the rest of the document is only hashed for SHA-256
		}
	}
	if sr.current != nil && f.el == sr.currentEl {
		if err := sr.finishAttachment(f); err != nil {
			return err
		}
	}
	sr.scope.pop()
	sr.stack = sr.stack[:len(sr.stack)-1]
	sr.rootClosed = len(sr.stack) == 0
	return nil
}

func (sr *streamReader) charData(t xml.CharData) error {
	if len(sr.stack) == 0 {
		if len(bytes.TrimSpace(t)) > 0 {
			return sr.fail(RuleXML, errors.New("text outside the document element"))
		}
		return nil
	}
	f := sr.top()
	if f.payload && len(bytes.TrimSpace(t)) > 0 {
		return sr.fail(RuleBase64, errors.New("base64 content must be one text node (no CDATA, comments or entities)"))
	}
	if err := sr.canonicalize(f, func(c *canonicalizer) error { return c.text(t) }); err != nil {
		return sr.fail(RuleXML, err)
	}
	appendText(f.el, string(t))
	return nil
}

// appendText merges adjacent text (split by comments or CDATA) into one node, so the
// DOM value of an element is all of its text, exactly as it was digested.
func appendText(el *etree.Element, s string) {
	if n := len(el.Child); n > 0 {
		if cd, ok := el.Child[n-1].(*etree.CharData); ok {
			cd.Data += s
			return
		}
	}
	el.CreateText(s)
}

func (sr *streamReader) procInst(t xml.ProcInst) error {
	if t.Target == "xml" {
		return nil
	}
	if len(sr.stack) > 0 && sr.top().excluded {
		return nil
	}
	if err := sr.canon.procInst(t); err != nil {
		return sr.fail(RuleXML, err)
	}
	return nil
}

func checkDuplicateAttrs(attrs []xml.Attr) error {
	for i := range attrs {
		for j := i + 1; j < len(attrs); j++ {
			if attrs[i].Name == attrs[j].Name {
				return fmt.Errorf("attribute %s given twice", qname(attrs[i].Name))
			}
		}
	}
	return nil
}
