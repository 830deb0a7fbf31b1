package liaison

import "time"

// Namespace is the edXML namespace of QCVN 102:2016.
const Namespace = "http://www.mic.gov.vn/TBT/QCVN_102_2016"

// Kind tells a document package from a status package.
type Kind int

// Package kinds.
const (
	KindDocument Kind = iota + 1
	KindStatus
)

func (k Kind) String() string {
	switch k {
	case KindDocument:
		return "document"
	case KindStatus:
		return "status"
	}
	return "unknown"
}

// Package is one edXML package: a document (Header, Trace, Business, Attachments) or a
// status message (Status, Trace).
type Package struct {
	Kind        Kind
	Header      *MessageHeader // document packages
	Status      *Status        // status packages
	Trace       []TraceHeader
	Business    *Business // nil when the package has no Bussiness element (means "new")
	Manifest    []AttachmentMeta
	Attachments []Attachment
	Signature   SignatureInfo
	// Warnings lists what the reader accepted leniently and what the validator found
	// suspicious but not wrong.
	Warnings []Issue
}

// Organization is a sender or recipient agency (From, To).
type Organization struct {
	OrganID              string
	OrganizationInCharge string
	OrganName            string
	OrganAdd             string
	Email                string
	Telephone            string
	Fax                  string
	Website              string
}

// Code is the number (số) and symbol (ký hiệu) of a document.
type Code struct {
	Number   string // CodeNumber, e.g. "15"
	Notation string // CodeNotation, e.g. "QĐ-UBND"
}

// DocumentType is the edXML DocumentType; TypeName carries the printed type name.
type DocumentType struct {
	Type       int
	TypeDetail int
	TypeName   string
}

// Signer is SignerInfo: who signed the document, with which authority.
type Signer struct {
	Competence string // e.g. "KT. CHỦ TỊCH"
	Position   string
	FullName   string
}

// OtherInfo carries urgency and printing details.
type OtherInfo struct {
	Priority             int // 0–4, urgency scale
	SphereOfPromulgation string
	TyperNotation        string
	PromulgationAmount   int
	PageAmount           int
	Direction            bool
	Appendixes           []string
}

// ResponseFor names the document a package answers.
type ResponseFor struct {
	OrganID          string
	Code             string // "number/symbol" as one string
	PromulgationDate Date
	DocumentID       string
}

// MessageHeader is the header of a document package.
type MessageHeader struct {
	From             Organization
	To               []Organization
	DocumentID       string
	Code             Code
	Place            string
	PromulgationDate Date
	DocumentType     DocumentType
	Subject          string
	Content          string
	Signer           Signer
	DueDate          Date
	OtherInfo        OtherInfo
	ResponseFor      []ResponseFor
	SteeringType     int
	ToPlaces         []string
}

// TraceHeader is one hop of the package: who sent or relayed it, and when.
type TraceHeader struct {
	OrganID   string
	Timestamp time.Time
}

// BusinessType is BussinessDocType: what the package does to the document.
type BusinessType int

// Business types of QCVN 102:2016.
const (
	BusinessNew     BusinessType = 0
	BusinessRevoke  BusinessType = 1
	BusinessUpdate  BusinessType = 2
	BusinessReplace BusinessType = 3
)

func (b BusinessType) String() string {
	switch b {
	case BusinessNew:
		return "new"
	case BusinessRevoke:
		return "revoke"
	case BusinessUpdate:
		return "update"
	case BusinessReplace:
		return "replace"
	}
	return "unknown"
}

// Business is the Bussiness element (spelled as in the standard).
type Business struct {
	DocumentID   string
	DocType      BusinessType
	Reason       string
	Paper        int
	DocumentInfo *BusinessDocumentInfo // update
	Replacements []ReplacementInfo     // replace
	Staff        StaffInfo
}

// BusinessDocumentInfo says what an update changes.
type BusinessDocumentInfo struct {
	DocumentInfo     int // 1: metadata changed
	DocumentReceiver int // 1: recipients changed
	Receivers        []Receiver
}

// Receiver is one recipient change of an update.
type Receiver struct {
	OrganID      string
	ReceiverType int
}

// ReplacementInfo names a replaced document and the agencies concerned.
type ReplacementInfo struct {
	DocumentID string
	OrganIDs   []string
}

// StaffInfo is the clerk who handled the package.
type StaffInfo struct {
	Department string
	Staff      string
	Email      string
	Mobile     string
}

// Status is the content of a status package.
type Status struct {
	From        Organization
	ResponseFor ResponseFor
	Staff       StaffInfo
	StatusCode  string
	Description string
	Timestamp   time.Time
}

// StatusCodes maps the known status codes to their meaning.
var StatusCodes = map[string]string{
	"01": "đã đến",
	"02": "từ chối tiếp nhận",
	"03": "đã tiếp nhận",
	"04": "phân công",
	"05": "đang xử lý",
	"06": "hoàn thành",
	"13": "yêu cầu lấy lại",
	"15": "đồng ý lấy lại / cập nhật",
	"16": "từ chối lấy lại / cập nhật",
}

// AttachmentMeta describes one attachment, as in its manifest Reference.
type AttachmentMeta struct {
	ContentID   string // without the "cid:" prefix
	Name        string // AttachmentName
	Description string
	ContentType string
}

// Attachment is one attachment read from a package: its metadata and what was
// measured while its bytes were streamed to the sink.
// ContentType is the type its bytes were found to be; Declared is what the package
// said. Files unpacked from a zipped attachment follow the attachments, each with
// FromArchive set to the ContentID of the archive it came from.
type Attachment struct {
	AttachmentMeta
	Declared    string
	FromArchive string
	Index       int // order in which the sink received it
	Size        int64
	SHA256      [32]byte
	head        []byte // first bytes, for the content type check
	archive     bool   // a zip archive to unpack
}

// LooksLikePDF tells whether the attachment's bytes begin like a PDF file.
func (a Attachment) LooksLikePDF() bool { return sniffFamily(a.head) == familyPDF }
