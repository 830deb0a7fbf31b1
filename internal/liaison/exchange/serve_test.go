package exchange

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/org"
)

// statusPackage is a signed status package from organID about the document of
// localOrganID with the given DocumentId.
func (n *network) statusPackage(t *testing.T, from, documentID, code string) []byte {
	t.Helper()
	pkg := &liaison.Package{Kind: liaison.KindStatus, Status: &liaison.Status{
		From:        liaison.Organization{OrganID: from, OrganName: "Cơ quan " + from},
		ResponseFor: liaison.ResponseFor{OrganID: localOrganID, DocumentID: documentID},
		StatusCode:  code, Description: "Trạng thái " + code, Timestamp: time.Now().Truncate(time.Second),
	}}
	var unsigned bytes.Buffer
	if err := liaison.Write(&unsigned, pkg, nil); err != nil {
		t.Fatal(err)
	}
	return n.sign(t, unsigned.Bytes(), from)
}

// TestInboundStatusesAndReports registers status packages once each (a code outside
// the catalogue is refused by the reader already) and shows them in the tracking
// with their history; a status for a document never sent is refused; a hub's report
// marks a package this node sent as failed in the sending log.
func TestInboundStatusesAndReports(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, false)
	ctx := context.Background()
	if _, err := AddPeer(ctx, nd.pool, "hub", RoleHub, n.hub.Cert, nil); err != nil {
		t.Fatal(err)
	}
	srv := n.serve(t, n.node, nd.link.Handler())
	hub := n.client(srv.URL, n.hub)

	d := delivery{kind: kindPackage, packageID: "p-9", recipient: remoteOrganID, documentID: nd.sentDocument(t, "41")}
	var external string
	if err := nd.pool.QueryRow(ctx, `SELECT external_id FROM documents WHERE id = $1`, d.documentID).Scan(&external); err != nil {
		t.Fatal(err)
	}
	var ref *wire.Refusal
	unknown := n.statusPackage(t, remoteOrganID, localOrganID+",2026/03/02,31/QĐ-UBND", "03")
	if _, err := send(hub, unknown, "s-0", ""); !errors.As(err, &ref) || ref.Code != wire.CodeUnknownDocument {
		t.Fatalf("a status for a document never sent: %v", err)
	}
	registered := n.statusPackage(t, remoteOrganID, external, "03")
	first, err := send(hub, registered, "s-1", "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := send(hub, registered, "s-1", "")
	if err != nil || !again.Duplicate || again.ReceiptID != first.ReceiptID {
		t.Fatalf("resent status: %+v %v", again, err)
	}
	if _, err := send(hub, n.statusPackage(t, remoteOrganID, external, "06"), "s-2", ""); err != nil {
		t.Fatal(err)
	}
	if got := nd.count(t, `SELECT count(*) FROM exchange_inbox WHERE kind = 'status'`); got != 2 {
		t.Fatalf("%d statuses registered, want 2", got)
	}

	tx, err := nd.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := recordOutbound(ctx, tx, d, "sent", wire.Receipt{ReceiptID: "hub-p-9"}, ""); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	tracking, err := hub.Tracking(ctx, external)
	if err != nil || len(tracking) != 1 || tracking[0].Recipient != remoteOrganID || tracking[0].State != "06" ||
		len(tracking[0].History) != 2 || tracking[0].History[0].Code != "03" || tracking[0].History[1].Code != "06" {
		t.Fatalf("tracking %+v %v", tracking, err)
	}
	if _, err := hub.Tracking(ctx, "no-such-document"); err == nil {
		t.Fatal("tracking of an unknown document answered")
	}
	member := n.tlsCredential(t, "member")
	if _, err := AddPeer(ctx, nd.pool, "member", RoleNode, member.Cert, []string{otherOrganID}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.client(srv.URL, member).Tracking(ctx, external); !errors.As(err, &ref) || ref.Code != wire.CodeUnknownDocument {
		t.Fatalf("tracking asked by a node serving no recipient: %v", err)
	}
	report := wire.Report{PackageID: "p-9", From: localOrganID, Recipient: remoteOrganID, Code: wire.CodeWrongRecipient,
		Message: "Nút nhận từ chối gói tin.", ReportedBy: "hub"}
	if err := hub.SendReport(ctx, report); err != nil {
		t.Fatal(err)
	}
	if got := nd.count(t, `SELECT count(*) FROM exchange_outbound WHERE package_id = 'p-9' AND state = 'failed'
		AND last_error = 'Nút nhận từ chối gói tin.'`); got != 1 {
		t.Fatal("the report did not mark the package failed")
	}
	report.PackageID = "never-sent"
	if err := hub.SendReport(ctx, report); !errors.As(err, &ref) || ref.Code != wire.CodeUnknownDocument {
		t.Fatalf("report of a package never sent: %v", err)
	}
}

// directoryHub serves a directory and nothing else.
func directoryHub(entries []wire.DirectoryEntry) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != wire.PathDirectory {
			http.NotFound(w, r)
			return
		}
		wire.WriteJSON(w, http.StatusOK, entries)
	})
}

// TestDirectorySync fetches the hub's directory: the agencies of other nodes join
// the agency list, an ended one is recorded so, the node's own entry (known by the
// key the node holds, under whatever node name the hub gives) changes nothing, and packages for an agency of another node are no longer registered
// here; the node's own directory lists only its agencies.
func TestDirectorySync(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, false)
	ctx := context.Background()
	if _, err := AddPeer(ctx, nd.pool, "hub", RoleHub, n.hub.Cert, nil); err != nil {
		t.Fatal(err)
	}
	ended := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	hubSrv := n.serve(t, n.hub, directoryHub([]wire.DirectoryEntry{
		{OrganID: remoteOrganID, Name: "Ủy ban nhân dân tỉnh Thái Nguyên", Hub: "tinh", Node: "tinh"},
		{OrganID: otherOrganID, Name: "Văn phòng Chính phủ", ParentOrganID: remoteOrganID, Hub: "tinh", Node: "vpcp", End: &ended},
		{OrganID: localOrganID, Name: "Tên khác", Hub: "tinh", Node: "target"}, // the hub's name for this node: it holds the key
	}))
	nd.link.Hub = n.client(hubSrv.URL, n.node)
	report, err := nd.link.SyncDirectory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Created) != 2 || len(report.Rejected) != 0 {
		t.Fatalf("sync report %+v", report)
	}
	if report, err = nd.link.SyncDirectory(ctx); err != nil || len(report.Created)+len(report.Updated) != 0 {
		t.Fatalf("second sync %+v %v", report, err)
	}
	vpcp, err := org.AgencyByOrganID(ctx, nd.pool, otherOrganID)
	if err != nil || vpcp.ParentID == nil {
		t.Fatalf("synced agency %+v %v", vpcp, err)
	}
	if own, _ := org.AgencyByOrganID(ctx, nd.pool, localOrganID); own.Name != "UBND xã Yên Ninh" {
		t.Fatalf("the node's own agency was renamed to %q", own.Name)
	}
	if got := nd.count(t, `SELECT count(*) FROM exchange_directory WHERE organ_id = $1 AND end_at = $2`, otherOrganID, ended); got != 1 {
		t.Fatal("the ended service is not recorded")
	}
	for organID, want := range map[string]bool{remoteOrganID: true, otherOrganID: true, localOrganID: false, "000.00.99.H10": false} {
		if external, err := External(ctx, nd.pool, organID); err != nil || external != want {
			t.Errorf("External(%s) = %v %v, want %v", organID, external, err, want)
		}
	}

	srv := n.serve(t, n.node, nd.link.Handler())
	client := n.client(srv.URL, n.hub)
	_, err = send(client, n.documentPackage(t, localOrganID, []string{remoteOrganID}, "50"), "", "")
	var ref *wire.Refusal
	if !errors.As(err, &ref) || ref.Code != wire.CodeWrongRecipient {
		t.Fatalf("a package for an agency of another node: %v", err)
	}
	entries, err := client.Directory(ctx)
	if err != nil || len(entries) != 1 || entries[0].OrganID != localOrganID || entries[0].Node != "yen-ninh" {
		t.Fatalf("own directory %+v %v", entries, err)
	}
	health, err := client.Health(ctx)
	if err != nil || health.Status != "ok" || health.Role != RoleNode || health.Name != "yen-ninh" {
		t.Fatalf("health %+v %v", health, err)
	}
	// An address the directory does not place, with nobody working for it here and no
	// key on this node, is external for a node connected to a hub.
	if _, _, err := org.SaveAgency(ctx, nd.pool, &org.Agency{OrganID: "000.00.98.H10", Name: "UBND xã Mới", Abbreviation: "UBND"}); err != nil {
		t.Fatal(err)
	}
	for organID, want := range map[string]bool{remoteOrganID: true, localOrganID: false, "000.00.98.H10": true} {
		if external, err := nd.link.External(ctx, organID); err != nil || external != want {
			t.Errorf("Link.External(%s) = %v %v, want %v", organID, external, err, want)
		}
	}
}

// TestMetrics counts what the handler registers and refuses, and the queue's jobs.
func TestMetrics(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, false)
	ctx := context.Background()
	nd.link.Metrics = NewMetrics(nd.pool)
	if _, err := AddPeer(ctx, nd.pool, "hub", RoleHub, n.hub.Cert, nil); err != nil {
		t.Fatal(err)
	}
	srv := n.serve(t, n.node, nd.link.Handler())
	hub := n.client(srv.URL, n.hub)
	good := n.documentPackage(t, remoteOrganID, []string{localOrganID}, "60")
	if _, err := send(hub, good, "", ""); err != nil {
		t.Fatal(err)
	}
	send(hub, unsignedOf(t, good), "", "")
	nd.queue(t, SyncDirectoryArgs{})

	rec := httptest.NewRecorder()
	nd.link.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	available := nd.count(t, `SELECT count(*) FROM river_job WHERE queue = $1 AND state = 'available'`, docs.QueueExchange)
	for _, want := range []string{
		`edms_exchange_packages_in_total{kind="document",peer="hub"} 1`,
		`edms_exchange_packages_failed_total{direction="in",kind="document",peer="hub"} 1`,
		fmt.Sprintf(`edms_exchange_queue_jobs{state="available"} %d`, available),
		`edms_exchange_delivery_seconds_bucket`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if t.Failed() {
		t.Log(string(body))
	}
}
