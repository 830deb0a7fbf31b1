package liaison

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
)

// decoder turns the DOM of the header into the typed model, namespace-aware and
// order-insensitive, recording leniencies as warnings and unusable values as
// violations.
type decoder struct {
	found *issues
}

// children returns the child elements of el in the edXML namespace named local.
func children(el *etree.Element, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == local && c.NamespaceURI() == Namespace {
			out = append(out, c)
		}
	}
	return out
}

func child(el *etree.Element, local string) *etree.Element {
	if kids := children(el, local); len(kids) > 0 {
		return kids[0]
	}
	return nil
}

// textOf returns all the text of el (the DOM keeps it as one node, comments aside).
func textOf(el *etree.Element) string {
	if el == nil {
		return ""
	}
	return strings.TrimSpace(el.Text())
}

func childText(el *etree.Element, local string) string { return textOf(child(el, local)) }

// elementPath locates el as /edXML/.../To[2]/OrganId.
func elementPath(el *etree.Element) string {
	if el == nil {
		return ""
	}
	parent := el.Parent()
	if parent == nil || parent.Tag == "" { // the document element's parent is the etree Document
		return "/" + el.Tag
	}
	n := 0
	for _, sib := range parent.ChildElements() {
		if sib.Tag == el.Tag {
			n++
		}
		if sib == el {
			break
		}
	}
	return elementPath(parent) + "/" + stepName(el.Tag, n)
}

// childPath locates a child that may be missing.
func childPath(parent *etree.Element, local string) string {
	if c := child(parent, local); c != nil {
		return elementPath(c)
	}
	return elementPath(parent) + "/" + local
}

func (d decoder) int(parent *etree.Element, local string) int {
	s := childText(parent, local)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		d.found.violate(childPath(parent, local), RuleInteger, "%q is not an integer", s)
	}
	return n
}

func (d decoder) bool(parent *etree.Element, local string) bool {
	s := childText(parent, local)
	switch strings.ToLower(s) {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	}
	d.found.violate(childPath(parent, local), RuleInteger, "%q is not a boolean", s)
	return false
}

func (d decoder) date(parent *etree.Element, local string) Date {
	date, lenient, err := parseDate(childText(parent, local))
	switch {
	case err != nil:
		d.found.violate(childPath(parent, local), RuleDateFormat, "%v", err)
	case lenient:
		d.found.warn(childPath(parent, local), RuleLenient, "date %q is not written yyyy/MM/dd", childText(parent, local))
	}
	return date
}

func (d decoder) timestamp(parent *etree.Element, local string) time.Time {
	v, lenient, err := parseTimestamp(childText(parent, local))
	switch {
	case err != nil:
		d.found.violate(childPath(parent, local), RuleDateFormat, "%v", err)
	case lenient:
		d.found.warn(childPath(parent, local), RuleLenient, "timestamp %q is not written yyyy/MM/dd HH:mm:ss", childText(parent, local))
	}
	return v
}

// decodePackage reads the model from the document element.
func decodePackage(root *etree.Element, found *issues) (*Package, error) {
	d := decoder{found}
	envelope := child(root, "edXMLEnvelope")
	header := child(envelope, "edXMLHeader")
	if header == nil {
		return nil, &Error{Path: "/edXML/edXMLEnvelope/edXMLHeader", Rule: RuleStructure, Err: errors.New("missing edXMLEnvelope/edXMLHeader")}
	}
	pkg := &Package{}
	mh := child(header, "MessageHeader")
	wrapper := child(header, "Status")
	switch {
	case wrapper != nil:
		found.warn(elementPath(wrapper), RuleLenient, "status fields wrapped in edXML:Status instead of MessageHeader")
		pkg.Kind, pkg.Status = KindStatus, d.status(wrapper)
	case child(mh, "StatusCode") != nil:
		pkg.Kind, pkg.Status = KindStatus, d.status(mh)
	case mh != nil:
		pkg.Kind, pkg.Header = KindDocument, d.messageHeader(mh)
	default:
		return nil, &Error{Path: elementPath(header) + "/MessageHeader", Rule: RuleStructure, Err: errors.New("missing MessageHeader")}
	}
	d.traceList(pkg, child(header, "TraceHeaderList"))
	d.placeholderSignature(header)
	pkg.Manifest = d.manifest(child(child(envelope, "edXMLBody"), "edXMLManifest"))
	d.attachmentIDs(child(root, "AttachmentEncoded"))
	return pkg, nil
}

func (d decoder) organization(el *etree.Element) Organization {
	return Organization{
		OrganID:              childText(el, "OrganId"),
		OrganizationInCharge: childText(el, "OrganizationInCharge"),
		OrganName:            childText(el, "OrganName"),
		OrganAdd:             childText(el, "OrganAdd"),
		Email:                childText(el, "Email"),
		Telephone:            childText(el, "Telephone"),
		Fax:                  childText(el, "Fax"),
		Website:              childText(el, "Website"),
	}
}

// documentHeaderChildren are the children a document MessageHeader may have.
var documentHeaderChildren = map[string]bool{
	"From": true, "To": true, "DocumentId": true, "Code": true, "PromulgationInfo": true, "DocumentType": true,
	"Subject": true, "Content": true, "SignerInfo": true, "DueDate": true, "OtherInfo": true, "ResponseFor": true,
	"SteeringType": true, "ToPlaces": true,
}

// unknownChildren warns about children of el that the model does not read.
func (d decoder) unknownChildren(el *etree.Element, known map[string]bool) {
	for _, c := range el.ChildElements() {
		if !known[c.Tag] || c.NamespaceURI() != Namespace {
			d.found.warn(elementPath(c), RuleUnknown, "element {%s}%s is not part of edXML here and was ignored", c.NamespaceURI(), c.Tag)
		}
	}
}

func (d decoder) messageHeader(mh *etree.Element) *MessageHeader {
	d.unknownChildren(mh, documentHeaderChildren)
	h := &MessageHeader{
		From:       d.organization(child(mh, "From")),
		DocumentID: childText(mh, "DocumentId"),
		Code:       Code{childText(child(mh, "Code"), "CodeNumber"), childText(child(mh, "Code"), "CodeNotation")},
		Place:      childText(child(mh, "PromulgationInfo"), "Place"),
		Subject:    childText(mh, "Subject"),
		Content:    childText(mh, "Content"),
		DueDate:    d.date(mh, "DueDate"),
	}
	for _, to := range children(mh, "To") {
		h.To = append(h.To, d.organization(to))
	}
	h.PromulgationDate = d.date(child(mh, "PromulgationInfo"), "PromulgationDate")
	dt := child(mh, "DocumentType")
	h.DocumentType = DocumentType{d.int(dt, "Type"), d.int(dt, "TypeDetail"), childText(dt, "TypeName")}
	si := child(mh, "SignerInfo")
	h.Signer = Signer{childText(si, "Competence"), childText(si, "Position"), childText(si, "FullName")}
	h.OtherInfo = d.otherInfo(child(mh, "OtherInfo"))
	for _, rf := range children(mh, "ResponseFor") {
		h.ResponseFor = append(h.ResponseFor, d.responseFor(rf))
	}
	h.SteeringType = d.int(mh, "SteeringType")
	for _, p := range children(child(mh, "ToPlaces"), "Place") {
		h.ToPlaces = append(h.ToPlaces, textOf(p))
	}
	return h
}

func (d decoder) otherInfo(el *etree.Element) OtherInfo {
	o := OtherInfo{
		Priority:             d.int(el, "Priority"),
		SphereOfPromulgation: childText(el, "SphereOfPromulgation"),
		TyperNotation:        childText(el, "TyperNotation"),
		PromulgationAmount:   d.int(el, "PromulgationAmount"),
		PageAmount:           d.int(el, "PageAmount"),
		Direction:            d.bool(el, "Direction"),
	}
	for _, a := range children(child(el, "Appendixes"), "Appendix") {
		o.Appendixes = append(o.Appendixes, textOf(a))
	}
	return o
}

func (d decoder) responseFor(el *etree.Element) ResponseFor {
	return ResponseFor{
		OrganID:          childText(el, "OrganId"),
		Code:             childText(el, "Code"),
		PromulgationDate: d.date(el, "PromulgationDate"),
		DocumentID:       childText(el, "DocumentId"),
	}
}

func (d decoder) staff(el *etree.Element) StaffInfo {
	return StaffInfo{childText(el, "Department"), childText(el, "Staff"), childText(el, "Email"), childText(el, "Mobile")}
}

func (d decoder) status(el *etree.Element) *Status {
	return &Status{
		From:        d.organization(child(el, "From")),
		ResponseFor: d.responseFor(child(el, "ResponseFor")),
		Staff:       d.staff(child(el, "StaffInfo")),
		StatusCode:  childText(el, "StatusCode"),
		Description: childText(el, "Description"),
		Timestamp:   d.timestamp(el, "Timestamp"),
	}
}

func (d decoder) traceList(pkg *Package, el *etree.Element) {
	for _, th := range children(el, "TraceHeader") {
		pkg.Trace = append(pkg.Trace, TraceHeader{childText(th, "OrganId"), d.timestamp(th, "Timestamp")})
	}
	b := child(el, "Bussiness")
	if b == nil {
		if pkg.Kind == KindDocument {
			d.found.warn(childPath(el, "Bussiness"), RuleLenient, "no Bussiness element: read as a new document (BussinessDocType 0)")
		}
		return
	}
	pkg.Business = &Business{
		DocumentID: childText(b, "DocumentId"),
		DocType:    BusinessType(d.int(b, "BussinessDocType")),
		Reason:     childText(b, "BussinessDocReason"),
		Paper:      d.int(b, "Paper"),
		Staff:      d.staff(child(b, "StaffInfo")),
	}
	if info := child(b, "BussinessDocumentInfo"); info != nil {
		bi := &BusinessDocumentInfo{DocumentInfo: d.int(info, "DocumentInfo"), DocumentReceiver: d.int(info, "DocumentReceiver")}
		for _, r := range children(child(info, "ReceiverList"), "Receiver") {
			bi.Receivers = append(bi.Receivers, Receiver{childText(r, "OrganId"), d.int(r, "ReceiverType")})
		}
		pkg.Business.DocumentInfo = bi
	}
	for _, ri := range children(child(b, "ReplacementInfoList"), "ReplacementInfo") {
		info := ReplacementInfo{DocumentID: childText(ri, "DocumentId")}
		for _, id := range children(child(ri, "OrganIdList"), "OrganId") {
			info.OrganIDs = append(info.OrganIDs, textOf(id))
		}
		pkg.Business.Replacements = append(pkg.Business.Replacements, info)
	}
}

// placeholderSignature reports a Signature outside the XML-DSig namespace, as the
// reference library writes, and the DigitalSignature element of older layouts
// without an XML-DSig Signature inside: the package is read as unsigned.
func (d decoder) placeholderSignature(header *etree.Element) {
	for _, c := range placeholderSignatures(header) {
		d.found.warn(elementPath(c), RuleSignature, "%s is not an XML-DSig signature (placeholder or older layout): package treated as unsigned", c.Tag)
	}
	for _, wrapper := range header.ChildElements() {
		if wrapper.Tag == "DigitalSignature" && len(dsChildren(wrapper, "Signature")) > 0 {
			d.found.warn(elementPath(wrapper), RuleLenient, "XML-DSig Signature wrapped in DigitalSignature (older layout)")
		}
	}
}

// placeholderSignatures returns the children of edXMLHeader that stand for a
// signature but are not XML-DSig ones.
func placeholderSignatures(header *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, c := range header.ChildElements() {
		switch {
		case c.Tag == "Signature" && c.NamespaceURI() != dsigNamespace:
			out = append(out, c)
		case c.Tag == "DigitalSignature" && len(dsChildren(c, "Signature")) == 0:
			out = append(out, c)
		}
	}
	return out
}

func (d decoder) manifest(el *etree.Element) []AttachmentMeta {
	var refs []AttachmentMeta
	for _, ref := range children(el, "Reference") {
		d.checkCID(ref)
		if href := ref.SelectAttrValue("href", ""); href != "" {
			d.found.warn(elementPath(ref), RuleLenient, "xlink attributes on Reference (older layout): href %q read as its ContentId when it has none", href)
		}
		refs = append(refs, attachmentMeta(ref))
	}
	return refs
}

func (d decoder) attachmentIDs(el *etree.Element) {
	for _, att := range children(el, "Attachment") {
		d.checkCID(att)
	}
}

func (d decoder) checkCID(el *etree.Element) {
	if id := childText(el, "ContentId"); id != "" && !strings.HasPrefix(id, "cid:") {
		d.found.warn(childPath(el, "ContentId"), RuleLenient, "ContentId %q written without the cid: prefix", id)
	}
}
