package web_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"edms/internal/demo"
	"edms/internal/signing"
	"edms/internal/web"
)

// post sends a JSON body and fails the test unless the status is want.
func (c *apiClient) post(path, body string, want int) map[string]any {
	c.t.Helper()
	status, out := c.do("POST", path, "application/json", strings.NewReader(body))
	if status != want {
		c.t.Fatalf("POST %s: %d %v, want %d", path, status, out, want)
	}
	return out
}

// TestAdministrationAPI: the administrator creates an account, moves it to another
// unit with other roles, resets its password, disables and enables it, edits the
// directory; each change is in the audit list. The administrator cannot touch
// another agency's people nor drop their own role, and a specialist is refused.
func TestAdministrationAPI(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	admin := newAPIClient(t, ts, srv, "quantri.huyen")

	out := admin.post("/users", `{"username":"vanthu.moi","full_name":"Lý Thị Mới","password":"Ngay-moi-2027!","unit":"VP","roles":["van_thu"]}`, http.StatusCreated)
	id := int64(out["id"].(float64))
	admin.post(fmt.Sprintf("/users/%d/placement", id), `{"unit":"TCKH","position":"Chuyên viên","roles":["chuyen_vien"]}`, http.StatusOK)
	_, users := admin.do("GET", "/users", "", nil)
	if !strings.Contains(fmt.Sprint(users["users"]), "position:Chuyên viên unit:Phòng Tài chính - Kế hoạch username:vanthu.moi") {
		t.Errorf("after the move the users read %v", users["users"])
	}
	if out := admin.post(fmt.Sprintf("/users/%d/password", id), `{"password":"vanthu.moi-2027"}`, http.StatusBadRequest); errorCode(out) != "refused" {
		t.Errorf("a weak password: %v", out)
	}
	admin.post(fmt.Sprintf("/users/%d/password", id), `{"password":"Dem-trang-2027"}`, http.StatusOK)
	admin.post(fmt.Sprintf("/users/%d/disable", id), ``, http.StatusOK)
	if status, page := newBrowser(t, ts.URL).login("vanthu.moi", "Dem-trang-2027"); status != http.StatusForbidden || !strings.Contains(page, "Tài khoản đã bị khóa") {
		t.Errorf("a disabled account signs in: %d", status)
	}
	admin.post(fmt.Sprintf("/users/%d/enable", id), ``, http.StatusOK)
	if status, _ := newBrowser(t, ts.URL).login("vanthu.moi", "Dem-trang-2027"); status != http.StatusOK {
		t.Errorf("the enabled account cannot sign in: %d", status)
	}

	token := admin.post(fmt.Sprintf("/users/%d/token", id), `{"name":"Cổng dịch vụ công tỉnh"}`, http.StatusCreated)["token"].(string)
	machine := &apiClient{t: t, base: ts.URL + "/api/v1", token: token}
	if _, me := machine.do("GET", "/me", "", nil); me["username"] != "vanthu.moi" {
		t.Errorf("the issued token acts as %v", me["username"])
	}

	commune := userID(t, srv, "chuyenvien.yenninh")
	admin.post(fmt.Sprintf("/users/%d/disable", commune), ``, http.StatusNotFound)
	self := userID(t, srv, "quantri.huyen")
	admin.post(fmt.Sprintf("/users/%d/placement", self), `{"unit":"VP","roles":["van_thu"]}`, http.StatusBadRequest)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	specialist.post(fmt.Sprintf("/users/%d/disable", id), ``, http.StatusForbidden)

	admin.post("/agencies", `{"organ_id":"000.09.09.H56","name":"Ủy ban nhân dân xã Phấn Mễ","abbreviation":"UBND","parent_organ_id":"000.00.09.H56"}`, http.StatusOK)
	admin.post("/agencies/000.09.09.H56/units", `{"name":"Văn phòng - Thống kê","abbreviation":"VP"}`, http.StatusOK)
	_, units := admin.do("GET", "/agencies/000.09.09.H56/units", "", nil)
	if !strings.Contains(fmt.Sprint(units["units"]), "Văn phòng - Thống kê") {
		t.Errorf("the new commune's units: %v", units)
	}

	_, trail := admin.do("GET", fmt.Sprintf("/audit?actor=quantri.huyen&object_type=user&object_id=%d", id), "", nil)
	got := fmt.Sprint(trail["entries"])
	for _, action := range []string{"user.create", "user.placement", "user.password_reset", "user.disable", "user.enable"} {
		if !strings.Contains(got, action) {
			t.Errorf("the audit list lacks %s: %s", action, got)
		}
	}
	if status, _ := specialist.do("GET", "/audit", "", nil); status != http.StatusForbidden {
		t.Errorf("a specialist reads the audit list: %d", status)
	}
}

// TestNotificationsAPI: a person lists their notifications, marks one read (not
// someone else's) and chooses the daily digest.
func TestNotificationsAPI(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	notifyUser(t, srv.Pool(), "chuyenvien.tckh", "Văn bản được giao cho bạn xử lý: Kế hoạch kiểm tra")
	me := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	_, out := me.do("GET", "/notifications", "", nil)
	items, _ := out["notifications"].([]any)
	if out["unread"] != float64(1) || len(items) != 1 || out["email_mode"] != "immediate" {
		t.Fatalf("notifications: %v", out)
	}
	nid := int64(items[0].(map[string]any)["id"].(float64))
	newAPIClient(t, ts, srv, "vanthu.huyen").post(fmt.Sprintf("/notifications/%d/read", nid), ``, http.StatusNotFound)
	me.post(fmt.Sprintf("/notifications/%d/read", nid), ``, http.StatusOK)
	me.post("/notifications/settings", `{"email_mode":"daily"}`, http.StatusOK)
	me.post("/notifications/settings", `{"email_mode":"hourly"}`, http.StatusBadRequest)
	if _, out := me.do("GET", "/notifications", "", nil); out["unread"] != float64(0) || out["email_mode"] != "daily" {
		t.Errorf("after reading: %v", out)
	}
}

// TestKeysPage: with a keyring, the administrator sees the agency's and the people's
// certificates with their validity, those without a key, and the trust anchors.
func TestKeysPage(t *testing.T) {
	t.Parallel()
	pool, keys := seededWithKeys(t)
	trust, err := signing.LoadTrustStore(keys.TrustDir())
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := serveDemo(t, pool, web.Config{Trust: trust, AgencyKeys: keys}, nil)
	b := newBrowser(t, ts.URL)
	b.login("quantri.huyen", demoPassword)
	status, page := b.get("/admin/keys")
	if status != http.StatusOK {
		t.Fatalf("/admin/keys: %d", status)
	}
	for _, want := range []string{"Nguyễn Văn Nghĩa (chutich.huyen)", "Còn hiệu lực", "Chưa có khóa ký số", "Chứng thư gốc tin cậy"} {
		if !strings.Contains(page, want) {
			t.Errorf("the keys page lacks %q", want)
		}
	}
	status, page = postFile(t, b, "/admin/agencies/import", "file", "danh-muc.csv",
		"organ_id,name,abbreviation,parent_organ_id\n000.10.09.H56,Ủy ban nhân dân xã Động Đạt,UBND,000.00.09.H56\n")
	if status != http.StatusOK || !strings.Contains(page, "Đã thêm 1, cập nhật 0, giữ nguyên 0, từ chối 0 cơ quan.") ||
		!strings.Contains(page, "Ủy ban nhân dân xã Động Đạt") {
		t.Errorf("directory import: %d", status)
	}

	// The seal image: a PNG is kept in the keyring and shown; anything else is refused.
	if _, page := postFile(t, b, "/admin/keys/seal", "image", "dau.jpg", "not a png"); !strings.Contains(page, "Ảnh phải là tệp PNG") {
		t.Error("a file that is not a PNG was not refused")
	}
	var seal bytes.Buffer
	png.Encode(&seal, image.NewRGBA(image.Rect(0, 0, 8, 8)))
	if _, page := postFile(t, b, "/admin/keys/seal", "image", "dau.png", seal.String()); !strings.Contains(page, "Đã lưu ảnh con dấu") ||
		!strings.Contains(page, "data:image/png;base64,") {
		t.Error("the seal image is not shown after the upload")
	}
	if stored, err := keys.SealImage(demo.DistrictID); err != nil || !bytes.Equal(stored, seal.Bytes()) {
		t.Errorf("the keyring holds %d bytes, %v", len(stored), err)
	}

	specialist := newBrowser(t, ts.URL)
	specialist.login("chuyenvien.tckh", demoPassword)
	if status, _ := specialist.get("/admin/keys"); status != http.StatusForbidden {
		t.Errorf("a specialist opens the keys page: %d", status)
	}
}

// postFile posts a file as the browser's form would, with its CSRF token.
func postFile(t *testing.T, b *browser, path, field, name, content string) (int, string) {
	t.Helper()
	_, page := b.get("/admin/agencies")
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no CSRF token on the agencies page")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf_token", m[1])
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write([]byte(content))
	mw.Close()
	resp, err := b.client.Post(b.base+path, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return resp.StatusCode, out.String()
}
