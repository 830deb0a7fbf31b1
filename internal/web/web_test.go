package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/audit"
	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
	"edms/internal/store/storetest"
	"edms/internal/web"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const demoPassword = "PhuLuong@2026"

// newDemoServer serves the seeded demo network from a fresh database.
func newDemoServer(t *testing.T) (*httptest.Server, *web.Server) {
	t.Helper()
	pool := storetest.NewDB(t)
	if err := demo.Seed(context.Background(), pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	return serveDemo(t, pool, web.Config{}, nil)
}

// seededWithKeys is a seeded demo database with the demo's keys provisioned in a
// temporary keyring.
func seededWithKeys(t *testing.T) (*pgxpool.Pool, docsign.Keyring) {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	if err := demo.Seed(ctx, pool, demoPassword); err != nil {
		t.Fatal(err)
	}
	keys := docsign.Keyring{Dir: t.TempDir(), Password: "test-keys"}
	if err := demo.ProvisionKeys(ctx, pool, keys); err != nil {
		t.Fatal(err)
	}
	return pool, keys
}

// newSigningDemoServer is the demo as `edms demo` runs it: keys provisioned, documents
// signed for real and seeded at every step, signatures checked against the demo root.
func newSigningDemoServer(t *testing.T) (*httptest.Server, *web.Server) {
	t.Helper()
	pool, keys := seededWithKeys(t)
	trust, err := signing.LoadTrustStore(keys.TrustDir())
	if err != nil {
		t.Fatal(err)
	}
	return serveDemo(t, pool, web.Config{Trust: trust, AgencyKeys: keys}, &docsign.Hook{Keys: keys, Layout: docsign.FormLayout})
}

func serveDemo(t *testing.T, pool *pgxpool.Pool, cfg web.Config, hook docs.SigningHook) (*httptest.Server, *web.Server) {
	t.Helper()
	ctx := context.Background()
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	documents := &docs.Service{Pool: pool, Access: enforcer, Signing: hook, Queue: storetest.InsertOnlyQueue(t, pool)}
	if hook != nil {
		if err := demo.SeedDocuments(ctx, documents); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := web.NewServer(cfg, pool, enforcer, documents)
	if err != nil {
		t.Fatal(err)
	}
	return newTestServer(t, srv), srv
}

// newTestServer serves srv on a loopback port until the test ends.
func newTestServer(t *testing.T, srv *web.Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// TestEveryRouteHasAPermission walks the router: each route must have been declared
// with a permission rule, and each non-public one must refuse an anonymous caller.
func TestEveryRouteHasAPermission(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	router := srv.Router()
	n := 0
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil || route.GetHandler() == nil {
			return nil // a subrouter prefix, not a route
		}
		n++
		name := route.GetName()
		rule, ok := srv.RouteRule(name)
		if !ok {
			t.Errorf("route %q (%s) has no permission rule", name, path)
			return nil
		}
		if rule == "public" {
			return nil
		}
		methods, _ := route.GetMethods()
		concrete, err := concretePath(route)
		if err != nil {
			t.Fatalf("route %s: %v", name, err)
		}
		for _, m := range methods {
			req, _ := http.NewRequest(m, ts.URL+concrete, nil)
			resp, err := noRedirect().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusSeeOther {
				t.Errorf("%s %s (%s) answered %d to an anonymous caller", m, path, rule, resp.StatusCode)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("walked only %d routes", n)
	}
}

// concretePath fills every variable of a route with 2026, which every pattern accepts.
func concretePath(route *mux.Route) (string, error) {
	names, err := route.GetVarNames()
	if err != nil {
		return "", err
	}
	var pairs []string
	for _, n := range names {
		value := "2026"
		if n == "fp" { // a certificate's SHA-256 fingerprint
			value = strings.Repeat("ab", 32)
		}
		pairs = append(pairs, n, value)
	}
	u, err := route.URLPath(pairs...)
	if err != nil {
		return "", err
	}
	return u.Path, nil
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// browser is a cookie-keeping client that signs in through the form.
type browser struct {
	t      *testing.T
	base   string
	client *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, client: &http.Client{Jar: jar}}
}

var csrfField = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.client.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	resp, err := b.client.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) login(username, password string) (int, string) {
	b.t.Helper()
	_, page := b.get("/login")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("no CSRF token on the sign-in form")
	}
	return b.post("/login", url.Values{"csrf_token": {m[1]}, "username": {username}, "password": {password}})
}

func TestSignInHomeAndSignOut(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	b := newBrowser(t, ts.URL)
	status, page := b.login("chutich.huyen", demoPassword)
	if status != http.StatusOK || !strings.Contains(page, "Xin chào, Nguyễn Văn Nghĩa") {
		t.Fatalf("home after sign-in: %d\n%s", status, page)
	}
	for _, want := range []string{"Ủy ban nhân dân huyện Phú Lương", "Lãnh đạo cơ quan", "Ký số văn bản"} {
		if !strings.Contains(page, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	if strings.Contains(page, "Vào sổ văn bản đến") {
		t.Error("a leader is offered the clerk's registration")
	}
	token := csrfField.FindStringSubmatch(page)[1]

	// A form post without the CSRF token is refused.
	if status, _ := b.post("/logout", url.Values{}); status != http.StatusForbidden {
		t.Errorf("logout without CSRF token: %d", status)
	}
	if status, _ := b.post("/logout", url.Values{"csrf_token": {token}}); status != http.StatusOK {
		t.Errorf("logout: %d", status)
	}
	if _, page := b.get("/"); !strings.Contains(page, "Đăng nhập") {
		t.Error("still signed in after sign-out")
	}
}

func TestSignInRefusals(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	b := newBrowser(t, ts.URL)
	status, page := b.login("vanthu.huyen", "wrong password")
	if status != http.StatusUnauthorized || !strings.Contains(page, "Tên đăng nhập hoặc mật khẩu không đúng") {
		t.Errorf("wrong password: %d", status)
	}
	for range access.FailuresBeforeBackoff {
		b.login("vanthu.huyen", "wrong password")
	}
	status, page = b.login("vanthu.huyen", demoPassword)
	if status != http.StatusTooManyRequests || !strings.Contains(page, "quá nhiều lần") {
		t.Errorf("throttled sign-in: %d", status)
	}
	// A forged sign-in post without the form's token is refused.
	resp, err := http.PostForm(ts.URL+"/login", url.Values{"username": {"chutich.huyen"}, "password": {demoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without CSRF: %d", resp.StatusCode)
	}
}

func apiCall(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func errorCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

func TestAPIWithTokens(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	ctx := context.Background()
	pool := srv.Pool()
	admin, clerk := apiToken(t, pool, "quantri.huyen"), apiToken(t, pool, "vanthu.huyen")

	if status, out := apiCall(t, "GET", ts.URL+"/api/v1/me", clerk, ""); status != 200 || out["full_name"] != "Nguyễn Thị Hoa" {
		t.Errorf("me: %d %v", status, out)
	}
	if status, out := apiCall(t, "GET", ts.URL+"/api/v1/agencies", clerk, ""); status != 200 || len(out["agencies"].([]any)) < 9 {
		t.Errorf("agencies: %d %v", status, out)
	}
	if status, out := apiCall(t, "GET", ts.URL+"/api/v1/users", clerk, ""); status != 403 || errorCode(out) != "forbidden" {
		t.Errorf("clerk lists users: %d %v", status, out)
	}
	if status, _ := apiCall(t, "GET", ts.URL+"/api/v1/me", "edms_forged", ""); status != 401 {
		t.Errorf("forged token: %d", status)
	}

	tests := []struct {
		name, body string
		status     int
		code       string
	}{
		{"created", `{"username":"chuyenvien.nv","full_name":"Lý Thị Nga","password":"Đồi-chè-Phú-Lương","unit":"NV","roles":["chuyen_vien"]}`, 201, ""},
		{"duplicate", `{"username":"chuyenvien.nv","full_name":"Khác","password":"Đồi-chè-Phú-Lương","roles":["chuyen_vien"]}`, 409, "username_taken"},
		{"weak password", `{"username":"weak.pw","full_name":"Yếu","password":"123","roles":["chuyen_vien"]}`, 400, "password_weak"},
		{"unknown role", `{"username":"giamdoc","full_name":"X","password":"Đồi-chè-Phú-Lương","roles":["giam_doc"]}`, 400, "role_unknown"},
		{"bad username", `{"username":"Có Dấu","full_name":"X","password":"Đồi-chè-Phú-Lương","roles":["van_thu"]}`, 400, "username_invalid"},
		{"unknown unit", `{"username":"nounit","full_name":"X","password":"Đồi-chè-Phú-Lương","unit":"ZZ","roles":["van_thu"]}`, 400, "unit_unknown"},
		{"not json", `{"username":`, 400, "body_invalid"},
	}
	for _, tt := range tests {
		status, out := apiCall(t, "POST", ts.URL+"/api/v1/users", admin, tt.body)
		if status != tt.status || errorCode(out) != tt.code {
			t.Errorf("%s: %d %v, want %d %q", tt.name, status, out, tt.status, tt.code)
		}
	}
	if _, err := org.UserByUsername(ctx, pool, "weak.pw"); err == nil {
		t.Error("a refused user was stored")
	}
	if status, out := apiCall(t, "GET", ts.URL+"/api/v1/audit/verify", admin, ""); status != 200 || out["intact"] != true {
		t.Errorf("audit verify: %d %v", status, out)
	}
	created, err := org.UserByUsername(ctx, pool, "chuyenvien.nv")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := audit.ForObject(ctx, pool, "user", fmt.Sprint(created.ID))
	if err != nil || len(entries) != 1 || entries[0].Action != "user.create" || entries[0].Actor != "quantri.huyen" {
		t.Errorf("audit of the created user: %+v %v", entries, err)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	ts, _ := newDemoServer(t)
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
}

// TestFollowUpPages: the handler sees the deadline on the home page, the leader the
// handling statistics of the commune.
func TestFollowUpPages(t *testing.T) {
	t.Parallel()
	ts, srv := newSigningDemoServer(t)
	// The reminder job, run as for a day when the deadline is within a week.
	if n, err := docs.QueueReminders(context.Background(), srv.Pool(), docs.DateInVietnam(time.Now()), 7); err != nil || n != 1 {
		t.Fatalf("reminders queued: %d, %v", n, err)
	}
	officer := newBrowser(t, ts.URL)
	status, page := officer.login("chuyenvien.yenninh", demoPassword)
	if status != http.StatusOK || !strings.Contains(page, "Kiểm tra công tác văn thư") || !strings.Contains(page, "Còn 5 ngày") {
		t.Errorf("handler's home page: %d\n%s", status, page)
	}
	dismiss := regexp.MustCompile(`action="(/reminders/[0-9]+/dismiss)"`).FindStringSubmatch(page)
	if !strings.Contains(page, "Nhắc việc") || dismiss == nil {
		t.Fatalf("no reminder on the handler's home page:\n%s", page)
	}
	if status, page = officer.post(dismiss[1], url.Values{"csrf_token": {csrfField.FindStringSubmatch(page)[1]}}); status != http.StatusOK || strings.Contains(page, "Nhắc việc") {
		t.Errorf("after dismissing the reminder: %d", status)
	}
	chairman := newBrowser(t, ts.URL)
	_, page = chairman.login("chutich.huyen", demoPassword)
	waiting := page[strings.Index(page, "Văn bản chờ bạn xử lý"):strings.Index(page, "Hạn xử lý")]
	for _, want := range []string{"Đôn đốc thu ngân sách", "Giao chỉ tiêu chuyển đổi số"} {
		if !strings.Contains(waiting, want) {
			t.Errorf("the chairman is not shown %q as waiting:\n%s", want, waiting)
		}
	}
	specialist := newBrowser(t, ts.URL)
	_, page = specialist.login("chuyenvien.tckh", demoPassword)
	waiting = page[strings.Index(page, "Văn bản chờ bạn xử lý"):strings.Index(page, "Hạn xử lý")]
	if !strings.Contains(waiting, "Không có văn bản nào chờ bạn") {
		t.Errorf("the specialist, whose drafts are all submitted, is shown:\n%s", waiting)
	}
	if status, _ := officer.get("/statistics"); status != http.StatusForbidden {
		t.Errorf("a specialist opened the statistics: %d", status)
	}
	leader := newBrowser(t, ts.URL)
	leader.login("chutich.yenninh", demoPassword)
	status, page = leader.get("/statistics")
	if status != http.StatusOK || !strings.Contains(page, "Đặng Văn Sơn") || !strings.Contains(page, "xử lý đúng hạn") {
		t.Errorf("statistics: %d\n%s", status, page)
	}
	if status, _ := leader.get("/statistics?from=2026-13-01"); status != http.StatusBadRequest {
		t.Errorf("bad date: %d", status)
	}
}
