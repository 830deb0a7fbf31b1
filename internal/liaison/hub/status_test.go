package hub

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// statusPackage is a signed status from one agency about a document of another.
func (n *network) statusPackage(t *testing.T, from, documentSender, code string) []byte {
	t.Helper()
	issued := liaison.Date{Year: 2026, Month: time.March, Day: 2}
	status := &liaison.Status{
		From:        liaison.Organization{OrganID: from, OrganName: "Cơ quan " + from},
		ResponseFor: liaison.ResponseFor{OrganID: documentSender, Code: "1/CV-UBND", PromulgationDate: issued, DocumentID: liaison.DocumentID(documentSender, issued, liaison.Code{Number: "1", Notation: "CV-UBND"})},
		Staff:       liaison.StaffInfo{Department: "Văn thư", Staff: "Lê C"},
		StatusCode:  code,
		Description: liaison.StatusCodes[code],
		Timestamp:   time.Now().Truncate(time.Second),
	}
	var out bytes.Buffer
	if err := (liaison.BuildSpec{Package: liaison.Package{Status: status}}).Build(&out, time.Now()); err != nil {
		t.Fatal(err)
	}
	return sign(t, out.Bytes(), n.identity(t, from))
}

// TestStatusRoutesToTheSender routes a status package by the document's sender, and
// tracking shows it only to the peers it came from and went to.
func TestStatusRoutesToTheSender(t *testing.T) {
	s := newStar(t)
	c := s.net.startNode(t, "xa-c")
	s.hub.addMember(t, "xa-c", RoleNode, c.url, c.cert, communeC)
	body := s.net.statusPackage(t, communeB, communeA, "03")
	receipt, err := send(t, s.net.client(s.b.cert, s.hub.url), body, "")
	if err != nil {
		t.Fatal(err)
	}
	if states := s.hub.waitDeliveries(t); states[communeA] != "delivered" {
		t.Fatalf("deliveries %v", states)
	}
	if received, _, _, _ := s.a.snapshot(); len(received) != 1 || !bytes.Equal(received[0], body) {
		t.Fatalf("the sender got %d statuses", len(received))
	}
	for _, who := range []*fakeNode{s.a, s.b} {
		tr, err := s.net.client(who.cert, s.hub.url).Tracking(context.Background(), receipt.DocumentID)
		if err != nil || len(tr) != 1 || tr[0].State != "delivered" || tr[0].History[0].Detail != "truc-tinh" {
			t.Fatalf("tracking for %s: %+v, %v", who.name, tr, err)
		}
	}
	if tr, err := s.net.client(c.cert, s.hub.url).Tracking(context.Background(), receipt.DocumentID); err != nil || len(tr) != 0 {
		t.Fatalf("a third node sees tracking %+v, %v", tr, err)
	}
	// Commune C may not send a status in commune B's name.
	_, err = send(t, s.net.client(c.cert, s.hub.url), s.net.statusPackage(t, communeB, communeA, "04"), "")
	if status, code := refusalCode(t, err); status != http.StatusForbidden || code != wire.CodeSenderMismatch {
		t.Fatalf("refused with %d %s", status, code)
	}
}

// TestOperatorPage serves the metrics and the Vietnamese page with members and
// failures.
func TestOperatorPage(t *testing.T) {
	s := newStar(t)
	s.b.answer = func(int) int { return http.StatusBadRequest }
	receipt, err := send(t, s.fromA, s.net.signedPackage(t, communeA, communeB), "")
	if err != nil {
		t.Fatal(err)
	}
	s.hub.waitDeliveries(t)
	admin := s.hub.AdminHandler()
	get := func(path string) string {
		rec := httptest.NewRecorder()
		admin.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
		return rec.Body.String()
	}
	page := get("/")
	for _, want := range []string{"Trục liên thông truc-tinh", "xa-a", "nút cơ quan", communeA, receipt.DocumentID, wire.CodeWrongRecipient, "Thất bại: 1"} {
		if !strings.Contains(page, want) {
			t.Errorf("the operator page lacks %q", want)
		}
	}
	metrics := get("/metrics")
	for _, want := range []string{`edms_hub_packages_in_total{peer="xa-a"} 1`, `edms_hub_packages_failed_total{peer="xa-b"} 1`,
		`edms_hub_deliveries{state="failed"} 1`, "edms_hub_delivery_latency_seconds_bucket"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("the metrics lack %q", want)
		}
	}
}
