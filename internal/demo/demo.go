// Package demo creates the demonstration network of `edms demo`: the district of Phú
// Lương from the article the project started from (the district People's Committee
// with its office and departments, its towns and communes), the Provincial People's
// Committee of Thái Nguyên above it, and a user for every role. Seeding is idempotent:
// running it again changes nothing, and it never overwrites a password someone changed.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/org"
)

// agencySeed is an agency of the demo network with its units.
type agencySeed struct {
	org.Agency
	Parent string // organ_id of the parent
	Units  []org.Unit
}

// Organ identifiers follow NNN.NN.NN.XNN: H56 is the province at level 1, the
// district is level 2 (09), its communes level 3.
const (
	ProvinceID = "000.00.00.H56"
	DistrictID = "000.00.09.H56"
	DuTownID   = "000.01.09.H56"
	GiangTien  = "000.02.09.H56"
	YenNinhID  = "000.03.09.H56"
)

var agencies = []agencySeed{
	{Agency: org.Agency{OrganID: ProvinceID, Name: "Ủy ban nhân dân tỉnh Thái Nguyên", Abbreviation: "UBND",
		Address: "Số 18 đường Nha Trang, TP. Thái Nguyên", Email: "ubnd@thainguyen.gov.vn", Phone: "0208 3855 233"},
		Units: []org.Unit{{Name: "Văn phòng Ủy ban nhân dân tỉnh", Abbreviation: "VP"}}},
	{Agency: org.Agency{OrganID: DistrictID, Name: "Ủy ban nhân dân huyện Phú Lương", Abbreviation: "UBND",
		Address: "Thị trấn Đu, huyện Phú Lương, tỉnh Thái Nguyên", Email: "ubndphuluong@thainguyen.gov.vn", Phone: "0208 3874 003"},
		Parent: ProvinceID,
		Units: []org.Unit{
			{Name: "Văn phòng HĐND và UBND", Abbreviation: "VP"},
			{Name: "Phòng Nội vụ", Abbreviation: "NV"},
			{Name: "Phòng Tư pháp", Abbreviation: "TP"},
			{Name: "Phòng Tài chính - Kế hoạch", Abbreviation: "TCKH"},
			{Name: "Phòng Kinh tế và Hạ tầng", Abbreviation: "KTHT"},
			{Name: "Phòng Tài nguyên và Môi trường", Abbreviation: "TNMT"},
			{Name: "Phòng Lao động - Thương binh và Xã hội", Abbreviation: "LĐTBXH"},
			{Name: "Phòng Văn hóa và Thông tin", Abbreviation: "VHTT"},
			{Name: "Phòng Giáo dục và Đào tạo", Abbreviation: "GDĐT"},
			{Name: "Phòng Y tế", Abbreviation: "YT"},
			{Name: "Phòng Nông nghiệp và Phát triển nông thôn", Abbreviation: "NN"},
			{Name: "Thanh tra huyện", Abbreviation: "TTr"},
		}},
	commune(DuTownID, "Ủy ban nhân dân thị trấn Đu"),
	commune(GiangTien, "Ủy ban nhân dân thị trấn Giang Tiên"),
	commune(YenNinhID, "Ủy ban nhân dân xã Yên Ninh"),
	commune("000.04.09.H56", "Ủy ban nhân dân xã Yên Đổ"),
	commune("000.05.09.H56", "Ủy ban nhân dân xã Động Đạt"),
	commune("000.06.09.H56", "Ủy ban nhân dân xã Phấn Mễ"),
	commune("000.07.09.H56", "Ủy ban nhân dân xã Ôn Lương"),
}

func commune(organID, name string) agencySeed {
	return agencySeed{Agency: org.Agency{OrganID: organID, Name: name, Abbreviation: "UBND"}, Parent: DistrictID,
		Units: []org.Unit{{Name: "Văn phòng - Thống kê", Abbreviation: "VP"}}}
}

// Account is a demo login.
type Account struct {
	Username string
	FullName string
	Agency   string // organ_id
	Unit     string // unit abbreviation
	Position string
	Role     access.Role
}

// Accounts are the demo logins, one or more per role.
var Accounts = []Account{
	{"vanthu.huyen", "Nguyễn Thị Hoa", DistrictID, "VP", "Văn thư", access.VanThu},
	{"chuyenvien.tckh", "Trần Văn Đức", DistrictID, "TCKH", "Chuyên viên", access.ChuyenVien},
	{"truongphong.tckh", "Lê Thị Mai", DistrictID, "TCKH", "Trưởng phòng", access.LanhDaoPhong},
	{"chutich.huyen", "Nguyễn Văn Nghĩa", DistrictID, "", "Chủ tịch", access.LanhDao},
	{"phochutich.huyen", "Hà Minh Quân", DistrictID, "", "Phó Chủ tịch", access.LanhDao},
	{"quantri.huyen", "Phạm Quốc Hùng", DistrictID, "VP", "Quản trị hệ thống", access.QuanTri},
	{"vanthu.yenninh", "Hoàng Thị Lan", YenNinhID, "VP", "Văn phòng - Thống kê", access.VanThu},
	{"chuyenvien.yenninh", "Đặng Văn Sơn", YenNinhID, "VP", "Công chức", access.ChuyenVien},
	{"chutich.yenninh", "Vũ Văn Thắng", YenNinhID, "", "Chủ tịch", access.LanhDao},
	{"vanthu.du", "Bùi Thị Thu", DuTownID, "VP", "Văn phòng - Thống kê", access.VanThu},
	{"chutich.du", "Ngô Văn Bình", DuTownID, "", "Chủ tịch", access.LanhDao},
	{"vanthu.tinh", "Đỗ Thị Hằng", ProvinceID, "VP", "Văn thư", access.VanThu},
	{"lanhdao.tinh", "Trịnh Việt Hùng", ProvinceID, "", "Chủ tịch", access.LanhDao},
}

// DefaultPassword is the password of new demo accounts unless another is given.
const DefaultPassword = "PhuLuong@2026"

// Installation is one installation (node) of the demo network and the agencies it
// hosts; the others reach them through the exchange.
type Installation struct {
	Name     string   // the node's name on the network
	Agencies []string // organ ids of the agencies it hosts
}

// Installations split the demo network as the province runs it since July 2025: the
// province, the district with its departments, and the communes, each on its own node
// (the smaller communes share one), all members of the provincial hub.
var Installations = []Installation{
	{Name: "tinh", Agencies: []string{ProvinceID}},
	{Name: "huyen", Agencies: []string{DistrictID}},
	{Name: "du", Agencies: []string{DuTownID}},
	{Name: "yenninh", Agencies: []string{YenNinhID}},
	{Name: "xa", Agencies: []string{GiangTien, "000.04.09.H56", "000.05.09.H56", "000.06.09.H56", "000.07.09.H56"}},
}

// AgencyIDs lists the organ ids of every agency of the demo network, parents first.
func AgencyIDs() []string {
	ids := make([]string, len(agencies))
	for i, a := range agencies {
		ids[i] = a.OrganID
	}
	return ids
}

// Seed creates or completes the whole demo network in one database, giving new
// accounts the password.
func Seed(ctx context.Context, pool *pgxpool.Pool, password string) error {
	return SeedNode(ctx, pool, AgencyIDs(), password)
}

// SeedNode creates or completes one installation of the demo network: the hosted
// agencies with their units and accounts (new accounts get the password), and every
// other agency of the network as a directory entry without units or users, so that
// clerks can address them.
func SeedNode(ctx context.Context, pool *pgxpool.Pool, hosted []string, password string) error {
	for _, organID := range hosted {
		if !slices.Contains(AgencyIDs(), organID) {
			return fmt.Errorf("demo: %s is not an agency of the demo network", organID)
		}
	}
	ids := map[string]int64{}
	for _, seed := range agencies {
		a := seed.Agency
		if seed.Parent != "" {
			parent := ids[seed.Parent]
			a.ParentID = &parent
		}
		if _, _, err := org.SaveAgency(ctx, pool, &a); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		ids[a.OrganID] = a.ID
		if !slices.Contains(hosted, a.OrganID) {
			continue
		}
		for _, u := range seed.Units {
			u.AgencyID = a.ID
			if _, err := org.SaveUnit(ctx, pool, &u); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
		}
	}
	for _, acc := range Accounts {
		if !slices.Contains(hosted, acc.Agency) {
			continue
		}
		if err := seedAccount(ctx, pool, acc, ids[acc.Agency], password); err != nil {
			return fmt.Errorf("demo: account %s: %w", acc.Username, err)
		}
	}
	return nil
}

func seedAccount(ctx context.Context, pool *pgxpool.Pool, acc Account, agencyID int64, password string) error {
	if _, err := org.UserByUsername(ctx, pool, acc.Username); err == nil {
		return nil // exists: keep whatever its owner changed
	} else if !errors.Is(err, org.ErrUserNotFound) {
		return err
	}
	place := access.Placement{AgencyID: agencyID, Position: acc.Position, Roles: []access.Role{acc.Role}}
	if acc.Unit != "" {
		unit, err := org.UnitByAbbreviation(ctx, pool, agencyID, acc.Unit)
		if err != nil {
			return err
		}
		place.UnitID = &unit.ID
	}
	u := &org.User{Username: acc.Username, FullName: acc.FullName}
	return access.CreateAccount(ctx, pool, u, password, []access.Placement{place}, access.Actor{Name: "demo"})
}
