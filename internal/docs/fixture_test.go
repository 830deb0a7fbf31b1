package docs

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/store"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// fixture is a small directory: two agencies (a district UBND and a commune), units in
// the first, and users with their roles.
type fixture struct {
	url                  string
	pool                 *pgxpool.Pool
	district, commune    int64
	unitVP, unitTP       int64 // Văn phòng, Phòng Tư pháp of the district
	clerk, specialist    int64 // văn thư, chuyên viên (in VP)
	unitHead, leader     int64 // lãnh đạo phòng VP, lãnh đạo (chủ tịch)
	tpSpecialist, tpHead int64
	communeClerk         int64
	communeLeader        int64
	svc                  *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{url: storetest.NewDatabaseURL(t)}
	f.pool = storetest.NewPool(t, f.url)
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
	f.communeLeader = f.user(t, "chutichxa", "Ngô Văn Bình", f.commune, 0, "Chủ tịch")
	f.grant(t, map[int64][]access.Role{
		f.clerk: {access.VanThu}, f.specialist: {access.ChuyenVien}, f.unitHead: {access.LanhDaoPhong},
		f.leader: {access.LanhDao}, f.tpSpecialist: {access.ChuyenVien}, f.tpHead: {access.LanhDaoPhong},
	}, f.district)
	f.grant(t, map[int64][]access.Role{f.communeClerk: {access.VanThu}, f.communeLeader: {access.LanhDao}}, f.commune)
	enforcer, err := access.NewEnforcer(context.Background(), f.pool)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = &Service{Pool: f.pool, Access: enforcer, Queue: insertOnlyQueue(t, f.pool)}
	return f
}

func (f *fixture) grant(t *testing.T, roles map[int64][]access.Role, agency int64) {
	t.Helper()
	err := store.InTx(context.Background(), f.pool, func(tx pgx.Tx) error {
		for user, rs := range roles {
			for _, r := range rs {
				if err := access.GrantRole(context.Background(), tx, user, r, agency); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// in returns the actor for a user acting in the district.
func (f *fixture) in(user int64) Actor { return Actor{UserID: user, AgencyID: f.district} }

// samplePDF is a small real PDF with Vietnamese text.
func samplePDF(t *testing.T, text string) FileInput {
	t.Helper()
	return FileInput{Name: "du-thao.pdf", MediaType: MediaPDF, Content: bytes.NewReader(minimalPDF(text))}
}

// draft creates an outgoing draft by the specialist.
func (f *fixture) draft(t *testing.T, typ TypeCode, subject string, mutate func(*DraftInput)) int64 {
	t.Helper()
	in := DraftInput{Document: Document{Type: typ, Subject: subject, Place: "Phú Lương"}, File: samplePDF(t, subject)}
	if mutate != nil {
		mutate(&in)
	}
	id, err := f.svc.CreateDraft(context.Background(), f.in(f.specialist), in)
	if err != nil {
		t.Fatalf("create draft: %v", err)
	}
	return id
}

// toSigned walks a draft through review and signature.
func (f *fixture) toSigned(t *testing.T, id int64) {
	t.Helper()
	ctx := context.Background()
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, "Kính trình"))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, "Đồng ý"))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.Sign(ctx, f.in(f.leader), id, SignInput{}))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func date(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return &t
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
