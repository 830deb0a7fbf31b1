package access

import (
	"fmt"
	"slices"
)

// Role is a job in an agency. The Vietnamese names are the precise terms of the domain.
type Role string

// The roles of Nghị định 30's document flow.
const (
	VanThu       Role = "van_thu"        // clerk: registers incoming, issues numbers, applies the agency signature, sends
	ChuyenVien   Role = "chuyen_vien"    // specialist: drafts, handles assigned documents
	LanhDaoPhong Role = "lanh_dao_phong" // unit head: reviews drafts, assigns within the unit
	LanhDao      Role = "lanh_dao"       // agency leader: approves, signs, assigns
	QuanTri      Role = "quan_tri"       // agency administrator: users, roles, directory
)

// Roles lists every role, with the label a user reads.
var Roles = []struct {
	Role  Role
	Label string
}{
	{VanThu, "Văn thư"},
	{ChuyenVien, "Chuyên viên"},
	{LanhDaoPhong, "Lãnh đạo phòng"},
	{LanhDao, "Lãnh đạo cơ quan"},
	{QuanTri, "Quản trị"},
}

// ParseRole accepts a role name and refuses unknown ones with the list of known ones.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r.Role) == s {
			return r.Role, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: use one of van_thu, chuyen_vien, lanh_dao_phong, lanh_dao, quan_tri", s)
}

// Label returns the Vietnamese name of a role.
func (r Role) Label() string {
	for _, x := range Roles {
		if x.Role == r {
			return x.Label
		}
	}
	return string(r)
}

// Permission is an action on a kind of object, checked in the agency a user acts in.
type Permission struct {
	Object string
	Action string
}

func (p Permission) String() string { return p.Object + ":" + p.Action }

// The permissions of the system. Each HTTP route names one of them (or is public).
var (
	HomeView = Permission{"home", "view"} // any member of the agency

	OrgRead   = Permission{"org", "read"}
	OrgManage = Permission{"org", "manage"}
	UserRead  = Permission{"user", "read"}
	UserAdmin = Permission{"user", "manage"}
	AuditRead = Permission{"audit", "read"}

	OutgoingDraft   = Permission{"outgoing", "draft"}
	OutgoingReview  = Permission{"outgoing", "review"}
	OutgoingApprove = Permission{"outgoing", "approve"}
	OutgoingSign    = Permission{"outgoing", "sign"}
	OutgoingIssue   = Permission{"outgoing", "issue"}
	OutgoingSeal    = Permission{"outgoing", "seal"}
	OutgoingSend    = Permission{"outgoing", "send"}
	OutgoingRecall  = Permission{"outgoing", "recall"}
	OutgoingReadAll = Permission{"outgoing", "read_all"}

	IncomingReceive    = Permission{"incoming", "receive"}
	IncomingRegister   = Permission{"incoming", "register"}
	IncomingReturn     = Permission{"incoming", "return"}
	IncomingAssign     = Permission{"incoming", "assign"}
	IncomingAssignUnit = Permission{"incoming", "assign_unit"}
	IncomingHandle     = Permission{"incoming", "handle"}
	IncomingReadAll    = Permission{"incoming", "read_all"}

	DocumentRead  = Permission{"document", "read"} // read what visibility rules let one see
	RegisterPrint = Permission{"register", "print"}
	RegisterAdmin = Permission{"register", "manage"} // numbering series settings
	RecordManage  = Permission{"record", "manage"}   // hồ sơ: open, file into, close
	ReportRead    = Permission{"report", "read"}
	// SecretRead lets someone who sees a secret document (Mật and above), by grant or
	// as its keeper, grant it to another person (its keeper — the drafter, the clerk
	// who received it — may without it); secret documents are never visible through a
	// role alone.
	SecretRead   = Permission{"secret", "read"}
	ExchangeSend = Permission{"exchange", "send"}
	ExchangeRecv = Permission{"exchange", "receive"}
)

// rolePermissions is the role → permission matrix, the same in every agency.
var rolePermissions = map[Role][]Permission{
	VanThu: {HomeView, OrgRead, DocumentRead, OutgoingDraft, OutgoingIssue, OutgoingSeal, OutgoingSend, OutgoingRecall,
		OutgoingReadAll, IncomingReceive, IncomingRegister, IncomingReturn, IncomingReadAll, RegisterPrint, RecordManage,
		ReportRead, SecretRead, ExchangeSend, ExchangeRecv},
	ChuyenVien: {HomeView, OrgRead, DocumentRead, OutgoingDraft, IncomingHandle, RecordManage},
	LanhDaoPhong: {HomeView, OrgRead, DocumentRead, OutgoingDraft, OutgoingReview, OutgoingApprove, IncomingAssignUnit,
		IncomingHandle, RecordManage, ReportRead},
	LanhDao: {HomeView, OrgRead, DocumentRead, OutgoingApprove, OutgoingSign, OutgoingRecall, OutgoingReadAll,
		IncomingAssign, IncomingReadAll, IncomingHandle, RegisterPrint, ReportRead, SecretRead, AuditRead},
	QuanTri: {HomeView, OrgRead, OrgManage, UserRead, UserAdmin, AuditRead, RegisterAdmin},
}

// PermissionsOf returns the permissions a role grants.
func PermissionsOf(r Role) []Permission { return slices.Clone(rolePermissions[r]) }

// AllPermissions lists every permission some role grants, without repeats.
func AllPermissions() []Permission {
	var all []Permission
	for _, r := range Roles {
		for _, p := range rolePermissions[r.Role] {
			if !slices.Contains(all, p) {
				all = append(all, p)
			}
		}
	}
	return all
}
