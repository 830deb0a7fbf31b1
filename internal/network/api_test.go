package network_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"edms/internal/access"
	"edms/internal/demo"
	"edms/internal/network"
	"edms/internal/org"
	"edms/internal/store"
)

// deliveryTimeout bounds the wait for something to cross the network: long, because
// River retries with backoff after a fault; the tests assert what arrives, not when.
const deliveryTimeout = 10 * time.Minute

// communeSender is Yên Ninh's people who issue and send a document.
type communeSender struct {
	specialist, leader, clerk *apiUser
}

func commune(t *testing.T, n *network.Network) communeSender {
	return communeSender{specialist: user(t, n, "chuyenvien.yenninh"), leader: user(t, n, "chutich.yenninh"),
		clerk: user(t, n, "vanthu.yenninh")}
}

// issueAndSend issues a letter of Yên Ninh and sends it; it returns the outgoing
// document's id.
func (c communeSender) issueAndSend(subject string, recipients ...string) int64 {
	id := c.issue(subject, recipients...)
	c.clerk.step(id, "outgoing", "send", ``)
	return id
}

// issue drafts a letter of Yên Ninh and takes it through approval, signature, number
// and seal, ready to send; it returns the outgoing document's id.
func (c communeSender) issue(subject string, recipients ...string) int64 {
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

// waitRecipient waits until the sender's document shows the recipient as ok says
// (what names it), and returns the recipient as the API shows it.
func (u *apiUser) waitRecipient(id int64, organID, what string, ok func(recipient map[string]any) bool) map[string]any {
	u.t.Helper()
	var last map[string]any
	u.waitFor(func() string { return fmt.Sprintf("%s of %s on document %d (last: %v)", what, organID, id, last) }, func() bool {
		_, out := u.do("GET", fmt.Sprintf("/documents/%d", id), "", nil)
		recipients, _ := out["recipients"].([]any)
		for _, r := range recipients {
			if r, _ := r.(map[string]any); r["organ_id"] == organID {
				last = r
				return ok(r)
			}
		}
		return false
	})
	return last
}

// hasStatus is a recipient whose current status is status.
func hasStatus(status string) func(map[string]any) bool {
	return func(r map[string]any) bool { return r["status"] == status }
}

// answered is a recipient that answered the change asked of it with code (15, 16).
func answered(code string) func(map[string]any) bool {
	return func(r map[string]any) bool {
		change, _ := r["change"].(map[string]any)
		return change != nil && change["answer"] == code
	}
}

// appliedCodes lists the status codes of a recipient's history that were applied.
func appliedCodes(r map[string]any) []string {
	var codes []string
	history, _ := r["history"].([]any)
	for _, h := range history {
		if h, _ := h.(map[string]any); h["stale"] != true {
			codes = append(codes, fmt.Sprint(h["code"]))
		}
	}
	return codes
}

// answerRecall accepts or refuses the sender's recall of an incoming copy, once the
// request has arrived.
func (u *apiUser) answerRecall(id int64, accept bool, reason string) {
	u.t.Helper()
	action := "refuse"
	if accept {
		action = "accept"
	}
	u.waitFor(says(fmt.Sprintf("the recall request on document %d", id)), func() bool {
		body, _ := json.Marshal(map[string]string{"note": reason})
		status, _ := u.do("POST", fmt.Sprintf("/documents/%d/change/%s", id, action), "application/json", bytes.NewReader(body))
		return status == http.StatusOK
	})
}

func (u *apiUser) waitFor(what func() string, done func() bool) {
	u.t.Helper()
	waitUntil(u.t, what, done)
}

// waitUntil polls until done, or fails the test after deliveryTimeout with what it
// waited for (called then, so it can say what it saw last).
func waitUntil(t *testing.T, what func() string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(deliveryTimeout)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", deliveryTimeout, what())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func says(s string) func() string { return func() string { return s } }
