package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"edms/internal/liaison/wire"
	"edms/internal/testenv"
)

// Agencies of the test network.
const (
	communeA = "000.00.31.H55"
	communeB = "000.00.32.H55"
	communeC = "000.00.33.H55"
	province = "000.00.00.H55"
	district = "000.00.10.H55"
)

// star is a hub with two member nodes: A serves commune A, B serves commune B.
type star struct {
	net   *network
	hub   *testHub
	a, b  *fakeNode
	fromA *wire.Client
}

func newStar(t testing.TB) *star {
	t.Helper()
	n := newNetwork(t)
	s := &star{net: n, hub: n.startHub(t, "truc-tinh", 0), a: n.startNode(t, "xa-a"), b: n.startNode(t, "xa-b")}
	s.hub.addMember(t, "xa-a", RoleNode, s.a.url, s.a.cert, communeA)
	s.hub.addMember(t, "xa-b", RoleNode, s.b.url, s.b.cert, communeB)
	s.fromA = n.client(s.a.cert, s.hub.url)
	return s
}

func refusalCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var ref *wire.Refusal
	if !errors.As(err, &ref) {
		t.Fatalf("got %v, want a refusal", err)
	}
	return ref.Status, ref.Code
}

// TestRouteToMember sends a package of several chunks from one member node to
// another: the hub answers a signed receipt, forwards the exact bytes with the
// recipient and the hops beside them, and the forwarded package still verifies with
// xmlsec1.
func TestRouteToMember(t *testing.T) {
	s := newStar(t)
	s.net.pdfSize = 5 * chunkSize / 2
	body := s.net.signedPackage(t, communeA, communeB)
	receipt, err := send(t, s.fromA, body, "")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if receipt.Duplicate || receipt.ReceiptID == "" || receipt.SHA256 != wire.DefaultPackageID(body) || receipt.ReceivedBy != "truc-tinh" {
		t.Fatalf("receipt %+v", receipt)
	}
	if states := s.hub.waitDeliveries(t); states[communeB] != "delivered" {
		t.Fatalf("deliveries %v", states)
	}
	received, headers, _, _ := s.b.snapshot()
	if len(received) != 1 || sha256.Sum256(received[0]) != sum {
		t.Fatalf("the member got %d packages, or other bytes than were sent", len(received))
	}
	var hops []wire.Hop
	json.Unmarshal([]byte(headers[0].Get(wire.HeaderHops)), &hops)
	if headers[0].Get(wire.HeaderRecipient) != communeB || headers[0].Get(wire.HeaderPackageID) != receipt.PackageID ||
		len(hops) != 1 || hops[0].Name != "truc-tinh" || hops[0].ReceiptID != receipt.ReceiptID {
		t.Fatalf("forwarded with headers %v", headers[0])
	}
	tracking, err := s.net.client(s.a.cert, s.hub.url).Tracking(context.Background(), receipt.DocumentID)
	if err != nil || len(tracking) != 1 || tracking[0].State != "delivered" || tracking[0].Recipient != communeB {
		t.Fatalf("tracking %+v, %v", tracking, err)
	}
	verifyWithXmlsec1(t, s.net, received[0])
}

func verifyWithXmlsec1(t *testing.T, n *network, signed []byte) {
	t.Helper()
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	dir := t.TempDir()
	root := filepath.Join(dir, "root.pem")
	pkgPath := filepath.Join(dir, "forwarded.edxml")
	os.WriteFile(root, pemOf(n.ca.Cert.Raw), 0o644)
	os.WriteFile(pkgPath, signed, 0o644)
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", root, pkgPath).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses the forwarded package: %v\n%s", err, out)
	}
}

// TestUnknownRecipientStoresNothing refuses a package for an agency no one serves,
// keeping not a byte of it.
func TestUnknownRecipientStoresNothing(t *testing.T) {
	s := newStar(t)
	_, err := send(t, s.fromA, s.net.signedPackage(t, communeA, communeB, communeC), "")
	if _, code := refusalCode(t, err); code != wire.CodeWrongRecipient {
		t.Fatalf("code %s", code)
	}
	_, err = send(t, s.fromA, s.net.signedPackage(t, communeA, communeB), communeC)
	if _, code := refusalCode(t, err); code != wire.CodeWrongRecipient {
		t.Fatalf("a transport recipient not among To: code %s", code)
	}
	if _, err := s.hub.Pool.Exec(context.Background(), `UPDATE hub_member_agencies SET end_at = now() - interval '1 day' WHERE organ_id = $1`, communeB); err != nil {
		t.Fatal(err)
	}
	_, err = send(t, s.fromA, s.net.signedPackage(t, communeA, communeB), "")
	if _, code := refusalCode(t, err); code != wire.CodeWrongRecipient {
		t.Fatalf("an agency whose service ended: code %s", code)
	}
	for _, table := range []string{"hub_package_chunks", "hub_packages", "hub_deliveries"} {
		if n := s.hub.count(t, table); n != 0 {
			t.Fatalf("%d rows left in %s", n, table)
		}
	}
}

// TestUnclaimedChunksAreDeleted deletes staged bytes that no package claimed after
// an hour, and keeps fresh ones (an upload still streaming).
func TestUnclaimedChunksAreDeleted(t *testing.T) {
	s := newStar(t)
	ctx := context.Background()
	if _, err := s.hub.Pool.Exec(ctx, `INSERT INTO hub_package_chunks (staging_id, seq, data, created_at) VALUES
		(gen_random_uuid(), 0, 'old', now() - interval '2 hours'), (gen_random_uuid(), 0, 'streaming', now())`); err != nil {
		t.Fatal(err)
	}
	if n, err := deleteUnclaimed(ctx, s.hub.Pool); err != nil || n != 1 {
		t.Fatalf("deleted %d: %v", n, err)
	}
	if n := s.hub.count(t, "hub_package_chunks"); n != 1 {
		t.Fatalf("%d chunks left, want the fresh one", n)
	}
}

// TestResendIsDuplicate answers a resend with the first receipt id, and 20 parallel
// copies of a new package with one package and one delivery per recipient.
func TestResendIsDuplicate(t *testing.T) {
	s := newStar(t)
	body := s.net.signedPackage(t, communeA, communeB)
	first, err := send(t, s.fromA, body, "")
	if err != nil {
		t.Fatal(err)
	}
	again, err := send(t, s.fromA, body, "")
	if err != nil || !again.Duplicate || again.ReceiptID != first.ReceiptID {
		t.Fatalf("resend answered %+v, %v; want a duplicate of %s", again, err, first.ReceiptID)
	}

	parallel := s.net.signedPackage(t, communeA, communeB)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			r, err := send(t, s.fromA, parallel, "")
			if err != nil {
				t.Error(err)
			}
			ids[i] = r.ReceiptID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("parallel copies got receipts %v", ids)
		}
	}
	if p, d := s.hub.count(t, "hub_packages"), s.hub.count(t, "hub_deliveries"); p != 2 || d != 2 {
		t.Fatalf("%d packages and %d deliveries for two packages to one recipient", p, d)
	}
	s.hub.waitDeliveries(t)
	if received, _, _, _ := s.b.snapshot(); len(received) != 2 {
		t.Fatalf("the member got %d packages, want 2", len(received))
	}
	if n := s.hub.count(t, "hub_package_chunks"); n != 0 {
		if _, err := deleteUnclaimed(context.Background(), s.hub.Pool); err != nil || s.hub.count(t, "hub_package_chunks") != 0 {
			t.Fatalf("delivered packages keep their chunks: %v", err)
		}
	}
}

// TestBadActors refuses what the protocol calls for, storing nothing.
func TestBadActors(t *testing.T) {
	s := newStar(t)
	other := newNetwork(t)
	cases := []struct {
		name   string
		body   []byte
		status int
		code   string
	}{
		{"sender mismatch", s.net.signedPackage(t, communeB, communeA), http.StatusForbidden, wire.CodeSenderMismatch},
		{"unsigned", s.net.unsignedPackage(t, communeA, communeB), http.StatusBadRequest, wire.CodeUnsigned},
		{"wrongly signed", tamper(t, s.net.signedPackage(t, communeA, communeB)), http.StatusBadRequest, wire.CodeBadSignature},
		{"untrusted signer", sign(t, s.net.unsignedPackage(t, communeA, communeB), agencyIdentity(t, other.ca, communeA)), http.StatusBadRequest, wire.CodeUntrustedSigner},
		{"signed by another agency", sign(t, s.net.unsignedPackage(t, communeA, communeB), s.net.identity(t, communeB)), http.StatusBadRequest, wire.CodeSenderMismatch},
		{"not edXML", []byte("<html/>"), http.StatusBadRequest, wire.CodeInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := send(t, s.fromA, c.body, "")
			if status, code := refusalCode(t, err); status != c.status || code != c.code {
				t.Fatalf("refused with %d %s, want %d %s (%v)", status, code, c.status, c.code, err)
			}
		})
	}
	t.Run("unregistered client certificate", func(t *testing.T) {
		stranger := s.net.client(s.net.tlsCert(t, "stranger"), s.hub.url)
		_, err := send(t, stranger, s.net.signedPackage(t, communeA, communeB), "")
		if status, code := refusalCode(t, err); status != http.StatusUnauthorized || code != wire.CodeUnauthenticated {
			t.Fatalf("refused with %d %s", status, code)
		}
	})
	t.Run("certificate from another CA", func(t *testing.T) {
		c := &wire.Client{BaseURL: s.hub.url, HTTP: wire.NewHTTPClient(wire.ClientTLS(issueTLS(t, other.ca, "xa-a"), s.net.pool), 0)}
		if _, err := send(t, c, s.net.signedPackage(t, communeA, communeB), ""); err == nil {
			t.Fatal("a client certificate of another CA was accepted")
		}
	})
	t.Run("version missing", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.hub.url+wire.PathPackages, bytes.NewReader([]byte("<edXML/>")))
		resp, err := s.fromA.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body wire.ErrorBody
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || body.Code != wire.CodeUnsupportedVersion {
			t.Fatalf("answered %d %s", resp.StatusCode, body.Code)
		}
	})
	for _, table := range []string{"hub_package_chunks", "hub_packages", "hub_deliveries"} {
		if n := s.hub.count(t, table); n != 0 {
			t.Fatalf("%d rows left in %s", n, table)
		}
	}
}

// tamper changes the subject of a signed package.
func tamper(t *testing.T, signed []byte) []byte {
	t.Helper()
	out := bytes.Replace(signed, []byte("thử nghiệm liên thông"), []byte("thử nghiệm liên thônG"), 1)
	if bytes.Equal(out, signed) {
		t.Fatal("nothing to tamper with")
	}
	return out
}

// TestOversizedPackage answers 413 before reading a body whose Content-Length is
// over the limit, and refuses a chunked body that grows past it.
func TestOversizedPackage(t *testing.T) {
	n := newNetwork(t)
	h := n.startHub(t, "truc-nho", 64<<10)
	a := n.startNode(t, "xa-a")
	h.addMember(t, "xa-a", RoleNode, a.url, a.cert, communeA)
	c := n.client(a.cert, h.url)
	body := n.signedPackage(t, communeA, communeB)
	if _, err := send(t, c, body, ""); err == nil {
		t.Fatal("an oversized package was accepted")
	} else if status, code := refusalCode(t, err); status != http.StatusRequestEntityTooLarge || code != wire.CodeTooLarge {
		t.Fatalf("refused with %d %s", status, code)
	}
	_, err := c.Send(context.Background(), wire.Outgoing{Body: bytes.NewReader(body), Length: -1, PackageID: "chunked"})
	if status, code := refusalCode(t, err); status != http.StatusRequestEntityTooLarge || code != wire.CodeTooLarge {
		t.Fatalf("a chunked oversized body was refused with %d %s", status, code)
	}
	if n := h.count(t, "hub_package_chunks"); n != 0 {
		t.Fatalf("%d chunks kept of refused packages", n)
	}
}

// TestRetryAfterUnavailable delivers once to a member that answers 503 and then 200.
func TestRetryAfterUnavailable(t *testing.T) {
	s := newStar(t)
	s.b.answer = func(attempt int) int {
		if attempt == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	if _, err := send(t, s.fromA, s.net.signedPackage(t, communeA, communeB), ""); err != nil {
		t.Fatal(err)
	}
	if states := s.hub.waitDeliveries(t); states[communeB] != "delivered" {
		t.Fatalf("deliveries %v", states)
	}
	received, _, _, attempts := s.b.snapshot()
	if len(received) != 1 || attempts != 2 {
		t.Fatalf("%d packages received in %d attempts, want 1 in 2", len(received), attempts)
	}
}

// TestRefusalIsReportedToSender fails a delivery that the member refuses, without
// retrying, and reports it to the sender's node.
func TestRefusalIsReportedToSender(t *testing.T) {
	s := newStar(t)
	s.b.answer = func(int) int { return http.StatusBadRequest }
	receipt, err := send(t, s.fromA, s.net.signedPackage(t, communeA, communeB), "")
	if err != nil {
		t.Fatal(err)
	}
	if states := s.hub.waitDeliveries(t); states[communeB] != "failed" {
		t.Fatalf("deliveries %v", states)
	}
	reports := waitReports(t, s.a)
	r := reports[0]
	if r.From != communeA || r.Recipient != communeB || r.Code != wire.CodeWrongRecipient || r.OriginalRef != receipt.ReceiptID || r.DocumentID != receipt.DocumentID {
		t.Fatalf("report %+v", r)
	}
	if _, _, _, attempts := s.b.snapshot(); attempts != 1 {
		t.Fatalf("a refusal was retried: %d attempts", attempts)
	}
}

func waitReports(t *testing.T, f *fakeNode) []wire.Report {
	t.Helper()
	var reports []wire.Report
	waitFor(t, "a report at "+f.name, func() bool {
		_, _, reports, _ = f.snapshot()
		return len(reports) > 0
	})
	return reports
}

// TestEndpointMustPresentTheRegisteredCertificate does not hand a package to an
// endpoint whose certificate, though issued by a trusted CA, is not the member's.
func TestEndpointMustPresentTheRegisteredCertificate(t *testing.T) {
	s := newStar(t)
	s.hub.addMember(t, "xa-c", RoleNode, s.b.url, s.net.tlsCert(t, "xa-c"), communeC)
	if _, err := send(t, s.fromA, s.net.signedPackage(t, communeA, communeC), ""); err != nil {
		t.Fatal(err)
	}
	var lastError string
	waitFor(t, "a failed attempt", func() bool {
		s.hub.Pool.QueryRow(context.Background(), `SELECT last_error FROM hub_deliveries`).Scan(&lastError)
		return lastError != ""
	})
	if !strings.Contains(lastError, errPeerMismatch.Error()) {
		t.Fatalf("last error %q", lastError)
	}
	if _, _, _, attempts := s.b.snapshot(); attempts != 0 {
		t.Fatalf("the impostor endpoint got %d packages", attempts)
	}
}

// TestTwoInstancesShareOneDatabase runs two instances of one hub on one database:
// copies of a package sent to both at once make one package and one delivery, and
// packages sent to either are each delivered once.
func TestTwoInstancesShareOneDatabase(t *testing.T) {
	s := newStar(t)
	second := s.net.startHubOn(t, s.hub.Pool, "truc-tinh", 0)
	clients := []*wire.Client{s.fromA, s.net.client(s.a.cert, second.url)}
	same := s.net.signedPackage(t, communeA, communeB)
	var wg sync.WaitGroup
	ids := make([]string, 10)
	for i := range ids {
		wg.Go(func() {
			r, err := send(t, clients[i%2], same, "")
			if err != nil {
				t.Error(err)
			}
			ids[i] = r.ReceiptID
		})
	}
	wg.Wait()
	for i := range 10 {
		if _, err := send(t, clients[i%2], s.net.signedPackage(t, communeA, communeB), ""); err != nil {
			t.Fatal(err)
		}
	}
	s.hub.waitDeliveries(t)
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("copies got receipts %v", ids)
		}
	}
	if received, _, _, _ := s.b.snapshot(); len(received) != 11 {
		t.Fatalf("the member got %d packages, want 11", len(received))
	}
}

// TestCutUploadKeepsNothing drops the staged bytes of an upload cut midway, after
// the hub had stored its first chunk.
func TestCutUploadKeepsNothing(t *testing.T) {
	s := newStar(t)
	s.net.pdfSize = 3 * chunkSize
	body := s.net.signedPackage(t, communeA, communeB)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := s.fromA.Send(context.Background(), wire.Outgoing{Body: pr, Length: -1, PackageID: "cut"})
		done <- err
	}()
	if _, err := pw.Write(body[:3*chunkSize/2]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first chunk", func() bool { return s.hub.count(t, "hub_package_chunks") > 0 })
	pw.CloseWithError(errors.New("the line dropped"))
	if err := <-done; err == nil {
		t.Fatal("a cut upload was acknowledged")
	}
	waitFor(t, "the chunks to go", func() bool { return s.hub.count(t, "hub_package_chunks") == 0 })
	if n := s.hub.count(t, "hub_packages"); n != 0 {
		t.Fatalf("%d packages stored from a cut upload", n)
	}
}
