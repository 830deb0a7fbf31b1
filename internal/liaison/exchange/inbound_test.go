package exchange

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"edms/internal/docs"
	"edms/internal/liaison/wire"
)

// send posts a package as a wire client would, with its own package id.
func send(c *wire.Client, body []byte, packageID, recipient string) (wire.Receipt, error) {
	return c.Send(context.Background(), wire.Outgoing{Body: bytes.NewReader(body), Length: int64(len(body)),
		PackageID: packageID, Recipient: recipient})
}

// TestInboundRegistersEachPackageOnce delivers a signed package from the hub: it is
// registered once, its receipt verifies with the node's certificate (the client
// checks it), a resend is a duplicate with the first receipt, and 20 parallel copies
// of another package make one registration with one receipt id.
func TestInboundRegistersEachPackageOnce(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, false)
	ctx := context.Background()
	if _, err := AddPeer(ctx, nd.pool, "hub", RoleHub, n.hub.Cert, nil); err != nil {
		t.Fatal(err)
	}
	srv := n.serve(t, n.node, nd.link.Handler())
	hub := n.client(srv.URL, n.hub)

	body := n.documentPackage(t, remoteOrganID, []string{localOrganID, otherOrganID}, "15")
	first, err := send(hub, body, "p-1", localOrganID)
	if err != nil {
		t.Fatal(err)
	}
	if first.Duplicate || first.ReceiptID == "" || first.SHA256 != wire.DefaultPackageID(body) || first.PackageID != "p-1" ||
		first.ReceivedBy != "yen-ninh" || len(first.Hops) != 1 {
		t.Fatalf("first receipt %+v", first)
	}
	again, err := send(hub, body, "p-1", localOrganID)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.ReceiptID != first.ReceiptID || again.SHA256 != first.SHA256 {
		t.Fatalf("resend receipt %+v, first %+v", again, first)
	}
	if got := nd.count(t, `SELECT count(*) FROM documents WHERE direction = 'incoming' AND agency_id = $1`, nd.agency.ID); got != 1 {
		t.Fatalf("%d incoming documents after a resend, want 1", got)
	}

	update := n.documentPackage(t, remoteOrganID, []string{localOrganID}, "16")
	receipts := make(chan wire.Receipt, 20)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := send(hub, update, "", "")
			if err != nil {
				t.Error(err)
				return
			}
			receipts <- r
		}()
	}
	wg.Wait()
	close(receipts)
	ids, fresh := map[string]bool{}, 0
	for r := range receipts {
		ids[r.ReceiptID] = true
		if !r.Duplicate {
			fresh++
		}
	}
	if len(ids) != 1 || fresh != 1 {
		t.Fatalf("20 parallel copies gave receipt ids %v and %d first registrations", ids, fresh)
	}
	if got := nd.count(t, `SELECT count(*) FROM exchange_inbox`); got != 2 {
		t.Fatalf("%d inbox rows, want 2", got)
	}
	if got := nd.count(t, `SELECT count(*) FROM documents WHERE direction = 'incoming'`); got != 2 {
		t.Fatalf("%d incoming documents, want 2", got)
	}
}

// TestInboundRefusals sends what the node must refuse, each refused with the
// protocol's code and nothing stored.
func TestInboundRefusals(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, false)
	ctx := context.Background()
	if _, err := AddPeer(ctx, nd.pool, "hub", RoleHub, n.hub.Cert, nil); err != nil {
		t.Fatal(err)
	}
	member := n.tlsCredential(t, "member")
	if _, err := AddPeer(ctx, nd.pool, "member", RoleNode, member.Cert, []string{otherOrganID}); err != nil {
		t.Fatal(err)
	}
	stranger := n.tlsCredential(t, "stranger")
	nd.link.MaxPackageBytes = 64 << 10
	srv := n.serve(t, n.node, nd.link.Handler())
	hub := n.client(srv.URL, n.hub)

	good := n.documentPackage(t, remoteOrganID, []string{localOrganID}, "20")
	unsigned := unsignedOf(t, good)
	other := newNetwork(t)
	untrusted := other.documentPackage(t, remoteOrganID, []string{localOrganID}, "21")
	tampered := bytes.Replace(good, []byte("thử liên thông"), []byte("thử liên thôns"), 1)
	oversized := n.documentPackage(t, remoteOrganID, []string{localOrganID}, "22")
	oversized = append(oversized, bytes.Repeat([]byte(" "), 70<<10)...)

	cases := []struct {
		name      string
		client    *wire.Client
		body      []byte
		recipient string
		status    int
		code      string
	}{
		{"sender not served by the member node", n.client(srv.URL, member), good, "", http.StatusForbidden, wire.CodeSenderMismatch},
		{"unsigned", hub, unsigned, "", http.StatusBadRequest, wire.CodeUnsigned},
		{"changed after signing", hub, tampered, "", http.StatusBadRequest, wire.CodeBadSignature},
		{"signed under another CA", hub, untrusted, "", http.StatusBadRequest, wire.CodeUntrustedSigner},
		{"transport recipient not among To", hub, good, otherOrganID, http.StatusBadRequest, wire.CodeWrongRecipient},
		{"no local recipient", hub, n.documentPackage(t, remoteOrganID, []string{otherOrganID}, "23"), "", http.StatusBadRequest, wire.CodeWrongRecipient},
		{"over the limit", hub, oversized, "", http.StatusRequestEntityTooLarge, wire.CodeTooLarge},
		{"unknown peer", n.client(srv.URL, stranger), good, "", http.StatusUnauthorized, wire.CodeUnauthenticated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := send(c.client, c.body, "", c.recipient)
			var ref *wire.Refusal
			if !errors.As(err, &ref) || ref.Status != c.status || ref.Code != c.code {
				t.Fatalf("answer %v, want %d %s", err, c.status, c.code)
			}
		})
	}
	t.Run("missing version", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+wire.PathPackages, bytes.NewReader(good))
		resp, err := hub.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(readAll(t, resp), wire.CodeUnsupportedVersion) {
			t.Fatalf("answer %d", resp.StatusCode)
		}
	})
	t.Run("no client certificate", func(t *testing.T) {
		_, err := send(n.client(srv.URL, nil), good, "", "")
		var ref *wire.Refusal
		if err == nil || errors.As(err, &ref) && ref.Code != wire.CodeUnauthenticated {
			t.Fatalf("answer %v, want the TLS handshake or a 401 to refuse", err)
		}
	})
	if got := nd.count(t, `SELECT count(*) FROM exchange_inbox`); got != 0 {
		t.Fatalf("%d inbox rows after refusals", got)
	}
	if got := nd.count(t, `SELECT count(*) FROM documents`); got != 0 {
		t.Fatalf("%d documents after refusals", got)
	}
}

// unsignedOf removes the signature from a signed package.
func unsignedOf(t *testing.T, signed []byte) []byte {
	t.Helper()
	start := bytes.Index(signed, []byte("<Signature"))
	end := bytes.Index(signed, []byte("</Signature>"))
	if start < 0 || end < 0 {
		t.Fatal("no signature to remove")
	}
	return append(append([]byte{}, signed[:start]...), signed[end+len("</Signature>"):]...)
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return b.String()
}

// TestPermanentRefusals: what the documents refuse for good (bad metadata, a file
// they do not take) is answered with a refusal, never a 503 that a hub would retry
// for ever; anything else is temporary.
func TestPermanentRefusals(t *testing.T) {
	for _, err := range []error{docs.ErrInvalid, docs.ErrMediaNotAllowed, fmt.Errorf("storing: %w", docs.ErrFileTooLarge),
		docs.ErrFileWrongType, docs.ErrFileEmpty, docs.ErrDuplicate} {
		if !permanent(err) {
			t.Errorf("%v is retried", err)
		}
	}
	if permanent(errors.New("connection reset")) {
		t.Error("a transport failure is refused for good")
	}
}
