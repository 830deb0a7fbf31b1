package docs

import (
	"fmt"
	"strings"
	"time"
)

// TypeCode identifies one of the administrative document types of Nghị định 30/2020
// (Điều 7, Phụ lục III). It is a stable ASCII key stored in the database; the printed
// name and the abbreviation used in the symbol come from the catalogue.
type TypeCode string

// DocType is one entry of the type catalogue.
type DocType struct {
	Code         TypeCode
	Name         string // Tên loại, as printed ("Quyết định")
	Abbreviation string // used in the symbol ("QĐ"); empty for Công văn and Thư công
}

// The 29 administrative document types.
const (
	TypeNghiQuyet     TypeCode = "nghi_quyet"
	TypeQuyetDinh     TypeCode = "quyet_dinh"
	TypeChiThi        TypeCode = "chi_thi"
	TypeQuyChe        TypeCode = "quy_che"
	TypeQuyDinh       TypeCode = "quy_dinh"
	TypeThongCao      TypeCode = "thong_cao"
	TypeThongBao      TypeCode = "thong_bao"
	TypeHuongDan      TypeCode = "huong_dan"
	TypeChuongTrinh   TypeCode = "chuong_trinh"
	TypeKeHoach       TypeCode = "ke_hoach"
	TypePhuongAn      TypeCode = "phuong_an"
	TypeDeAn          TypeCode = "de_an"
	TypeDuAn          TypeCode = "du_an"
	TypeBaoCao        TypeCode = "bao_cao"
	TypeBienBan       TypeCode = "bien_ban"
	TypeToTrinh       TypeCode = "to_trinh"
	TypeHopDong       TypeCode = "hop_dong"
	TypeCongVan       TypeCode = "cong_van"
	TypeCongDien      TypeCode = "cong_dien"
	TypeBanGhiNho     TypeCode = "ban_ghi_nho"
	TypeBanThoaThuan  TypeCode = "ban_thoa_thuan"
	TypeGiayUyQuyen   TypeCode = "giay_uy_quyen"
	TypeGiayMoi       TypeCode = "giay_moi"
	TypeGiayGioiThieu TypeCode = "giay_gioi_thieu"
	TypeGiayNghiPhep  TypeCode = "giay_nghi_phep"
	TypePhieuGui      TypeCode = "phieu_gui"
	TypePhieuChuyen   TypeCode = "phieu_chuyen"
	TypePhieuBao      TypeCode = "phieu_bao"
	TypeThuCong       TypeCode = "thu_cong"
)

// Types is the catalogue, in the order of Phụ lục III.
var Types = []DocType{
	{TypeNghiQuyet, "Nghị quyết", "NQ"},
	{TypeQuyetDinh, "Quyết định", "QĐ"},
	{TypeChiThi, "Chỉ thị", "CT"},
	{TypeQuyChe, "Quy chế", "QC"},
	{TypeQuyDinh, "Quy định", "QyĐ"},
	{TypeThongCao, "Thông cáo", "TC"},
	{TypeThongBao, "Thông báo", "TB"},
	{TypeHuongDan, "Hướng dẫn", "HD"},
	{TypeChuongTrinh, "Chương trình", "CTr"},
	{TypeKeHoach, "Kế hoạch", "KH"},
	{TypePhuongAn, "Phương án", "PA"},
	{TypeDeAn, "Đề án", "ĐA"},
	{TypeDuAn, "Dự án", "DA"},
	{TypeBaoCao, "Báo cáo", "BC"},
	{TypeBienBan, "Biên bản", "BB"},
	{TypeToTrinh, "Tờ trình", "TTr"},
	{TypeHopDong, "Hợp đồng", "HĐ"},
	{TypeCongVan, "Công văn", ""},
	{TypeCongDien, "Công điện", "CĐ"},
	{TypeBanGhiNho, "Bản ghi nhớ", "BGN"},
	{TypeBanThoaThuan, "Bản thỏa thuận", "BTT"},
	{TypeGiayUyQuyen, "Giấy ủy quyền", "GUQ"},
	{TypeGiayMoi, "Giấy mời", "GM"},
	{TypeGiayGioiThieu, "Giấy giới thiệu", "GGT"},
	{TypeGiayNghiPhep, "Giấy nghỉ phép", "GNP"},
	{TypePhieuGui, "Phiếu gửi", "PG"},
	{TypePhieuChuyen, "Phiếu chuyển", "PC"},
	{TypePhieuBao, "Phiếu báo", "PB"},
	{TypeThuCong, "Thư công", ""},
}

// CopyForm is the form of an electronic copy (bản sao).
type CopyForm string

// Copy forms and their abbreviations.
const (
	CopySaoY     CopyForm = "SY"  // Sao y
	CopyTrichSao CopyForm = "TrS" // Trích sao
	CopySaoLuc   CopyForm = "SL"  // Sao lục
)

// LookupType returns the catalogue entry for code.
func LookupType(code TypeCode) (DocType, bool) {
	for _, t := range Types {
		if t.Code == code {
			return t, true
		}
	}
	return DocType{}, false
}

// TypeByName finds a type by its printed name (as in edXML DocumentType/TypeName),
// ignoring case and surrounding spaces. "Quyết định cá biệt" style qualifiers in
// parentheses are ignored.
func TypeByName(name string) (DocType, bool) {
	name = strings.TrimSpace(name)
	if i := strings.Index(name, "("); i > 0 {
		name = strings.TrimSpace(name[:i])
	}
	for _, t := range Types {
		if strings.EqualFold(t.Name, name) {
			return t, true
		}
	}
	return DocType{}, false
}

// Urgency is the độ khẩn of a document.
type Urgency string

// Urgency levels, from none to the most urgent.
const (
	UrgencyNormal     Urgency = "thuong"      // no urgency mark
	UrgencyKhan       Urgency = "khan"        // Khẩn
	UrgencyThuongKhan Urgency = "thuong_khan" // Thượng khẩn
	UrgencyHoaToc     Urgency = "hoa_toc"     // Hỏa tốc
)

// Label is the mark printed on the document ("" for a normal document).
func (u Urgency) Label() string {
	switch u {
	case UrgencyKhan:
		return "Khẩn"
	case UrgencyThuongKhan:
		return "Thượng khẩn"
	case UrgencyHoaToc:
		return "Hỏa tốc"
	}
	return ""
}

// Urgent reports whether the document must be handled immediately.
func (u Urgency) Urgent() bool { return u != UrgencyNormal }

func (u Urgency) valid() bool {
	return u == UrgencyNormal || u == UrgencyKhan || u == UrgencyThuongKhan || u == UrgencyHoaToc
}

// Secrecy is the độ mật of a document.
type Secrecy string

// Secrecy levels. Secret documents have their own number series, are excluded from
// electronic exchange between agencies, and are visible only by explicit grant.
const (
	SecrecyNone     Secrecy = "thuong"    // not secret
	SecrecyMat      Secrecy = "mat"       // Mật
	SecrecyToiMat   Secrecy = "toi_mat"   // Tối mật
	SecrecyTuyetMat Secrecy = "tuyet_mat" // Tuyệt mật
)

// Label is the mark printed on the document ("" when not secret).
func (s Secrecy) Label() string {
	switch s {
	case SecrecyMat:
		return "Mật"
	case SecrecyToiMat:
		return "Tối mật"
	case SecrecyTuyetMat:
		return "Tuyệt mật"
	}
	return ""
}

// Secret reports whether the document is secret.
func (s Secrecy) Secret() bool { return s != SecrecyNone }

func (s Secrecy) valid() bool {
	return s == SecrecyNone || s == SecrecyMat || s == SecrecyToiMat || s == SecrecyTuyetMat
}

// Direction tells an outgoing document (văn bản đi) from an incoming one (văn bản đến).
type Direction string

// Directions.
const (
	Outgoing Direction = "outgoing"
	Incoming Direction = "incoming"
)

// CompetencePrefixes are the signing-authority prefixes (thẩm quyền ký) of Phụ lục I.
var CompetencePrefixes = []string{"TM.", "Q.", "KT.", "TL.", "TUQ."}

// SignerInfo is the person who signed (SignerInfo in edXML).
type SignerInfo struct {
	// Competence is the authority line above the position, e.g. "KT. CHỦ TỊCH" or
	// "TM. ỦY BAN NHÂN DÂN"; empty when the head signs in their own name.
	Competence string
	Position   string // chức vụ, e.g. "Phó Chủ tịch"
	FullName   string
	UserID     int64 // the local user, 0 for a signer of another agency
}

// CompetencePrefix returns the prefix of the competence line ("KT."), or "".
func (s SignerInfo) CompetencePrefix() string {
	for _, p := range CompetencePrefixes {
		if strings.HasPrefix(strings.TrimSpace(s.Competence), p) {
			return p
		}
	}
	return ""
}

// Recipient is one addressee (To in edXML, "Nơi nhận").
type Recipient struct {
	AgencyID int64  // local agency id when the recipient is known locally, else 0
	OrganID  string // mã định danh of the recipient agency
	Name     string // printed name
}

// RecipientStatus is the delivery state of an outgoing document at one recipient, fed by
// the status packages the recipient returns (edXML status codes).
type RecipientStatus string

// Recipient statuses.
const (
	RecipientPending    RecipientStatus = "pending"        // not sent yet
	RecipientSending    RecipientStatus = "sending"        // its package waits in the exchange's queue
	RecipientSent       RecipientStatus = "sent"           // handed over: to a local agency, on paper, or acknowledged by the hub
	RecipientFailed     RecipientStatus = "failed"         // the exchange gave up or was refused (the reason in the note)
	RecipientArrived    RecipientStatus = "arrived"        // 01
	RecipientRejected   RecipientStatus = "rejected"       // 02
	RecipientRegistered RecipientStatus = "registered"     // 03
	RecipientAssigned   RecipientStatus = "assigned"       // 04
	RecipientInProgress RecipientStatus = "in_progress"    // 05
	RecipientCompleted  RecipientStatus = "completed"      // 06
	RecipientRecalled   RecipientStatus = "recalled"       // 15: agreed to the recall
	RecipientRefused    RecipientStatus = "recall_refused" // 16
)

// Document is the metadata of a document (Phụ lục VI), outgoing or incoming.
type Document struct {
	ID        int64
	AgencyID  int64 // the agency whose registers hold the document
	Direction Direction
	Type      TypeCode
	// CodeNumber and CodeNotation are "Số" and "ký hiệu" (edXML Code): "05" and
	// "QĐ-UBND". Empty on an outgoing document until its number is issued.
	CodeNumber    string
	CodeNotation  string
	Place         string     // địa danh, e.g. "Phú Lương"
	IssuedDate    *time.Time // ngày ban hành (date only); nil until issued
	Subject       string     // trích yếu, ≤ 500 characters
	Content       string     // text of the document for search (extracted or typed)
	IssuerOrganID string     // OrganId of the issuing agency
	IssuerName    string     // OrganName of the issuing agency
	Signer        SignerInfo
	Recipients    []Recipient
	ToPlaces      []string // "Nơi nhận" lines as printed
	Urgency       Urgency
	Secrecy       Secrecy
	PageCount     int
	IssuedAmount  int // số lượng bản
	DueDate       *time.Time
	Language      string // ISO 639-1, "vi" by default
	// ExternalID is the edXML DocumentId, `{OrganId},{yyyy/MM/dd},{number}/{notation}`,
	// the duplicate key between agencies.
	ExternalID string
	UnitID     int64 // drafting unit (outgoing) or 0
	CreatedBy  int64
	CreatedAt  time.Time

	// Outgoing only.
	OutgoingState OutgoingState
	// Incoming only.
	IncomingState IncomingState
	ArrivalNumber int        // số đến, 0 until registered
	ArrivalDate   *time.Time // ngày đến
	Paper         bool       // received on paper and scanned
}

// TypeName returns the printed type name.
func (d *Document) TypeName() string {
	t, _ := LookupType(d.Type)
	return t.Name
}

// NumberSymbol is "05/QĐ-UBND", or "" when no number is issued.
func (d *Document) NumberSymbol() string {
	if d.CodeNumber == "" {
		return ""
	}
	return d.CodeNumber + "/" + d.CodeNotation
}

// FormatNumber writes a register number with the leading zero the decree asks for
// below 10: 5 → "05", 123 → "123".
func FormatNumber(n int) string { return fmt.Sprintf("%02d", n) }

// Notation builds the ký hiệu of an outgoing document: the type abbreviation, the
// issuing body abbreviation and, optionally, the drafting unit. A công văn (and a thư
// công) has no type abbreviation, so its notation is body then unit: "UBND-VP".
func Notation(t DocType, agencyAbbr, unitAbbr string) string {
	parts := make([]string, 0, 3)
	if t.Abbreviation != "" {
		parts = append(parts, t.Abbreviation)
	}
	parts = append(parts, agencyAbbr)
	if unitAbbr != "" {
		parts = append(parts, unitAbbr)
	}
	return strings.Join(parts, "-")
}

// PrintedNumber is the line printed on the document: "Số: 05/QĐ-UBND".
func PrintedNumber(number int, notation string) string {
	return "Số: " + FormatNumber(number) + "/" + notation
}

// ExternalID builds the edXML DocumentId convention for an issued document.
func ExternalID(organID string, issued time.Time, number, notation string) string {
	return organID + "," + issued.Format("2006/01/02") + "," + number + "/" + notation
}

// OutgoingState is a state of the outgoing lifecycle (Điều 10–19). The transitions
// between states are listed in outgoingTransitions; the database enforces the set of
// states with a CHECK constraint.
type OutgoingState string

// Outgoing states, in lifecycle order.
const (
	OutDraft            OutgoingState = "draft"             // dự thảo
	OutInReview         OutgoingState = "in_review"         // trình lãnh đạo phòng
	OutReturned         OutgoingState = "returned"          // trả lại để sửa
	OutApproved         OutgoingState = "approved"          // lãnh đạo phòng đã duyệt
	OutPendingSignature OutgoingState = "pending_signature" // trình ký
	OutSigned           OutgoingState = "signed"            // người có thẩm quyền đã ký
	OutNumbered         OutgoingState = "numbered"          // đã cấp số
	OutSealed           OutgoingState = "sealed"            // văn thư đã ký số cơ quan
	OutSent             OutgoingState = "sent"              // đã phát hành
	OutRecalled         OutgoingState = "recalled"          // đã thu hồi
	OutReplaced         OutgoingState = "replaced"          // đã bị thay thế
)

// IncomingState is a state of the incoming lifecycle (Điều 20–24).
type IncomingState string

// Incoming states, in lifecycle order.
const (
	InReceived   IncomingState = "received"    // tiếp nhận, chưa kiểm tra
	InRejected   IncomingState = "rejected"    // trả lại nơi gửi
	InRegistered IncomingState = "registered"  // vào sổ, có số đến
	InSubmitted  IncomingState = "submitted"   // trình lãnh đạo
	InAssigned   IncomingState = "assigned"    // lãnh đạo đã phân công
	InProgress   IncomingState = "in_progress" // đang xử lý
	InCompleted  IncomingState = "completed"   // hoàn thành
	InFiled      IncomingState = "filed"       // đã lập hồ sơ
	InRecalled   IncomingState = "recalled"    // nơi gửi thu hồi, bản đến đã hủy
	InReplaced   IncomingState = "replaced"    // nơi gửi đã gửi văn bản thay thế
)

// EventCode is an edXML status code emitted by the incoming lifecycle; the exchange
// turns each event into a status package for the sender.
type EventCode string

// The events of the incoming lifecycle, explicit so that the exchange can map them.
const (
	EventArrived    EventCode = "01" // đã đến
	EventRejected   EventCode = "02" // từ chối tiếp nhận
	EventRegistered EventCode = "03" // đã tiếp nhận (vào sổ)
	EventAssigned   EventCode = "04" // phân công
	EventInProgress EventCode = "05" // đang xử lý
	EventCompleted  EventCode = "06" // hoàn thành
	// The answers of a recipient's clerk to a change its sender asked for.
	EventChangeAccepted EventCode = "15" // đồng ý thu hồi / cập nhật
	EventChangeRefused  EventCode = "16" // từ chối thu hồi / cập nhật
)

// StatusRecallRequest is the edXML status by which a sender asks to take a document
// back (yêu cầu lấy lại), the same request as a package of business type 1.
const StatusRecallRequest = "13"

// Business types of an edXML package (BussinessDocType): what it does to the document.
const (
	BusinessNew     = 0 // a new document
	BusinessRevoke  = 1 // thu hồi
	BusinessUpdate  = 2 // cập nhật
	BusinessReplace = 3 // thay thế
)

// Role of a unit or person in an assignment (phân công xử lý).
type AssignmentRole string

// Assignment roles.
const (
	RoleLead        AssignmentRole = "chu_tri"  // chủ trì: exactly one per document
	RoleCoordinate  AssignmentRole = "phoi_hop" // phối hợp
	RoleInformation AssignmentRole = "de_biet"  // để biết
)
