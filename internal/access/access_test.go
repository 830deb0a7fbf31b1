package access_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/org"
	"edms/internal/store"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const goodPassword = "Rừng-cọ-đồi-chè-2026"

type fixture struct {
	pool          *pgxpool.Pool
	agency, other int64
	users         map[access.Role]int64
	multi         int64 // van_thu in agency, chuyen_vien in other
	enforcer      *access.Enforcer
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	f := &fixture{pool: pool, users: map[access.Role]int64{}}
	for i, ag := range []*org.Agency{
		{OrganID: "000.00.09.H56", Name: "UBND huyện Phú Lương", Abbreviation: "UBND"},
		{OrganID: "000.01.09.H56", Name: "UBND xã Yên Ninh", Abbreviation: "UBND"},
	} {
		if _, _, err := org.SaveAgency(ctx, pool, ag); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.agency = ag.ID
		} else {
			f.other = ag.ID
		}
	}
	for _, r := range access.Roles {
		u := &org.User{Username: "u-" + strings.ReplaceAll(string(r.Role), "_", "-"), FullName: r.Label}
		if err := access.CreateAccount(ctx, pool, u, goodPassword, []access.Placement{{AgencyID: f.agency, Roles: []access.Role{r.Role}}}, access.Actor{Name: "test"}); err != nil {
			t.Fatal(err)
		}
		f.users[r.Role] = u.ID
	}
	multi := &org.User{Username: "multi", FullName: "Hai cơ quan"}
	err := access.CreateAccount(ctx, pool, multi, goodPassword, []access.Placement{
		{AgencyID: f.agency, Roles: []access.Role{access.VanThu}},
		{AgencyID: f.other, Roles: []access.Role{access.ChuyenVien}},
	}, access.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	f.multi = multi.ID
	if f.enforcer, err = access.NewEnforcer(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestPermissionMatrix checks every role × every permission × own agency / other agency.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	all := access.AllPermissions()
	if len(all) < 20 {
		t.Fatalf("only %d permissions in the catalogue", len(all))
	}
	for _, r := range access.Roles {
		granted := access.PermissionsOf(r.Role)
		for _, p := range all {
			want := slices.Contains(granted, p)
			if got := f.enforcer.Can(f.users[r.Role], f.agency, p); got != want {
				t.Errorf("%s in own agency, %s: got %v, want %v", r.Role, p, got, want)
			}
			if f.enforcer.Can(f.users[r.Role], f.other, p) {
				t.Errorf("%s in another agency, %s: allowed", r.Role, p)
			}
		}
	}
	// Different roles in different agencies.
	if !f.enforcer.Can(f.multi, f.agency, access.IncomingRegister) || f.enforcer.Can(f.multi, f.other, access.IncomingRegister) {
		t.Error("multi-agency user: register incoming should be allowed only where they are van_thu")
	}
	if !f.enforcer.Can(f.multi, f.other, access.IncomingHandle) || f.enforcer.Can(f.multi, f.agency, access.IncomingHandle) {
		t.Error("multi-agency user: handle should be allowed only where they are chuyen_vien")
	}
}

func TestGrantReachesOtherInstances(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	second, err := access.NewEnforcer(ctx, f.pool) // another server on the same database
	if err != nil {
		t.Fatal(err)
	}
	go second.Listen(ctx)
	user := f.users[access.ChuyenVien]
	if second.Can(user, f.agency, access.OutgoingSign) {
		t.Fatal("specialist may sign before the grant")
	}
	time.Sleep(200 * time.Millisecond) // let the listener subscribe
	err = store.InTx(ctx, f.pool, func(tx pgx.Tx) error { return access.GrantRole(ctx, tx, user, access.LanhDao, f.agency) })
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !second.Can(user, f.agency, access.OutgoingSign) {
		if time.Now().After(deadline) {
			t.Fatal("the grant did not reach the other instance")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGrantRefusesNonMembersAndUnknownRoles(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	err := store.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		return access.GrantRole(ctx, tx, f.users[access.VanThu], access.VanThu, f.other)
	})
	if !errors.Is(err, access.ErrNotMember) {
		t.Errorf("grant outside membership: %v", err)
	}
	if _, err := access.ParseRole("giam_doc"); err == nil || !strings.Contains(err.Error(), "van_thu") {
		t.Errorf("unknown role: %v", err)
	}
	u := &org.User{Username: "half", FullName: "Nửa chừng"}
	err = access.CreateAccount(ctx, f.pool, u, goodPassword, []access.Placement{{AgencyID: f.other, Roles: []access.Role{"giam_doc"}}}, access.Actor{Name: "test"})
	if err == nil {
		t.Fatal("account with unknown role created")
	}
	if _, err := org.UserByUsername(ctx, f.pool, "half"); !errors.Is(err, org.ErrUserNotFound) {
		t.Errorf("a refused account left a user row behind: %v", err)
	}
}

func TestPasswordStrength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ user, pw string }{
		{"an", ""}, {"an", "short"}, {"an", "1234567890"}, {"nguyenvanan", "nguyenvanan2026"}, {"an", "aaaaaaaaaaaa"},
	} {
		if err := access.CheckPasswordStrength(tc.user, tc.pw); !errors.Is(err, access.ErrWeakPassword) {
			t.Errorf("password %q for %s accepted", tc.pw, tc.user)
		}
	}
	if err := access.CheckPasswordStrength("an", goodPassword); err != nil {
		t.Error(err)
	}
	hash, err := access.HashPassword(goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := access.VerifyPassword(hash, goodPassword); !ok {
		t.Error("the right password does not verify")
	}
	if ok, _ := access.VerifyPassword(hash, goodPassword+"x"); ok {
		t.Error("a wrong password verifies")
	}
}

// TestSignInBackoffGrowsPerUserAndAddress replays failures at set times: each one past
// the free ones doubles the wait, and an address failing for many usernames is cut off.
func TestSignInBackoffGrowsPerUserAndAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	fail := func(username, ip string, n int, ago time.Duration) {
		t.Helper()
		if _, err := f.pool.Exec(ctx, `INSERT INTO login_failures (username, client_ip, at)
			SELECT $1, $2, now() - $4::interval FROM generate_series(1, $3)`, username, ip, n, ago.String()); err != nil {
			t.Fatal(err)
		}
	}
	// One failure past the free ones, 90 s ago: the 60 s wait is over.
	fail("u-lanh-dao", "10.1.0.1", access.FailuresBeforeBackoff+1, 90*time.Second)
	if _, err := access.Authenticate(ctx, f.pool, "u-lanh-dao", goodPassword, "10.1.0.1"); err != nil {
		t.Errorf("after a 60 s wait of 90 s: %v", err)
	}
	// Two past the free ones, 90 s ago: 120 s to wait, 30 s of it left.
	fail("u-van-thu", "10.1.0.2", access.FailuresBeforeBackoff+2, 90*time.Second)
	var throttled *access.ThrottledError
	if _, err := access.Authenticate(ctx, f.pool, "u-van-thu", goodPassword, "10.1.0.2"); !errors.As(err, &throttled) ||
		throttled.Wait <= 0 || throttled.Wait > 30*time.Second {
		t.Errorf("after a 120 s wait of 90 s: %v", err)
	}
	// An address that failed for many usernames is refused for every one of them.
	for i := range access.MaxFailuresPerIP {
		fail(fmt.Sprint("guess-", i), "10.1.0.3", 1, time.Minute)
	}
	if _, err := access.Authenticate(ctx, f.pool, "u-lanh-dao", goodPassword, "10.1.0.3"); !errors.Is(err, access.ErrThrottled) {
		t.Errorf("an address past the cap: %v", err)
	}
}

func TestSignInThrottlingSessionsAndTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	name := "u-van-thu"
	if _, err := access.Authenticate(ctx, f.pool, name, goodPassword, "10.0.0.1"); err != nil {
		t.Fatalf("good sign-in: %v", err)
	}
	for i := range access.FailuresBeforeBackoff {
		if _, err := access.Authenticate(ctx, f.pool, name, fmt.Sprint("wrong", i), "10.0.0.2"); !errors.Is(err, access.ErrThrottled) && !errors.Is(err, access.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	var throttled *access.ThrottledError
	if _, err := access.Authenticate(ctx, f.pool, name, goodPassword, "10.0.0.2"); !errors.As(err, &throttled) || throttled.Wait > access.BackoffBase {
		t.Fatalf("after %d failures the right password was accepted from the same address: %v", access.FailuresBeforeBackoff, err)
	}
	if _, err := access.Authenticate(ctx, f.pool, name, goodPassword, "10.0.0.3"); err != nil {
		t.Fatalf("the user is locked out from another address: %v", err)
	}
	if _, err := access.Authenticate(ctx, f.pool, "nobody-here", goodPassword, "10.0.0.4"); !errors.Is(err, access.ErrBadCredentials) {
		t.Errorf("unknown user: %v", err)
	}

	uid := f.users[access.LanhDao]
	token, s, err := access.CreateSession(ctx, f.pool, uid, f.agency, "10.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	got, err := access.SessionByToken(ctx, f.pool, token)
	if err != nil || got.UserID != uid || got.CSRFToken != s.CSRFToken {
		t.Fatalf("session lookup: %+v, %v", got, err)
	}
	if err := access.SwitchAgency(ctx, f.pool, token, f.other); !errors.Is(err, access.ErrNotMember) {
		t.Errorf("switch to a non-member agency: %v", err)
	}
	if err := access.DisableAccount(ctx, f.pool, "u-lanh-dao", access.Actor{Name: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := access.SessionByToken(ctx, f.pool, token); !errors.Is(err, access.ErrNoSession) {
		t.Errorf("session of a disabled user still valid: %v", err)
	}
	if _, err := access.Authenticate(ctx, f.pool, "u-lanh-dao", goodPassword, "10.0.0.9"); !errors.Is(err, access.ErrDisabled) {
		t.Errorf("disabled user signed in: %v", err)
	}

	apiToken, err := access.CreateAPIToken(ctx, f.pool, f.users[access.VanThu], "gateway")
	if err != nil {
		t.Fatal(err)
	}
	if id, err := access.UserByAPIToken(ctx, f.pool, apiToken); err != nil || id != f.users[access.VanThu] {
		t.Errorf("API token: %d, %v", id, err)
	}
	if _, err := access.UserByAPIToken(ctx, f.pool, apiToken+"x"); !errors.Is(err, access.ErrNoSession) {
		t.Errorf("forged API token: %v", err)
	}
}

// TestListenerKeepsOffThePool runs the policy listener beside a pool of two
// connections, one of them busy: the other must stay free for requests.
func TestListenerKeepsOffThePool(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	small, err := store.OpenPool(ctx, f.pool.Config().ConnString(), store.PoolOptions{MaxConns: 2, AcquireTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	defer cancel() // stop the listener before closing its pool
	listener, err := access.NewEnforcer(ctx, small)
	if err != nil {
		t.Fatal(err)
	}
	go listener.Listen(ctx)
	for listening := false; !listening; time.Sleep(20 * time.Millisecond) {
		err := f.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'LISTEN%')`).Scan(&listening)
		if err != nil {
			t.Fatal(err)
		}
	}
	busy, err := small.Acquire(ctx)
	if err != nil {
		t.Fatalf("no connection left beside the listener: %v", err)
	}
	defer busy.Release()
	if _, err := small.Exec(ctx, `SELECT 1`); err != nil {
		t.Errorf("a request could not get a connection while the listener runs: %v", err)
	}
}
