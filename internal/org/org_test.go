package org_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"edms/internal/org"
	"edms/internal/store"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// A two-level province (since July 2025): departments and communes directly under the
// provincial UBND, children listed before their parent in the file.
const twoLevelCSV = `organ_id,name,abbreviation,parent_organ_id,address
000.01.00.H56,UBND xã Phú Lương,UBND,000.00.00.H56,Phú Lương
000.00.00.H56,Ủy ban nhân dân tỉnh Thái Nguyên,UBND,,Thái Nguyên
000.00.11.H56,Sở Tài chính tỉnh Thái Nguyên,STC,000.00.00.H56,
000.02.11.H56,Phòng Ngân sách,PNS,000.00.11.H56,
28.22.H17,Đơn vị mã cũ,DVC,000.00.00.H56,
bad id,Không hợp lệ,KHL,,
000.03.00.H56,Mồ côi,MC,000.99.99.H99,
000.04.00.H56,,UBND,000.00.00.H56,
`

func importCSV(t *testing.T, pool interface {
	Begin(context.Context) (pgx.Tx, error)
}, data string) *org.ImportReport {
	t.Helper()
	entries, err := org.ReadDirectoryCSV(strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	report, err := org.ImportDirectory(ctx, tx, entries)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return report
}

func TestImportDirectoryIsIdempotentAndReports(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	first := importCSV(t, pool, twoLevelCSV)
	if len(first.Created) != 5 {
		t.Errorf("created %v, want 5 agencies", first.Created)
	}
	rejected := map[string]string{}
	for _, r := range first.Rejected {
		rejected[r.OrganID] = r.Reason
	}
	for _, id := range []string{"bad id", "000.03.00.H56", "000.04.00.H56"} {
		if _, ok := rejected[id]; !ok {
			t.Errorf("%q was not rejected (rejected: %v)", id, rejected)
		}
	}
	if !strings.Contains(rejected["000.04.00.H56"], "name is empty") {
		t.Errorf("reason for the nameless row: %q", rejected["000.04.00.H56"])
	}
	if len(first.Warnings) != 1 || !strings.Contains(first.Warnings[0], "28.22.H17") {
		t.Errorf("warnings = %v, want one about 28.22.H17", first.Warnings)
	}

	second := importCSV(t, pool, twoLevelCSV)
	if len(second.Created)+len(second.Updated) != 0 || len(second.Unchanged) != 5 {
		t.Errorf("second import changed something: %+v", second)
	}

	renamed := strings.Replace(twoLevelCSV, "Sở Tài chính tỉnh Thái Nguyên", "Sở Tài chính", 1)
	third := importCSV(t, pool, renamed)
	if len(third.Updated) != 1 || third.Updated[0] != "000.00.11.H56" {
		t.Errorf("updated = %v, want the renamed department only", third.Updated)
	}

	tree, err := org.AgencyTree(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	depth := map[string]int{}
	for _, e := range tree {
		depth[e.OrganID] = e.Depth
	}
	if depth["000.00.00.H56"] != 0 || depth["000.00.11.H56"] != 1 || depth["000.02.11.H56"] != 2 || depth["000.01.00.H56"] != 1 {
		t.Errorf("tree depths = %v", depth)
	}
}

func TestSaveAgencyRefusesCycles(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	a := &org.Agency{OrganID: "000.00.00.H56", Name: "Tỉnh", Abbreviation: "UBND"}
	b := &org.Agency{OrganID: "000.00.09.H56", Name: "Huyện", Abbreviation: "UBND"}
	for _, ag := range []*org.Agency{a, b} {
		if _, _, err := org.SaveAgency(ctx, pool, ag); err != nil {
			t.Fatal(err)
		}
	}
	b.ParentID = &a.ID
	if _, _, err := org.SaveAgency(ctx, pool, b); err != nil {
		t.Fatal(err)
	}
	a.ParentID = &b.ID
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		_, _, err := org.SaveAgency(ctx, tx, a)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "loops back") {
		t.Fatalf("cycle accepted: %v", err)
	}
}

func TestUsersAndMemberships(t *testing.T) {
	t.Parallel()
	pool := storetest.NewDB(t)
	ctx := context.Background()
	district := &org.Agency{OrganID: "000.00.09.H56", Name: "UBND huyện Phú Lương", Abbreviation: "UBND"}
	commune := &org.Agency{OrganID: "000.01.09.H56", Name: "UBND xã Yên Ninh", Abbreviation: "UBND"}
	for _, ag := range []*org.Agency{district, commune} {
		if _, _, err := org.SaveAgency(ctx, pool, ag); err != nil {
			t.Fatal(err)
		}
	}
	office := &org.Unit{AgencyID: district.ID, Name: "Văn phòng HĐND và UBND", Abbreviation: "VP"}
	if _, err := org.SaveUnit(ctx, pool, office); err != nil {
		t.Fatal(err)
	}
	u := &org.User{Username: "Nguyen.Van.A", FullName: "Nguyễn Văn A", PasswordHash: "x"}
	if err := org.CreateUser(ctx, pool, u); err != nil {
		t.Fatal(err)
	}
	dup := &org.User{Username: "nguyen.van.a", FullName: "Khác", PasswordHash: "x"}
	if err := org.CreateUser(ctx, pool, dup); !errors.Is(err, org.ErrDuplicateUser) {
		t.Errorf("duplicate username: %v", err)
	}
	if err := org.CreateUser(ctx, pool, &org.User{Username: "a b", FullName: "X", PasswordHash: "x"}); err == nil {
		t.Error("username with a space accepted")
	}
	if err := org.SaveMembership(ctx, pool, org.Membership{UserID: u.ID, AgencyID: commune.ID, UnitID: &office.ID}); err == nil {
		t.Error("unit of another agency accepted")
	}
	for _, m := range []org.Membership{{UserID: u.ID, AgencyID: district.ID, UnitID: &office.ID, Position: "Chuyên viên"}, {UserID: u.ID, AgencyID: commune.ID}} {
		if err := org.SaveMembership(ctx, pool, m); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := org.Memberships(ctx, pool, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].UnitName != "Văn phòng HĐND và UBND" {
		t.Errorf("memberships = %+v", ms)
	}
}
