package liaison

import (
	"archive/zip"
	"bufio"
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// AttachmentSource is one file to put into a package: its metadata and its bytes.
type AttachmentSource struct {
	AttachmentMeta
	Body io.Reader
}

// Write writes pkg as an edXML package in the structure of the reference samples
// (default namespace on edXML, prefix edXML on the envelope, writer element order,
// yyyy/MM/dd dates), encoding each attachment from its reader straight into the
// output. The manifest is made from files (pkg is not modified). Types are written
// in their standard spelling; a type edms does not send as it is (none, or
// application/octet-stream) is taken from the name, and a file of any other kind is
// zipped on the way and labelled application/zip, as the reference library does.
// It refuses a package that breaks a validation rule, or an attachment whose bytes
// contradict its type; as the output may then be incomplete, write to a temporary
// file and rename it on success.
func Write(w io.Writer, pkg *Package, files []AttachmentSource) error {
	switch {
	case pkg.Kind == KindStatus && len(files) > 0:
		return errors.New("edxml: a status package carries no attachments")
	case pkg.Kind == KindStatus && pkg.Status == nil, pkg.Kind == KindDocument && pkg.Header == nil:
		return fmt.Errorf("edxml: a %s package without its fields", pkg.Kind)
	}
	copied := *pkg
	pkg = &copied
	pkg.Manifest = nil
	files = slices.Clone(files)
	for i := range files {
		files[i].ContentType = sendingType(files[i].AttachmentMeta)
		pkg.Manifest = append(pkg.Manifest, files[i].AttachmentMeta)
	}
	if v := bySeverity(validateFields(pkg, true).found, Violation); len(v) > 0 {
		return &InvalidError{Issues: v}
	}
	head, err := headerBytes(pkg)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	if len(files) > 0 {
		if err := writeAttachments(bw, files); err != nil {
			return err
		}
	}
	bw.WriteString("</edXML>\n")
	return bw.Flush()
}

// headerBytes serialises everything but the attachments and the closing root tag.
func headerBytes(pkg *Package) ([]byte, error) {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8"`)
	root := doc.CreateElement("edXML")
	root.CreateAttr("xmlns", Namespace)
	envelope := root.CreateElement("edXML:edXMLEnvelope")
	envelope.CreateAttr("xmlns:edXML", Namespace)
	header := envelope.CreateElement("edXML:edXMLHeader")
	b := builder{}
	switch pkg.Kind {
	case KindDocument:
		b.messageHeader(header, pkg.Header)
		b.traceList(header, pkg.Trace, pkg.Business, pkg.Header.DocumentID)
		b.manifest(envelope, pkg.Manifest)
	case KindStatus:
		b.status(header, pkg.Status)
		if len(pkg.Trace) > 0 {
			b.traceList(header, pkg.Trace, nil, "")
		}
	default:
		return nil, fmt.Errorf("edxml: unknown package kind %d", pkg.Kind)
	}
	doc.Indent(2)
	doc.WriteSettings.CanonicalText = true
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	const end = "</edXML>\n"
	if !strings.HasSuffix(string(out), end) {
		return nil, errors.New("edxml: unexpected serialisation of the root element")
	}
	return out[:len(out)-len(end)], nil
}

// builder appends edXML elements in the reference writer's order.
type builder struct{}

// required writes an element that strict receivers expect, even empty.
func (builder) required(parent *etree.Element, local, value string) {
	parent.CreateElement("edXML:" + local).SetText(value)
}

// text writes an optional element, omitted when empty (as strict receivers prefer
// to an empty value).
func (b builder) text(parent *etree.Element, local, value string) {
	if value != "" {
		b.required(parent, local, value)
	}
}

// group writes an optional element of text children, omitted when all are empty.
func (b builder) group(parent *etree.Element, local string, children ...[2]string) {
	var el *etree.Element
	for _, c := range children {
		if c[1] == "" {
			continue
		}
		if el == nil {
			el = parent.CreateElement("edXML:" + local)
		}
		b.required(el, c[0], c[1])
	}
}

func (b builder) int(parent *etree.Element, local string, n int) {
	b.required(parent, local, strconv.Itoa(n))
}

func (b builder) organization(parent *etree.Element, local string, o Organization) {
	el := parent.CreateElement("edXML:" + local)
	b.required(el, "OrganId", o.OrganID)
	b.text(el, "OrganizationInCharge", o.OrganizationInCharge)
	b.text(el, "OrganName", o.OrganName)
	b.text(el, "OrganAdd", o.OrganAdd)
	b.text(el, "Email", o.Email)
	b.text(el, "Telephone", o.Telephone)
	b.text(el, "Fax", o.Fax)
	b.text(el, "Website", o.Website)
}

func (b builder) messageHeader(header *etree.Element, h *MessageHeader) {
	mh := header.CreateElement("edXML:MessageHeader")
	b.organization(mh, "From", h.From)
	for _, to := range h.To {
		b.organization(mh, "To", to)
	}
	b.required(mh, "DocumentId", h.DocumentID)
	code := mh.CreateElement("edXML:Code")
	b.required(code, "CodeNumber", h.Code.Number)
	b.required(code, "CodeNotation", h.Code.Notation)
	promulgation := mh.CreateElement("edXML:PromulgationInfo")
	b.text(promulgation, "Place", h.Place)
	b.required(promulgation, "PromulgationDate", h.PromulgationDate.String())
	docType := mh.CreateElement("edXML:DocumentType")
	b.int(docType, "Type", cmp.Or(h.DocumentType.Type, 1)) // 1, as the reference samples
	b.int(docType, "TypeDetail", h.DocumentType.TypeDetail)
	b.text(docType, "TypeName", h.DocumentType.TypeName)
	b.required(mh, "Subject", h.Subject)
	b.required(mh, "Content", cmp.Or(h.Content, h.Subject)) // never empty
	b.group(mh, "SignerInfo", [2]string{"Competence", h.Signer.Competence}, [2]string{"Position", h.Signer.Position}, [2]string{"FullName", h.Signer.FullName})
	b.text(mh, "DueDate", h.DueDate.String())
	b.otherInfo(mh, h.OtherInfo)
	for _, rf := range h.ResponseFor {
		b.responseFor(mh, rf)
	}
	b.int(mh, "SteeringType", h.SteeringType)
	if len(h.ToPlaces) > 0 {
		places := mh.CreateElement("edXML:ToPlaces")
		for _, p := range h.ToPlaces {
			b.text(places, "Place", p)
		}
	}
}

func (b builder) otherInfo(mh *etree.Element, o OtherInfo) {
	el := mh.CreateElement("edXML:OtherInfo")
	b.int(el, "Priority", o.Priority)
	b.text(el, "SphereOfPromulgation", o.SphereOfPromulgation)
	b.text(el, "TyperNotation", o.TyperNotation)
	b.int(el, "PromulgationAmount", o.PromulgationAmount)
	b.int(el, "PageAmount", o.PageAmount)
	b.text(el, "Direction", strconv.FormatBool(o.Direction))
	if len(o.Appendixes) > 0 {
		list := el.CreateElement("edXML:Appendixes")
		for _, a := range o.Appendixes {
			b.text(list, "Appendix", a)
		}
	}
}

func (b builder) responseFor(parent *etree.Element, rf ResponseFor) {
	el := parent.CreateElement("edXML:ResponseFor")
	b.required(el, "OrganId", rf.OrganID)
	b.text(el, "Code", rf.Code)
	b.required(el, "DocumentId", rf.DocumentID)
	b.text(el, "PromulgationDate", rf.PromulgationDate.String())
}

func (b builder) staff(parent *etree.Element, s StaffInfo) {
	b.group(parent, "StaffInfo", [2]string{"Department", s.Department}, [2]string{"Staff", s.Staff}, [2]string{"Email", s.Email}, [2]string{"Mobile", s.Mobile})
}

// traceList writes the trace and, for a document (documentID set), its Bussiness.
func (b builder) traceList(header *etree.Element, trace []TraceHeader, business *Business, documentID string) {
	list := header.CreateElement("edXML:TraceHeaderList")
	for _, th := range trace {
		el := list.CreateElement("edXML:TraceHeader")
		b.required(el, "OrganId", th.OrganID)
		b.required(el, "Timestamp", formatTimestamp(th.Timestamp))
	}
	if documentID == "" {
		return
	}
	bus := Business{DocType: BusinessNew}
	if business != nil {
		bus = *business
	}
	bus.DocumentID = cmp.Or(bus.DocumentID, documentID) // the reference library and the axis expect it
	b.business(list, &bus)
}

func (b builder) business(list *etree.Element, bus *Business) {
	el := list.CreateElement("edXML:Bussiness")
	b.required(el, "DocumentId", bus.DocumentID)
	b.int(el, "BussinessDocType", int(bus.DocType))
	b.text(el, "BussinessDocReason", bus.Reason)
	b.int(el, "Paper", bus.Paper)
	if info := bus.DocumentInfo; info != nil {
		ie := el.CreateElement("edXML:BussinessDocumentInfo")
		b.int(ie, "DocumentInfo", info.DocumentInfo)
		b.int(ie, "DocumentReceiver", info.DocumentReceiver)
		receivers := ie.CreateElement("edXML:ReceiverList")
		for _, r := range info.Receivers {
			re := receivers.CreateElement("edXML:Receiver")
			b.required(re, "OrganId", r.OrganID)
			b.int(re, "ReceiverType", r.ReceiverType)
		}
	}
	if len(bus.Replacements) > 0 {
		le := el.CreateElement("edXML:ReplacementInfoList")
		for _, r := range bus.Replacements {
			re := le.CreateElement("edXML:ReplacementInfo")
			b.required(re, "DocumentId", r.DocumentID)
			ids := re.CreateElement("edXML:OrganIdList")
			for _, id := range r.OrganIDs {
				b.required(ids, "OrganId", id)
			}
		}
	}
	b.staff(el, bus.Staff)
}

func (b builder) status(header *etree.Element, s *Status) {
	mh := header.CreateElement("edXML:MessageHeader")
	b.organization(mh, "From", s.From)
	b.responseFor(mh, s.ResponseFor)
	b.staff(mh, s.Staff)
	b.required(mh, "StatusCode", s.StatusCode)
	b.text(mh, "Description", s.Description)
	b.required(mh, "Timestamp", formatTimestamp(s.Timestamp))
}

func (b builder) manifest(envelope *etree.Element, refs []AttachmentMeta) {
	manifest := envelope.CreateElement("edXML:edXMLBody").CreateElement("edXML:edXMLManifest")
	manifest.CreateAttr("version", "1.0")
	for _, r := range refs {
		el := manifest.CreateElement("edXML:Reference")
		b.required(el, "ContentId", "cid:"+r.ContentID)
		b.required(el, "ContentType", r.ContentType)
		b.text(el, "Description", r.Description)
		b.required(el, "AttachmentName", r.Name)
	}
}

// writeAttachments writes AttachmentEncoded, streaming each body through base64.
func writeAttachments(w *bufio.Writer, files []AttachmentSource) error {
	w.WriteString("  <AttachmentEncoded>\n")
	for i, f := range files {
		w.WriteString("    <Attachment>\n")
		for _, field := range [][2]string{{"ContentId", "cid:" + f.ContentID}, {"AttachmentName", f.Name}, {"Description", f.Description}, {"ContentType", f.ContentType}} {
			if field[0] == "Description" && field[1] == "" {
				continue // optional: omitted when empty
			}
			var v strings.Builder
			escapeText(&v, []byte(field[1]))
			fmt.Fprintf(w, "      <%s>%s</%s>\n", field[0], v.String(), field[0])
		}
		w.WriteString(`      <edXML:ContentTransferEncoded xmlns:edXML="` + Namespace + `">`)
		body := bufio.NewReader(f.Body)
		start, _ := body.Peek(4)
		zipIt := zippedOnTheWay(f.AttachmentMeta) && sniffFamily(start) != familyZip
		head, err := encodeBody(w, body, zipIt, f.Name)
		if err != nil {
			return fmt.Errorf("edxml: attachment %d (%s): %w", i+1, f.Name, err)
		}
		if violation := checkOwnContent(f.AttachmentMeta, head); violation != "" {
			return &Error{Path: fmt.Sprintf("%s/%s/ContentTransferEncoded", attachmentPath, stepName("Attachment", i+1)), Rule: RuleContentType, Err: errors.New(violation)}
		}
		w.WriteString("</edXML:ContentTransferEncoded>\n    </Attachment>\n")
	}
	w.WriteString("  </AttachmentEncoded>\n")
	return nil
}

// sendingType is the type a file is sent with: the declared one in its standard
// spelling, or the one its name implies when edms does not send the declared one.
func sendingType(meta AttachmentMeta) string {
	declared := standardType(mediaType(meta.ContentType))
	if _, sent := typeFamilies[declared]; sent {
		return declared
	}
	return ContentTypeFor(meta.Name)
}

// zippedOnTheWay tells whether a file labelled application/zip is not a zip file
// by its name but a file of another kind, to zip by convention unless it already is.
func zippedOnTheWay(meta AttachmentMeta) bool {
	return isGenericZip(meta.ContentType) && !travelsAsIs(meta.Name)
}

// encodeBody base64-encodes body into w, zipped first (as one file of the same
// name) when asked, and returns the first bytes encoded.
func encodeBody(w io.Writer, body io.Reader, zipped bool, name string) ([]byte, error) {
	enc := base64.NewEncoder(base64.StdEncoding, w)
	head := &measuringWriter{w: enc}
	if !zipped {
		if _, err := io.Copy(head, body); err != nil {
			return nil, err
		}
		return head.head, enc.Close()
	}
	zw := zip.NewWriter(head)
	entry, err := zw.Create(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(entry, body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return head.head, enc.Close()
}
