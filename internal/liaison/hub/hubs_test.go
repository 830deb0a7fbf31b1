package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"

	"edms/internal/liaison/wire"
	"edms/internal/store/storetest"
)

// tree is a provincial hub with a province node and a district hub below it, with a
// commune node below the district hub.
type tree struct {
	net               *network
	provincial, distr *testHub
	provinceNode, xaA *fakeNode
}

func newTree(t *testing.T) *tree {
	t.Helper()
	n := newNetwork(t)
	tr := &tree{net: n, provincial: n.startHub(t, "truc-tinh", 0), distr: n.startHub(t, "truc-huyen", 0),
		provinceNode: n.startNode(t, "ubnd-tinh"), xaA: n.startNode(t, "xa-a")}
	tr.provincial.addMember(t, "ubnd-tinh", RoleNode, tr.provinceNode.url, tr.provinceNode.cert, province)
	tr.provincial.addMember(t, "truc-huyen", RoleHub, tr.distr.url, tr.distr.cert)
	tr.distr.addMember(t, "xa-a", RoleNode, tr.xaA.url, tr.xaA.cert, communeA)
	tr.distr.addMember(t, "truc-tinh", RoleParent, tr.provincial.url, tr.provincial.cert)
	tr.provinceNode.directory = []wire.DirectoryEntry{{OrganID: province, Name: "UBND tỉnh Thái Nguyên"}}
	tr.xaA.directory = []wire.DirectoryEntry{{OrganID: communeA, Name: "UBND xã Yên Ninh", ParentOrganID: district}}
	ctx := context.Background()
	if err := tr.distr.PullDirectories(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tr.provincial.PullDirectories(ctx); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestChildAndParentHubs routes up from a commune through the district hub to the
// provincial hub's node, and down from the province through the district hub; the
// hops travel beside the package and the directories name who serves whom.
func TestChildAndParentHubs(t *testing.T) {
	tr := newTree(t)
	up := tr.net.signedPackage(t, communeA, province)
	if _, err := send(t, tr.net.client(tr.xaA.cert, tr.distr.url), up, ""); err != nil {
		t.Fatal(err)
	}
	tr.distr.waitDeliveries(t)
	tr.provincial.waitDeliveries(t)
	received, headers, _, _ := tr.provinceNode.snapshot()
	if len(received) != 1 || !bytes.Equal(received[0], up) {
		t.Fatalf("the province got %d packages (or changed bytes)", len(received))
	}
	if hops := hopNames(headers[0]); !slices.Equal(hops, []string{"truc-huyen", "truc-tinh"}) {
		t.Fatalf("hops %v", hops)
	}

	down := tr.net.signedPackage(t, province, communeA)
	if _, err := send(t, tr.net.client(tr.provinceNode.cert, tr.provincial.url), down, ""); err != nil {
		t.Fatal(err)
	}
	tr.provincial.waitDeliveries(t)
	tr.distr.waitDeliveries(t)
	if received, _, _, _ := tr.xaA.snapshot(); len(received) != 1 || !bytes.Equal(received[0], down) {
		t.Fatalf("the commune got %d packages (or changed bytes)", len(received))
	}

	dir, err := tr.net.client(tr.provinceNode.cert, tr.provincial.url).Directory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{province: {"truc-tinh", "ubnd-tinh"}, communeA: {"truc-huyen", "xa-a"}}
	if len(dir) != len(want) {
		t.Fatalf("provincial directory %+v", dir)
	}
	for _, e := range dir {
		if w := want[e.OrganID]; w != [2]string{e.Hub, e.Node} || e.Name == "" {
			t.Fatalf("provincial directory entry %+v", e)
		}
	}
	dir, _ = tr.distr.Directory(context.Background())
	if len(dir) != 2 || dir[0].OrganID != province || dir[0].Hub != "truc-tinh" || dir[1].OrganID != communeA || dir[1].Hub != "truc-huyen" {
		t.Fatalf("district directory %+v", dir)
	}
}

// TestNoRouteBackToTheParent refuses at the district hub a package from the parent
// for an agency the district does not serve, rather than sending it back up; the
// provincial hub reports the failure to the sender.
func TestNoRouteBackToTheParent(t *testing.T) {
	tr := newTree(t)
	if _, err := tr.provincial.Pool.Exec(context.Background(), `INSERT INTO hub_member_agencies (member_id, organ_id, registered)
		SELECT id, $1, true FROM hub_members WHERE name = 'truc-huyen'`, communeC); err != nil {
		t.Fatal(err)
	}
	body := tr.net.signedPackage(t, province, communeC)
	if _, err := send(t, tr.net.client(tr.provinceNode.cert, tr.provincial.url), body, ""); err != nil {
		t.Fatal(err)
	}
	if states := tr.provincial.waitDeliveries(t); states[communeC] != "failed" {
		t.Fatalf("provincial deliveries %v", states)
	}
	if r := waitReports(t, tr.provinceNode)[0]; r.Code != wire.CodeWrongRecipient || r.Recipient != communeC {
		t.Fatalf("report %+v", r)
	}
	if n := tr.distr.count(t, "hub_packages"); n != 0 {
		t.Fatalf("the district hub kept %d packages", n)
	}
}

func hopNames(h http.Header) []string {
	var hops []wire.Hop
	json.Unmarshal([]byte(h.Get(wire.HeaderHops)), &hops)
	var names []string
	for _, hp := range hops {
		names = append(names, hp.Name)
	}
	return names
}

// fakeUplink stands in for the national axis: it serves one agency, records what it
// is given and holds packages to be pulled.
type fakeUplink struct {
	serves  string
	mu      sync.Mutex
	got     []wire.Forwarded
	bodies  [][]byte
	waiting [][]byte
	pulled  int // packages accepted from waiting, by the test or the hub's own pull job
}

func (u *fakeUplink) Name() string               { return "truc-quoc-gia" }
func (u *fakeUplink) Serves(organID string) bool { return organID == u.serves }
func (u *fakeUplink) Directory(context.Context) ([]wire.DirectoryEntry, error) {
	return []wire.DirectoryEntry{{OrganID: u.serves}}, nil
}

func (u *fakeUplink) Forward(_ context.Context, p wire.Forwarded) (string, error) {
	body, err := io.ReadAll(p.Body)
	if err != nil {
		return "", err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.got, u.bodies = append(u.got, p), append(u.bodies, body)
	return "axis-1", nil
}

func (u *fakeUplink) Pull(ctx context.Context, accept func(context.Context, io.Reader, string) error) (int, error) {
	u.mu.Lock()
	waiting := u.waiting
	u.waiting = nil
	u.mu.Unlock()
	for i, body := range waiting {
		if err := accept(ctx, bytes.NewReader(body), "axis-ref-"+string(rune('a'+i))); err != nil {
			return i, err
		}
		u.mu.Lock()
		u.pulled++
		u.mu.Unlock()
	}
	return len(waiting), nil
}

// TestUplink forwards to the uplink a recipient that no member serves, and accepts
// what the uplink pulls as if it came from a parent.
func TestUplink(t *testing.T) {
	n := newNetwork(t)
	const ministry = "000.00.00.G22"
	uplink := &fakeUplink{serves: ministry}
	cert := n.tlsCert(t, "truc-tinh")
	h, err := New(Config{Pool: storetest.NewDB(t), Name: "truc-tinh", Cert: cert, PeerCAs: n.pool, Trust: n.pool, Uplink: uplink})
	if err != nil {
		t.Fatal(err)
	}
	th := &testHub{Hub: h, cert: cert}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jobs, err := h.StartJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(context.Background())
	a := n.startNode(t, "xa-a")
	th.addMember(t, "xa-a", RoleNode, a.url, a.cert, communeA)

	out := n.signedPackage(t, communeA, ministry)
	if _, err := h.accept(ctx, incoming{from: peer{Name: "xa-a", Role: RoleNode, ID: memberID(t, th, "xa-a")}, body: bytes.NewReader(out)}); err != nil {
		t.Fatal(err)
	}
	th.waitDeliveries(t)
	uplink.mu.Lock()
	if len(uplink.got) != 1 || !bytes.Equal(uplink.bodies[0], out) || uplink.got[0].From != communeA || !slices.Equal(uplink.got[0].Recipients, []string{ministry}) {
		t.Fatalf("the uplink got %+v", uplink.got)
	}
	uplink.waiting = [][]byte{n.signedPackage(t, ministry, communeA)}
	uplink.mu.Unlock()
	// The hub's own pull job may take the package first; either way it is pulled once.
	if _, err := uplink.Pull(ctx, h.AcceptFromUplink); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the uplink's package pulled", func() bool {
		uplink.mu.Lock()
		defer uplink.mu.Unlock()
		return uplink.pulled == 1
	})
	th.waitDeliveries(t)
	if received, _, _, _ := a.snapshot(); len(received) != 1 {
		t.Fatalf("the commune got %d packages from the uplink", len(received))
	}
	if err := h.PullDirectories(ctx); err != nil {
		t.Fatal(err)
	}
	dir, err := h.Directory(ctx)
	if err != nil || len(dir) != 2 || dir[0].OrganID != ministry || dir[0].Hub != uplink.Name() || dir[1].Node != "xa-a" {
		t.Fatalf("directory %+v, %v", dir, err)
	}
}

func memberID(t *testing.T, th *testHub, name string) int64 {
	t.Helper()
	var id int64
	if err := th.Pool.QueryRow(context.Background(), `SELECT id FROM hub_members WHERE name = $1`, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestReportTravelsDown reports a refusal at the provincial node back through the
// district hub to the commune that sent the package.
func TestReportTravelsDown(t *testing.T) {
	tr := newTree(t)
	tr.provinceNode.answer = func(int) int { return http.StatusBadRequest }
	receipt, err := send(t, tr.net.client(tr.xaA.cert, tr.distr.url), tr.net.signedPackage(t, communeA, province), "")
	if err != nil {
		t.Fatal(err)
	}
	tr.distr.waitDeliveries(t)
	if states := tr.provincial.waitDeliveries(t); states[province] != "failed" {
		t.Fatalf("provincial deliveries %v", states)
	}
	r := waitReports(t, tr.xaA)[0]
	if r.From != communeA || r.Recipient != province || r.Code != wire.CodeWrongRecipient || r.ReportedBy != "truc-tinh" || r.DocumentID != receipt.DocumentID ||
		r.OriginalRef != receipt.ReceiptID {
		t.Fatalf("report %+v", r)
	}
}

// TestRoutingNeverLoops sends nothing back to the hub a package came from (nor up,
// for an agency in that hub's subtree), sends the rest of the world to the parent,
// and hands a node a package for another agency it serves.
func TestRoutingNeverLoops(t *testing.T) {
	tr := newTree(t)
	ctx := context.Background()
	national := tr.net.startNode(t, "truc-quoc-gia")
	tr.provincial.addMember(t, "truc-quoc-gia", RoleParent, national.url, national.cert)
	tr.provincial.addMember(t, "xa-bc", RoleNode, "https://127.0.0.1:1", tr.net.tlsCert(t, "xa-bc"), communeB, communeC)
	cases := []struct {
		organID, cameFrom, want string
	}{
		{communeA, "", "truc-huyen"},
		{communeA, "truc-huyen", ""},
		{"000.00.00.G22", "truc-huyen", "truc-quoc-gia"},
		{"000.00.00.G22", "truc-quoc-gia", ""},
		{communeC, "xa-bc", "xa-bc"},
	}
	for _, c := range cases {
		next, err := tr.provincial.route(ctx, c.organID, c.cameFrom)
		if c.want == "" {
			if !errors.Is(err, errUnroutable) {
				t.Errorf("route(%s from %q) = %v, %v; want no route", c.organID, c.cameFrom, next.Name, err)
			}
			continue
		}
		if err != nil || next.Name != c.want {
			t.Errorf("route(%s from %q) = %v, %v; want %s", c.organID, c.cameFrom, next.Name, err, c.want)
		}
	}
}
