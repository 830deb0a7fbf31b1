package docs

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// fixture is a small directory: two agencies (a district UBND and a commune), units in
// the first, and users with their roles.
type fixture struct {
	pool                *pgxpool.Pool
	district, commune   int64
	unitVP, unitTP      int64 // Văn phòng, Phòng Tư pháp of the district
	clerk, specialist   int64 // văn thư, chuyên viên (in VP)
	unitHead, leader    int64 // lãnh đạo phòng VP, lãnh đạo (chủ tịch)
	tpSpecialist, tpHead int64
	communeClerk        int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{pool: storetest.NewDB(t)}
	f.district = f.agency(t, "000.00.21.H55", "Ủy ban nhân dân huyện Phú Lương", "UBND", nil)
	f.commune = f.agency(t, "000.21.21.H55", "Ủy ban nhân dân xã Yên Ninh", "UBND", &f.district)
	f.unitVP = f.unit(t, f.district, "Văn phòng HĐND và UBND", "VP")
	f.unitTP = f.unit(t, f.district, "Phòng Tư pháp", "TP")
	f.clerk = f.user(t, "vanthu", "Nguyễn Thị Lan", f.district, f.unitVP, "Văn thư")
	f.specialist = f.user(t, "chuyenvien", "Trần Văn Minh", f.district, f.unitVP, "Chuyên viên")
	f.unitHead = f.user(t, "truongphong", "Lê Văn Hùng", f.district, f.unitVP, "Chánh Văn phòng")
	f.leader = f.user(t, "chutich", "Phạm Quốc Việt", f.district, 0, "Chủ tịch")
	f.tpSpecialist = f.user(t, "cvtuphap", "Đỗ Thị Hoa", f.district, f.unitTP, "Chuyên viên")
	f.tpHead = f.user(t, "tptuphap", "Vũ Đức Thắng", f.district, f.unitTP, "Trưởng phòng")
	f.communeClerk = f.user(t, "vanthuxa", "Hoàng Thị Mai", f.commune, 0, "Văn thư")
	return f
}

func (f *fixture) agency(t *testing.T, organID, name, abbr string, parent *int64) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(),
		`INSERT INTO agencies (organ_id, name, abbreviation, parent_id) VALUES ($1, $2, $3, $4) RETURNING id`,
		organID, name, abbr, parent).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) unit(t *testing.T, agency int64, name, abbr string) int64 {
	t.Helper()
	var id int64
	err := f.pool.QueryRow(context.Background(),
		`INSERT INTO units (agency_id, name, abbreviation) VALUES ($1, $2, $3) RETURNING id`,
		agency, name, abbr).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) user(t *testing.T, username, fullName string, agency, unit int64, position string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := f.pool.QueryRow(ctx,
		`INSERT INTO users (username, full_name, password_hash) VALUES ($1, $2, '') RETURNING id`,
		username, fullName).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	var unitID *int64
	if unit != 0 {
		unitID = &unit
	}
	_, err = f.pool.Exec(ctx, `INSERT INTO memberships (user_id, agency_id, unit_id, position) VALUES ($1, $2, $3, $4)`,
		id, agency, unitID, position)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
