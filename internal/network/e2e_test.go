//go:build exchange_e2e

// The end-to-end tests of the exchange (issue 10's Proof): separate edms processes
// with their own databases and TLS certificates, documents and statuses travelling
// through real hubs. They need `edms gateway` and the exchange flags of `edms serve`,
// hence the build tag until both are merged.

package network_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/network"
	"edms/internal/network/networktest"
	"edms/internal/org"
	"edms/internal/store"
)

// deliveryTimeout bounds the wait for something to cross the network: long, because
// River retries with backoff after a fault; the tests assert what arrives, not when.
const deliveryTimeout = 10 * time.Minute

// The two shapes of a province: communes straight on the provincial hub (since July
// 2025), and communes behind a district hub.
func plansOfBothShapes() map[string]network.Plan {
	return map[string]network.Plan{
		"communes on the provincial hub": {
			Hubs: []network.HubPlan{{Name: "hub-tinh"}},
			Nodes: []network.NodePlan{
				{Name: "huyen", Hub: "hub-tinh", Agencies: []string{demo.DistrictID}},
				{Name: "yenninh", Hub: "hub-tinh", Agencies: []string{demo.YenNinhID}},
				{Name: "du", Hub: "hub-tinh", Agencies: []string{demo.DuTownID}},
			}},
		"communes behind a district hub": {
			Hubs: []network.HubPlan{{Name: "hub-tinh"}, {Name: "hub-huyen", Parent: "hub-tinh"}},
			Nodes: []network.NodePlan{
				{Name: "huyen", Hub: "hub-tinh", Agencies: []string{demo.DistrictID}},
				{Name: "yenninh", Hub: "hub-huyen", Agencies: []string{demo.YenNinhID}},
				{Name: "du", Hub: "hub-huyen", Agencies: []string{demo.DuTownID}},
			}},
	}
}

// TestExchangeEndToEnd: a commune sends to the district (through the provincial hub,
// or up through the district hub), the district's people take the document through
// its steps and the commune sees 01, 03, 04 and 06 arrive; a recall of a second
// document is accepted by the district and refused by Đu town.
func TestExchangeEndToEnd(t *testing.T) {
	for shape, plan := range plansOfBothShapes() {
		t.Run(shape, func(t *testing.T) {
			n := networktest.Start(t, plan)
			sender := commune(t, n)
			districtClerk, chairman := user(t, n, "vanthu.huyen"), user(t, n, "chutich.huyen")
			officer := user(t, n, "chuyenvien.tckh")

			subject := "Báo cáo kết quả tự kiểm tra công tác văn thư năm 2026 — " + shape
			id := sender.issueAndSend(subject, demo.DistrictID, demo.DuTownID)
			sender.clerk.waitRecipient(id, demo.DistrictID, "arrived") // 01
			sender.clerk.waitRecipient(id, demo.DuTownID, "arrived")   // 01
			copyID := districtClerk.waitInbox(subject)
			districtClerk.step(copyID, "incoming", "register", ``)
			sender.clerk.waitRecipient(id, demo.DistrictID, "registered") // 03
			districtClerk.step(copyID, "incoming", "submit", ``)
			chairman.step(copyID, "incoming", "assign", fmt.Sprintf(
				`{"note":"Giao Phòng Tài chính - Kế hoạch theo dõi","assignments":[{"role":"chu_tri","user_id":%d}]}`, officer.userID))
			sender.clerk.waitRecipient(id, demo.DistrictID, "assigned") // 04
			officer.step(copyID, "incoming", "complete", `{"note":"Đã tổng hợp"}`)
			sender.clerk.waitRecipient(id, demo.DistrictID, "completed") // 06

			recalled := "Đề nghị hỗ trợ kinh phí sửa chữa trụ sở — " + shape
			id = sender.issueAndSend(recalled, demo.DistrictID, demo.DuTownID)
			districtCopy := districtClerk.waitInbox(recalled)
			duClerk := user(t, n, "vanthu.du")
			duCopy := duClerk.waitInbox(recalled)
			sender.leader.step(id, "outgoing", "recall", `{"note":"Gửi nhầm nội dung, sẽ gửi lại"}`)
			districtClerk.answerRecall(districtCopy, true, "")
			duClerk.answerRecall(duCopy, false, "Thị trấn đã triển khai theo văn bản này")
			sender.clerk.waitRecipient(id, demo.DistrictID, "recalled")     // 15
			sender.clerk.waitRecipient(id, demo.DuTownID, "recall_refused") // 16
		})
	}
}

// TestExchangeSurvivesFaults streams documents from Yên Ninh to the district while
// the hub is killed, then the receiving node, then PostgreSQL restarts under all of
// them; afterwards every document is registered exactly once at the district and
// every 01 is back at Yên Ninh. EDMS_E2E_PACKAGES sets how many (default 200).
func TestExchangeSurvivesFaults(t *testing.T) {
	total := 200
	if v := os.Getenv("EDMS_E2E_PACKAGES"); v != "" {
		var err error
		if total, err = strconv.Atoi(v); err != nil || total < 3 {
			t.Fatalf("EDMS_E2E_PACKAGES=%q: want a number of at least 3", v)
		}
	}
	plan := plansOfBothShapes()["communes on the provincial hub"]
	n := networktest.Start(t, plan)
	sender := commune(t, n)
	prefix := "Kiểm thử sự cố " + uuid.NewString()[:8]
	ctx := context.Background()
	hub, district := n.Hub("hub-tinh"), n.Node("huyen")
	faultsAfterBatch := [][]func() error{
		{hub.Kill9, func() error { return hub.Restart(ctx) }},
		{district.Kill9, func() error { return district.Restart(ctx) }},
		{func() error { return n.RestartPostgres(ctx) }},
	}
	sent := 0
	for batch, faults := range faultsAfterBatch {
		for ; sent < total*(batch+1)/len(faultsAfterBatch); sent++ {
			sender.issueAndSend(fmt.Sprintf("%s số %d", prefix, sent), demo.DistrictID)
		}
		// The batch's packages are still on their way while the faults strike.
		for _, fault := range faults {
			if err := fault(); err != nil {
				t.Fatalf("fault after batch %d: %v", batch, err)
			}
		}
	}
	for _, nd := range n.Nodes() {
		if err := nd.WaitHealthy(ctx); err != nil {
			t.Fatal(err)
		}
	}

	registered := `SELECT count(*), count(DISTINCT subject) FROM documents WHERE direction = 'incoming' AND subject LIKE $1 || '%'`
	acknowledged := `SELECT count(*), count(DISTINCT d.id) FROM documents d JOIN document_recipients r ON r.document_id = d.id
		WHERE d.direction = 'outgoing' AND d.subject LIKE $1 || '%' AND r.status <> 'pending' AND r.status <> 'sent'`
	waitCount(t, n.Node("yenninh").DatabaseURL, acknowledged, prefix, total)
	waitCount(t, district.DatabaseURL, registered, prefix, total)
}

// waitCount waits until the query's two counts (rows, distinct) reach want, then
// checks that neither went past it: every item once, none twice.
func waitCount(t *testing.T, databaseURL, query, prefix string, want int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(deliveryTimeout)
	var rows, distinct int
	for {
		pool, err := store.Open(ctx, databaseURL)
		if err == nil {
			err = pool.QueryRow(ctx, query, prefix).Scan(&rows, &distinct)
			pool.Close()
		}
		if err == nil && distinct >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d rows, %d distinct of %d (%v)", deliveryTimeout, rows, distinct, want, err)
		}
		time.Sleep(time.Second)
	}
	if rows != want || distinct != want {
		t.Errorf("%d rows and %d distinct, want exactly %d of each", rows, distinct, want)
	}
}

// communeSender is Yên Ninh's people who issue and send a document.
type communeSender struct {
	specialist, leader, clerk *apiUser
}

func commune(t *testing.T, n *network.Network) communeSender {
	return communeSender{specialist: user(t, n, "chuyenvien.yenninh"), leader: user(t, n, "chutich.yenninh"),
		clerk: user(t, n, "vanthu.yenninh")}
}

// issueAndSend drafts a letter of Yên Ninh, takes it through approval, signature,
// number and seal, and sends it; it returns the outgoing document's id.
func (c communeSender) issueAndSend(subject string, recipients ...string) int64 {
	draft := map[string]any{"type": "cong_van", "subject": subject, "place": "Yên Ninh", "page_count": 1,
		"content": "Ủy ban nhân dân xã Yên Ninh kính gửi nội dung như sau.", "recipients": recipients,
		"request_key": uuid.NewString()}
	status, out := c.specialist.draft(draft)
	if status != http.StatusCreated {
		c.specialist.t.Fatalf("draft %q: %d %v", subject, status, out)
	}
	id := int64(out["id"].(float64))
	c.specialist.step(id, "outgoing", "submit", ``)
	c.leader.step(id, "outgoing", "approve", ``)
	c.leader.step(id, "outgoing", "submit_signature", ``)
	c.leader.step(id, "outgoing", "sign", `{"note":"Đồng ý"}`)
	c.clerk.step(id, "outgoing", "issue", ``)
	c.clerk.step(id, "outgoing", "seal", ``)
	c.clerk.step(id, "outgoing", "send", ``)
	return id
}

// apiUser calls one node's JSON API as a demo user.
type apiUser struct {
	t      *testing.T
	base   string
	token  string
	userID int64
}

// user gives a demo account an API token on the node that hosts its agency.
func user(t *testing.T, n *network.Network, username string) *apiUser {
	t.Helper()
	var agency string
	for _, a := range demo.Accounts {
		if a.Username == username {
			agency = a.Agency
		}
	}
	node := n.NodeOf(agency)
	if node == nil {
		t.Fatalf("no node hosts %s's agency %q", username, agency)
	}
	ctx := context.Background()
	pool, err := store.Open(ctx, node.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	u, err := org.UserByUsername(ctx, pool, username)
	if err != nil {
		t.Fatal(err)
	}
	token, err := access.CreateAPIToken(ctx, pool, u.ID, "e2e")
	if err != nil {
		t.Fatal(err)
	}
	return &apiUser{t: t, base: node.WebURL + "/api/v1", token: token, userID: u.ID}
}

func (u *apiUser) do(method, path, contentType string, body io.Reader) (int, map[string]any) {
	u.t.Helper()
	req, err := http.NewRequest(method, u.base+path, body)
	if err != nil {
		u.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+u.token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// step posts a lifecycle step and fails the test unless it succeeds.
func (u *apiUser) step(id int64, dir, action, body string) {
	u.t.Helper()
	if status, out := u.do("POST", fmt.Sprintf("/documents/%d/%s/%s", id, dir, action), "application/json", strings.NewReader(body)); status != http.StatusOK {
		u.t.Fatalf("%s %s of document %d: %d %v", dir, action, id, status, out)
	}
}

// draft creates a draft from typed content (multipart, no file).
func (u *apiUser) draft(metadata map[string]any) (int, map[string]any) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	meta, _ := json.Marshal(metadata)
	mw.WriteField("document", string(meta))
	mw.Close()
	return u.do("POST", "/documents", mw.FormDataContentType(), &buf)
}

// waitInbox waits for an incoming document with the subject and returns its id.
func (u *apiUser) waitInbox(subject string) int64 {
	u.t.Helper()
	var id int64
	u.waitFor(says("an incoming document "+subject), func() bool {
		_, out := u.do("GET", "/inbox", "", nil)
		items, _ := out["documents"].([]any)
		for _, item := range items {
			d, _ := item.(map[string]any)
			if d["subject"] == subject {
				id = int64(d["id"].(float64))
				return true
			}
		}
		return false
	})
	return id
}

// waitRecipient waits until the sender's document shows the recipient's status.
func (u *apiUser) waitRecipient(id int64, organID, status string) {
	u.t.Helper()
	var last any
	what := func() string {
		return fmt.Sprintf("status %s of %s on document %d (last: %v)", status, organID, id, last)
	}
	u.waitFor(what, func() bool {
		_, out := u.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
		recipients, _ := out["recipients"].([]any)
		for _, r := range recipients {
			r, _ := r.(map[string]any)
			if r["organ_id"] == organID {
				last = r["status"]
				return r["status"] == status
			}
		}
		return false
	})
}

// answerRecall accepts or refuses the sender's pending recall of an incoming copy,
// through the change-request steps of the incoming lifecycle.
func (u *apiUser) answerRecall(id int64, accept bool, reason string) {
	u.t.Helper()
	action := "change_refuse"
	if accept {
		action = "change_accept"
	}
	u.waitFor(says(fmt.Sprintf("the recall request on document %d", id)), func() bool {
		body, _ := json.Marshal(map[string]string{"note": reason})
		status, _ := u.do("POST", fmt.Sprintf("/documents/%d/incoming/%s", id, action), "application/json", bytes.NewReader(body))
		return status == http.StatusOK
	})
}

// waitFor polls until done, or fails the test after deliveryTimeout with what it
// waited for (called then, so it can say what it saw last).
func (u *apiUser) waitFor(what func() string, done func() bool) {
	u.t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	for !done() {
		if time.Now().After(deadline) {
			u.t.Fatalf("waited %s for %s", deliveryTimeout, what())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func says(s string) func() string { return func() string { return s } }
