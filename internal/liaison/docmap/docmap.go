// Package docmap maps edXML packages to and from the documents model: an incoming
// document package becomes what docs.Service.Receive takes, an issued document
// becomes a package to write. It is apart from package liaison so that reading and
// verifying packages does not pull in the documents service and its dependencies.
package docmap

import (
	"errors"
	"fmt"
	"io"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison"
)

const typeNamePath = "/edXML/edXMLEnvelope/edXMLHeader/MessageHeader/DocumentType/TypeName"

// urgencyPriority maps the documents model's urgency to edXML OtherInfo/Priority
// (0 normal, 1 khẩn, 2 thượng khẩn, 3 hỏa tốc; 4, "hỏa tốc hẹn giờ" in some
// producers, is read as hỏa tốc).
var urgencyPriority = map[docs.Urgency]int{
	docs.UrgencyNormal:     0,
	docs.UrgencyKhan:       1,
	docs.UrgencyThuongKhan: 2,
	docs.UrgencyHoaToc:     3,
}

func urgencyOf(priority int) docs.Urgency {
	for u, p := range urgencyPriority {
		if p == priority {
			return u
		}
	}
	if priority > 3 {
		return docs.UrgencyHoaToc
	}
	return docs.UrgencyNormal
}

// ToDocument maps a received document package to the metadata of an incoming
// document. A TypeName outside the catalogue is received as a Công văn (the type
// without a name of its own) and reported, so that the clerk can still register it.
func ToDocument(pkg *liaison.Package) (docs.Document, []liaison.Issue, error) {
	if pkg.Kind != liaison.KindDocument {
		return docs.Document{}, nil, errors.New("edxml: only a document package maps to a document")
	}
	h := pkg.Header
	var found []liaison.Issue
	d := docs.Document{
		Direction:     docs.Incoming,
		CodeNumber:    h.Code.Number,
		CodeNotation:  h.Code.Notation,
		Place:         h.Place,
		IssuedDate:    timeOf(h.PromulgationDate),
		Subject:       h.Subject,
		Content:       h.Content,
		IssuerOrganID: h.From.OrganID,
		IssuerName:    h.From.OrganName,
		Signer:        docs.SignerInfo{Competence: h.Signer.Competence, Position: h.Signer.Position, FullName: h.Signer.FullName},
		ToPlaces:      h.ToPlaces,
		Urgency:       urgencyOf(h.OtherInfo.Priority),
		Secrecy:       docs.SecrecyNone,
		PageCount:     h.OtherInfo.PageAmount,
		IssuedAmount:  h.OtherInfo.PromulgationAmount,
		DueDate:       timeOf(h.DueDate),
		Language:      "vi",
		ExternalID:    h.DocumentID,
		Paper:         pkg.Business != nil && pkg.Business.Paper == 1,
	}
	if d.ExternalID == "" {
		d.ExternalID = liaison.DocumentID(h.From.OrganID, h.PromulgationDate, h.Code)
	}
	if t, ok := docs.TypeByName(h.DocumentType.TypeName); ok {
		d.Type = t.Code
	} else {
		d.Type = docs.TypeCongVan
		found = append(found, liaison.Issue{Severity: liaison.Warning, Path: typeNamePath, Rule: liaison.RuleUnknown,
			Message: fmt.Sprintf("%q is not a document type of the catalogue; registered as Công văn", h.DocumentType.TypeName)})
	}
	for _, to := range h.To {
		d.Recipients = append(d.Recipients, docs.Recipient{OrganID: to.OrganID, Name: to.OrganName})
	}
	return d, found, nil
}

// ToReceiveInput maps a received package, whose attachments were stored while it was
// read, to what the documents service receives: the metadata, the first PDF
// attachment (or the first attachment) as main file and the others as attachments.
// open returns the stored bytes of an attachment.
func ToReceiveInput(pkg *liaison.Package, open func(liaison.Attachment) (io.Reader, error)) (docs.ReceiveInput, []liaison.Issue, error) {
	d, found, err := ToDocument(pkg)
	if err != nil {
		return docs.ReceiveInput{}, nil, err
	}
	in := docs.ReceiveInput{Document: d, RequestKey: d.ExternalID}
	main := mainAttachment(pkg.Attachments)
	for i, a := range pkg.Attachments {
		body, err := open(a)
		if err != nil {
			return docs.ReceiveInput{}, nil, fmt.Errorf("edxml: attachment %s: %w", a.Name, err)
		}
		file := docs.FileInput{Name: a.Name, MediaType: a.ContentType, Content: body}
		if i == main {
			in.Main = file
		} else {
			in.Attachments = append(in.Attachments, file)
		}
	}
	return in, found, nil
}

func mainAttachment(atts []liaison.Attachment) int {
	for i, a := range atts {
		if a.LooksLikePDF() {
			return i
		}
	}
	return 0
}

// FromDocument maps an issued outgoing document to a document package sent by
// sender (whose OrganId must be the document's issuer), stamped now in the trace.
// The caller writes it with Write and the document's files.
func FromDocument(d *docs.Document, sender liaison.Organization, now time.Time) (*liaison.Package, error) {
	switch {
	case d.Secrecy.Secret():
		return nil, errors.New("edxml: secret documents are not exchanged electronically")
	case d.CodeNumber == "" || d.IssuedDate == nil:
		return nil, errors.New("edxml: the document has no number or issue date yet")
	case sender.OrganID != d.IssuerOrganID:
		return nil, fmt.Errorf("edxml: sender %s is not the issuer %s", sender.OrganID, d.IssuerOrganID)
	}
	issued := liaison.DateOf(*d.IssuedDate)
	h := &liaison.MessageHeader{
		From:             sender,
		DocumentID:       d.ExternalID,
		Code:             liaison.Code{Number: d.CodeNumber, Notation: d.CodeNotation},
		Place:            d.Place,
		PromulgationDate: issued,
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: d.TypeName()},
		Subject:          d.Subject,
		Content:          d.Content,
		Signer:           liaison.Signer{Competence: d.Signer.Competence, Position: d.Signer.Position, FullName: d.Signer.FullName},
		OtherInfo:        liaison.OtherInfo{Priority: urgencyPriority[d.Urgency], PageAmount: d.PageCount, PromulgationAmount: d.IssuedAmount},
		ToPlaces:         d.ToPlaces,
	}
	if h.DocumentID == "" {
		h.DocumentID = liaison.DocumentID(sender.OrganID, issued, h.Code)
	}
	if d.DueDate != nil {
		h.DueDate = liaison.DateOf(*d.DueDate)
	}
	for _, r := range d.Recipients {
		h.To = append(h.To, liaison.Organization{OrganID: r.OrganID, OrganName: r.Name})
	}
	return &liaison.Package{
		Kind:     liaison.KindDocument,
		Header:   h,
		Trace:    []liaison.TraceHeader{{OrganID: sender.OrganID, Timestamp: now.Truncate(time.Second)}},
		Business: &liaison.Business{DocType: liaison.BusinessNew},
	}, nil
}

func timeOf(d liaison.Date) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := d.Time()
	return &t
}
