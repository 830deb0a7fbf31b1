package web_test

import (
	"fmt"
	"testing"
	"time"

	"edms/internal/demo"
)

// TestMyInboxAPI: the work list in JSON names each waiting document under its step, with
// the group's count and one deadline per document; a person assigned through the API
// finds it to handle and forwards it, which the hand-over history shows; the clerk, who
// holds no line, cannot forward it.
func TestMyInboxAPI(t *testing.T) {
	t.Parallel()
	ts, srv := newDemoServer(t)
	pool := srv.Pool()
	id := waitingForLeader(t, pool, "vanthu.huyen", demo.DistrictID, "Công văn chờ phân công", time.Now().AddDate(0, 0, 3))
	chairman, head, clerk := apiToken(t, pool, "chutich.huyen"), apiToken(t, pool, "truongphong.tckh"), apiToken(t, pool, "vanthu.huyen")

	status, out := apiCall(t, "GET", ts.URL+"/api/v1/me/inbox", chairman, "")
	groups, _ := out["groups"].([]any)
	if status != 200 || len(groups) != 1 || out["total"] != float64(1) {
		t.Fatalf("the chairman's work list: %d %v", status, out)
	}
	if g := groups[0].(map[string]any); g["group"] != "assign" || g["count"] != float64(1) || g["label"] != "Phân công xử lý" {
		t.Errorf("the chairman's group: %v", g)
	}

	deadline := time.Now().AddDate(0, 0, 3).Format(time.DateOnly)
	headID := userIDOf(t, pool, "truongphong.tckh")
	body := `{"note":"Giao đồng chí Mai","assignments":[{"role":"chu_tri","user_id":` + fmt.Sprint(headID) + `,"deadline":"` + deadline + `"}]}`
	if status, out := apiCall(t, "POST", ts.URL+"/api/v1/documents/"+fmt.Sprint(id)+"/incoming/assign", chairman, body); status != 200 {
		t.Fatalf("assign: %d %v", status, out)
	}
	status, out = apiCall(t, "GET", ts.URL+"/api/v1/me/inbox", head, "")
	groups, _ = out["groups"].([]any)
	if status != 200 || len(groups) != 1 || groups[0].(map[string]any)["group"] != "handle" {
		t.Errorf("the head's work list after the assignment: %d %v", status, out)
	}
	if deadlines, _ := out["deadlines"].([]any); len(deadlines) != 1 {
		t.Errorf("the head's deadlines: %v", out["deadlines"])
	}
	forward := `{"user_id":` + fmt.Sprint(userIDOf(t, pool, "chuyenvien.tckh")) + `,"note":"Chuyển đồng chí Đức"}`
	if status, out := apiCall(t, "POST", ts.URL+"/api/v1/documents/"+fmt.Sprint(id)+"/forward", clerk, forward); status != 403 {
		t.Errorf("the clerk forwards a document she does not hold: %d %v", status, out)
	}
	if status, out := apiCall(t, "POST", ts.URL+"/api/v1/documents/"+fmt.Sprint(id)+"/forward", head, forward); status != 200 {
		t.Fatalf("forward: %d %v", status, out)
	}
	status, out = apiCall(t, "GET", ts.URL+"/api/v1/documents/"+fmt.Sprint(id)+"/handovers", head, "")
	if handovers, _ := out["handovers"].([]any); status != 200 || len(handovers) != 2 ||
		handovers[1].(map[string]any)["to_user"] != "Trần Văn Đức" {
		t.Errorf("hand-overs: %d %v", status, out)
	}
}
