package liaison

import (
	"errors"
	"fmt"
	"io"
	"time"

	"edms/internal/docs"
)

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
// document. A TypeName outside the catalogue leaves Type empty and is reported.
func ToDocument(pkg *Package) (docs.Document, []Issue, error) {
	if pkg.Kind != KindDocument {
		return docs.Document{}, nil, errors.New("edxml: only a document package maps to a document")
	}
	h := pkg.Header
	var found issues
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
		d.ExternalID = DocumentID(h.From.OrganID, h.PromulgationDate, h.Code)
	}
	if t, ok := docs.TypeByName(h.DocumentType.TypeName); ok {
		d.Type = t.Code
	} else {
		found.warn(messageHeaderPath+"/DocumentType/TypeName", RuleUnknown, "%q is not a document type of the catalogue", h.DocumentType.TypeName)
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
func ToReceiveInput(pkg *Package, open func(Attachment) (io.Reader, error)) (docs.ReceiveInput, []Issue, error) {
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

func mainAttachment(atts []Attachment) int {
	for i, a := range atts {
		if sniffFamily(a.head) == familyPDF {
			return i
		}
	}
	return 0
}

// FromDocument maps an issued outgoing document to a document package sent by
// sender (whose OrganId must be the document's issuer), stamped now in the trace.
// The caller writes it with Write and the document's files.
func FromDocument(d *docs.Document, sender Organization, now time.Time) (*Package, error) {
	switch {
	case d.Secrecy.Secret():
		return nil, errors.New("edxml: secret documents are not exchanged electronically")
	case d.CodeNumber == "" || d.IssuedDate == nil:
		return nil, errors.New("edxml: the document has no number or issue date yet")
	case sender.OrganID != d.IssuerOrganID:
		return nil, fmt.Errorf("edxml: sender %s is not the issuer %s", sender.OrganID, d.IssuerOrganID)
	}
	issued := DateOf(*d.IssuedDate)
	h := &MessageHeader{
		From:             sender,
		DocumentID:       d.ExternalID,
		Code:             Code{d.CodeNumber, d.CodeNotation},
		Place:            d.Place,
		PromulgationDate: issued,
		DocumentType:     DocumentType{Type: 1, TypeName: d.TypeName()},
		Subject:          d.Subject,
		Signer:           Signer{Competence: d.Signer.Competence, Position: d.Signer.Position, FullName: d.Signer.FullName},
		OtherInfo:        OtherInfo{Priority: urgencyPriority[d.Urgency], PageAmount: d.PageCount, PromulgationAmount: d.IssuedAmount},
		ToPlaces:         d.ToPlaces,
	}
	if h.DocumentID == "" {
		h.DocumentID = DocumentID(sender.OrganID, issued, h.Code)
	}
	if d.DueDate != nil {
		h.DueDate = DateOf(*d.DueDate)
	}
	for _, r := range d.Recipients {
		h.To = append(h.To, Organization{OrganID: r.OrganID, OrganName: r.Name})
	}
	return &Package{
		Kind:     KindDocument,
		Header:   h,
		Trace:    []TraceHeader{{OrganID: sender.OrganID, Timestamp: now.In(vietnam).Truncate(time.Second)}},
		Business: &Business{DocType: BusinessNew},
	}, nil
}

func timeOf(d Date) *time.Time {
	if d.IsZero() {
		return nil
	}
	t := d.Time()
	return &t
}
