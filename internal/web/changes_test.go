package web_test

import (
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"edms/internal/web"
)

// TestUpdateAnsweredByTheRecipient: the district's clerk corrects a sent document; the
// commune's clerk sees the request on the copy's page and in the API, refuses it with
// a reason, and the sender's tracking shows the answer beside the recipient's history.
func TestUpdateAnsweredByTheRecipient(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	communeClerk := newAPIClient(t, ts, srv, "vanthu.yenninh")
	id := sendToYenNinh(t, ts, srv, map[string]any{"subject": "Về việc rà soát hộ cận nghèo năm 2026", "request_key": "u1"})

	update := fmt.Sprintf("/documents/%d/update", id)
	if status, out := clerk.do("POST", update, "application/json", strings.NewReader(`{"subject":"x"}`)); status != http.StatusBadRequest {
		t.Fatalf("an update without a reason: %d %v", status, out)
	}
	if status, out := communeClerk.do("POST", update, "application/json",
		strings.NewReader(`{"subject":"x","reason":"y"}`)); status != http.StatusNotFound {
		t.Fatalf("an update by another agency's clerk: %d %v", status, out)
	}
	status, out := clerk.do("POST", update, "application/json",
		strings.NewReader(`{"subject":"Về việc rà soát hộ nghèo, hộ cận nghèo năm 2026","reason":"Bổ sung đối tượng rà soát"}`))
	if status != http.StatusOK {
		t.Fatalf("update: %d %v", status, out)
	}

	_, out = communeClerk.do("GET", "/inbox", "", nil)
	items, _ := out["documents"].([]any)
	if len(items) != 1 {
		t.Fatalf("commune inbox: %v", out)
	}
	copyID := int64(items[0].(map[string]any)["id"].(float64))
	_, out = communeClerk.do("GET", fmt.Sprintf("/documents/%d", copyID), "", nil)
	request, _ := out["change_request"].(map[string]any)
	if request == nil || request["label"] != "Nơi gửi yêu cầu cập nhật văn bản" || request["reason"] != "Bổ sung đối tượng rà soát" {
		t.Fatalf("change request on the copy: %v", out["change_request"])
	}

	b := newBrowser(t, ts.URL)
	b.login("vanthu.yenninh", demoPassword)
	_, page := b.get(fmt.Sprintf("/documents/%d", copyID))
	page = html.UnescapeString(page)
	if !strings.Contains(page, "Nơi gửi yêu cầu cập nhật văn bản: Bổ sung đối tượng rà soát") || !strings.Contains(page, "Từ chối") {
		t.Fatalf("the copy's page shows no change request banner")
	}
	token := csrfField.FindStringSubmatch(page)[1]
	if status, _ := b.post(fmt.Sprintf("/documents/%d/change/refuse", copyID), url.Values{"csrf_token": {token},
		"note": {"Đã triển khai theo văn bản cũ"}}); status != http.StatusOK {
		t.Fatalf("refusing from the page: %d", status)
	}

	_, out = clerk.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
	recipient := out["recipients"].([]any)[0].(map[string]any)
	change, _ := recipient["change"].(map[string]any)
	if change == nil || change["label"] != "Từ chối cập nhật: Đã triển khai theo văn bản cũ" {
		t.Fatalf("sender's view of the answer: %v", recipient)
	}
	history, _ := recipient["history"].([]any)
	if len(history) != 2 || history[0].(map[string]any)["code"] != "01" || history[1].(map[string]any)["code"] != "16" {
		t.Fatalf("recipient history %v", history)
	}
}

// sendToYenNinh drafts a công văn of the district to UBND xã Yên Ninh with the given
// fields and walks it to sent.
func sendToYenNinh(t *testing.T, ts *httptest.Server, srv *web.Server, fields map[string]any) int64 {
	t.Helper()
	draft := map[string]any{"type": "cong_van", "place": "Phú Lương", "recipients": []string{"000.03.09.H56"}, "page_count": 1}
	maps.Copy(draft, fields)
	specialist := newAPIClient(t, ts, srv, "chuyenvien.tckh")
	unitHead := newAPIClient(t, ts, srv, "truongphong.tckh")
	clerk := newAPIClient(t, ts, srv, "vanthu.huyen")
	status, out := specialist.upload("/documents", draft, minimalPDF)
	if status != http.StatusCreated {
		t.Fatalf("create draft: %d %v", status, out)
	}
	id := int64(out["id"].(float64))
	specialist.step(id, "outgoing", "submit", ``)
	unitHead.step(id, "outgoing", "approve", ``)
	unitHead.step(id, "outgoing", "submit_signature", ``)
	newAPIClient(t, ts, srv, "chutich.huyen").step(id, "outgoing", "sign", ``)
	clerk.step(id, "outgoing", "issue", ``)
	clerk.step(id, "outgoing", "seal", ``)
	clerk.step(id, "outgoing", "send", ``)
	return id
}

// TestReplacedCopyLeavesTheInbox: a replacement sent to the commune supersedes its
// copy of the document replaced, whose page names the replacement.
func TestReplacedCopyLeavesTheInbox(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	communeClerk := newAPIClient(t, ts, srv, "vanthu.yenninh")
	old := sendToYenNinh(t, ts, srv, map[string]any{"subject": "Về việc tổ chức Tết Trồng cây", "request_key": "r1"})
	_, out := communeClerk.do("GET", "/inbox", "", nil)
	oldCopy := int64(out["documents"].([]any)[0].(map[string]any)["id"].(float64))
	sendToYenNinh(t, ts, srv, map[string]any{"subject": "Về việc tổ chức Tết Trồng cây (thay thế)", "request_key": "r2", "replaces_id": old})

	_, out = communeClerk.do("GET", "/inbox", "", nil)
	if items := out["documents"].([]any); len(items) != 1 || int64(items[0].(map[string]any)["id"].(float64)) == oldCopy {
		t.Fatalf("commune inbox after the replacement: %v", items)
	}
	_, out = communeClerk.do("GET", fmt.Sprintf("/documents/%d", oldCopy), "", nil)
	if documentState(map[string]any{"document": out}) != "replaced" || out["replaced_by"] == nil {
		t.Fatalf("old copy: %v", out)
	}
	b := newBrowser(t, ts.URL)
	b.login("vanthu.yenninh", demoPassword)
	if _, page := b.get(fmt.Sprintf("/documents/%d", oldCopy)); !strings.Contains(html.UnescapeString(page), "Đã bị thay thế bởi văn bản") {
		t.Fatal("the old copy's page does not name its replacement")
	}
}
