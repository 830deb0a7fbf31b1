package exchange

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/signing/pki"
	"edms/internal/store"
	"edms/internal/testenv"
)

// fakeHub receives what the node sends and answers by the package id's prefix:
// "refuse-" with a refusal, "flaky-" with a 503 the first time, anything else with a
// signed receipt.
type fakeHub struct {
	key      crypto.Signer
	mu       sync.Mutex
	received map[string][]*http.Request // by package id
	bodies   map[string][]byte
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	id := r.Header.Get(wire.HeaderPackageID)
	h.mu.Lock()
	h.received[id] = append(h.received[id], r)
	h.bodies[id] = body
	tries := len(h.received[id])
	h.mu.Unlock()
	switch {
	case strings.HasPrefix(id, "refuse-"):
		wire.WriteRefusal(w, refusal(http.StatusBadRequest, wire.CodeWrongRecipient, "Không có nơi nhận này trong mạng."))
	case strings.HasPrefix(id, "flaky-") && tries == 1:
		http.Error(w, "restarting", http.StatusServiceUnavailable)
	default:
		out, _ := json.Marshal(wire.Receipt{ReceiptID: "hub-" + id, PackageID: id, SHA256: wire.DefaultPackageID(body), ReceivedAt: time.Now()})
		sig, _ := wire.SignReceipt(h.key, out)
		w.Header().Set(wire.HeaderReceiptSignature, sig)
		w.Write(out)
	}
}

func (h *fakeHub) got(id string) ([]*http.Request, []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.received[id], h.bodies[id]
}

// sentDocument stores an issued outgoing document of the node's agency, with a PDF,
// addressed to remoteOrganID.
func (nd *node) sentDocument(t *testing.T, number string) int64 {
	return nd.sentDocumentOf(t, number, "thuong")
}

func (nd *node) sentDocumentOf(t *testing.T, number, secrecy string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := store.InTx(ctx, nd.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO documents (agency_id, direction, type, code_number, code_notation, place,
				issued_date, subject, issuer_organ_id, issuer_name, signer_name, outgoing_state, secrecy, external_id)
			VALUES ($1, 'outgoing', 'quyet_dinh', $2, 'QĐ-UBND', 'Yên Ninh', current_date, 'Về việc thử gửi văn bản',
				$3, 'UBND xã Yên Ninh', 'Nguyễn Văn A', 'sent', $4, $3 || ',' || to_char(current_date, 'YYYY/MM/DD') || ',' || $2 || '/QĐ-UBND')
			RETURNING id`, nd.agency.ID, number, localOrganID, secrecy).Scan(&id); err != nil {
			return err
		}
		blob, err := docs.PutBlob(ctx, tx, bytes.NewReader(testPDF()), docs.MediaPDF, 1<<20)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO document_files (document_id, kind, version, blob_id, file_name, media_type)
			VALUES ($1, 'main', 1, $2, 'qd.pdf', $3)`, id, blob.ID, docs.MediaPDF); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO document_recipients (document_id, ord, organ_id, name, status)
			VALUES ($1, 1, $2, 'UBND tỉnh', 'sent')`, id, remoteOrganID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// settled waits until the job of the package is done with (completed or
// discarded) and returns its state and the sending log's row.
func (nd *node) settled(t *testing.T, packageID string) (jobState, logState, receiptID, lastError string, attempts int) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		err := nd.pool.QueryRow(ctx, `SELECT state::text FROM river_job WHERE args->>'package_id' = $1`, packageID).Scan(&jobState)
		if err != nil {
			t.Fatal(err)
		}
		if jobState == "completed" || jobState == "discarded" || jobState == "cancelled" {
			break
		}
	}
	err := nd.pool.QueryRow(ctx, `SELECT state, receipt_id, last_error, attempts FROM exchange_outbound WHERE package_id = $1`,
		packageID).Scan(&logState, &receiptID, &lastError, &attempts)
	if err != nil {
		t.Fatalf("package %s not in the sending log (job %s): %v", packageID, jobState, err)
	}
	return
}

func (nd *node) queue(t *testing.T, args river.JobArgs) { nd.queueTries(t, args, 3) }

func (nd *node) queueTries(t *testing.T, args river.JobArgs, maxAttempts int) {
	t.Helper()
	if _, err := nd.jobs.Insert(context.Background(), args, &river.InsertOpts{Queue: docs.QueueExchange, MaxAttempts: maxAttempts}); err != nil {
		t.Fatal(err)
	}
}

// TestOutboundDeliveries runs the workers against an mTLS hub: a package arrives
// signed (xmlsec1 agrees) with the protocol's headers and is recorded as sent with
// the hub's receipt; a refusal is recorded as failed at once; a temporary failure
// is retried; a status package arrives signed too.
func TestOutboundDeliveries(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, true)
	hub := &fakeHub{key: n.hub.Key, received: map[string][]*http.Request{}, bodies: map[string][]byte{}}
	srv := n.serve(t, n.hub, hub)
	nd.link.Hub = n.client(srv.URL, n.node)

	t.Run("delivered", func(t *testing.T) {
		docID := nd.sentDocument(t, "31")
		nd.queue(t, docs.SendPackageArgs{DocumentID: docID, Recipient: remoteOrganID, PackageID: "ok-1"})
		job, state, receipt, _, attempts := nd.settled(t, "ok-1")
		if job != "completed" || state != "sent" || receipt != "hub-ok-1" || attempts != 1 {
			t.Fatalf("job %s, log %s receipt %q after %d attempts", job, state, receipt, attempts)
		}
		reqs, body := hub.got("ok-1")
		if len(reqs) != 1 || reqs[0].Header.Get(wire.HeaderVersion) != wire.Version || reqs[0].Header.Get(wire.HeaderRecipient) != remoteOrganID {
			t.Fatalf("requests %v", reqs)
		}
		pkg, err := liaison.Read(bytes.NewReader(body), liaison.Options{Roots: n.roots, RequireSignature: true})
		if ref := wire.Judge(pkg, err); ref != nil {
			t.Fatalf("the hub would refuse the package: %s %s", ref.Code, ref.Message)
		}
		if pkg.Header.From.OrganID != localOrganID || len(pkg.Header.To) != 1 || pkg.Header.To[0].OrganID != remoteOrganID || len(pkg.Attachments) != 1 {
			t.Fatalf("package header %+v, %d attachments", pkg.Header, len(pkg.Attachments))
		}
		verifyWithXmlsec1(t, n.ca, body)
	})
	t.Run("refused", func(t *testing.T) {
		docID := nd.sentDocument(t, "32")
		nd.queue(t, docs.SendPackageArgs{DocumentID: docID, Recipient: remoteOrganID, PackageID: "refuse-1"})
		job, state, _, lastError, attempts := nd.settled(t, "refuse-1")
		if job != "completed" || state != "failed" || lastError != "Không có nơi nhận này trong mạng." || attempts != 1 {
			t.Fatalf("job %s, log %s %q after %d attempts", job, state, lastError, attempts)
		}
	})
	t.Run("retried", func(t *testing.T) {
		docID := nd.sentDocument(t, "33")
		nd.queue(t, docs.SendPackageArgs{DocumentID: docID, Recipient: remoteOrganID, PackageID: "flaky-1"})
		job, state, receipt, _, attempts := nd.settled(t, "flaky-1")
		if job != "completed" || state != "sent" || receipt != "hub-flaky-1" || attempts != 2 {
			t.Fatalf("job %s, log %s receipt %q after %d attempts", job, state, receipt, attempts)
		}
	})
	t.Run("given up at the last attempt", func(t *testing.T) {
		docID := nd.sentDocument(t, "34")
		nd.queueTries(t, docs.SendPackageArgs{DocumentID: docID, Recipient: remoteOrganID, PackageID: "flaky-2"}, 1)
		job, state, _, lastError, attempts := nd.settled(t, "flaky-2")
		if job != "discarded" || state != "failed" || !strings.Contains(lastError, "503") || attempts != 1 {
			t.Fatalf("job %s, log %s %q after %d attempts", job, state, lastError, attempts)
		}
	})
	t.Run("secret", func(t *testing.T) {
		docID := nd.sentDocumentOf(t, "35", "mat")
		nd.queue(t, docs.SendPackageArgs{DocumentID: docID, Recipient: remoteOrganID, PackageID: "ok-secret"})
		job, state, _, lastError, _ := nd.settled(t, "ok-secret")
		if reqs, _ := hub.got("ok-secret"); job != "completed" || state != "failed" || lastError != msgSecret || len(reqs) != 0 {
			t.Fatalf("job %s, log %s %q, %d requests at the hub", job, state, lastError, len(reqs))
		}
	})
	t.Run("status", func(t *testing.T) {
		nd.queue(t, docs.SendStatusArgs{AgencyID: nd.agency.ID, To: remoteOrganID, ResponseFor: "000.00.00.H10,2026/03/02,15/QĐ-UBND",
			Code: "03", Note: "Đã vào sổ", At: time.Now(), PackageID: "status-1"})
		job, state, _, _, _ := nd.settled(t, "status-1")
		if job != "completed" || state != "sent" {
			t.Fatalf("job %s, log %s", job, state)
		}
		_, body := hub.got("status-1")
		pkg, err := liaison.Read(bytes.NewReader(body), liaison.Options{Roots: n.roots, RequireSignature: true})
		if ref := wire.Judge(pkg, err); ref != nil || pkg.Status.StatusCode != "03" || pkg.Status.From.OrganID != localOrganID {
			t.Fatalf("status package %+v, refusal %v", pkg, ref)
		}
	})
}

// TestOutboundWithoutHub fails a delivery at once when the node has no hub.
func TestOutboundWithoutHub(t *testing.T) {
	n := newNetwork(t)
	nd := newNode(t, n, true)
	nd.queue(t, docs.SendPackageArgs{DocumentID: nd.sentDocument(t, "36"), Recipient: remoteOrganID, PackageID: "p-nohub"})
	job, state, _, lastError, _ := nd.settled(t, "p-nohub")
	if job != "completed" || state != "failed" || lastError != msgNoHub {
		t.Fatalf("job %s, log %s %q", job, state, lastError)
	}
}

func verifyWithXmlsec1(t *testing.T, ca *pki.Authority, body []byte) {
	t.Helper()
	xmlsec1 := testenv.LookTool(t, "xmlsec1")
	dir := t.TempDir()
	pkgPath, caPath := filepath.Join(dir, "package.edxml"), filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pkgPath, body, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteCertPEM(caPath, ca.Cert); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(xmlsec1, "--verify", "--trusted-pem", caPath, pkgPath).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 refuses the package: %v\n%s", err, out)
	}
}

// relay is a hub that hands every package on to one node and answers with that
// node's receipt, signed with its own key.
func relay(t *testing.T, key crypto.Signer, to *wire.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		receipt, err := to.Send(r.Context(), wire.Outgoing{Body: bytes.NewReader(body), Length: int64(len(body)),
			PackageID: r.Header.Get(wire.HeaderPackageID), Recipient: r.Header.Get(wire.HeaderRecipient)})
		if err != nil {
			t.Errorf("relay: %v", err)
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out, _ := json.Marshal(receipt)
		sig, _ := wire.SignReceipt(key, out)
		w.Header().Set(wire.HeaderReceiptSignature, sig)
		w.Write(out)
	})
}

// TestNodeToNode sends a document from one node's worker through a relaying hub to
// another node's handler: the package the packer builds is the one the receiving
// side registers as an incoming document with its file, once.
func TestNodeToNode(t *testing.T) {
	n := newNetwork(t)
	sender := newNode(t, n, true)
	receiver := newNodeOf(t, n, false, remoteOrganID, "Ủy ban nhân dân tỉnh Thái Nguyên")
	ctx := context.Background()
	if _, err := AddPeer(ctx, receiver.pool, "hub", RoleHub, n.hub.Cert, nil); err != nil {
		t.Fatal(err)
	}
	receiverSrv := n.serve(t, n.node, receiver.link.Handler())
	hubSrv := n.serve(t, n.hub, relay(t, n.hub.Key, n.client(receiverSrv.URL, n.hub)))
	sender.link.Hub = n.client(hubSrv.URL, n.node)

	docID := sender.sentDocument(t, "70")
	sender.queue(t, docs.SendPackageArgs{DocumentID: docID, Recipient: remoteOrganID, PackageID: "n2n-1"})
	job, state, receiptID, lastError, _ := sender.settled(t, "n2n-1")
	if job != "completed" || state != "sent" || receiptID == "" {
		t.Fatalf("job %s, log %s %q %q", job, state, receiptID, lastError)
	}
	var subject, external, issuer string
	var files int
	err := receiver.pool.QueryRow(ctx, `SELECT d.subject, d.external_id, d.issuer_organ_id,
			(SELECT count(*) FROM document_files f WHERE f.document_id = d.id AND f.kind = 'main')
		FROM documents d JOIN exchange_inbox i ON i.local_document_id = d.id
		WHERE d.direction = 'incoming' AND i.receipt_id::text = $1`, receiptID).Scan(&subject, &external, &issuer, &files)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "Về việc thử gửi văn bản" || issuer != localOrganID || !strings.HasPrefix(external, localOrganID+",") || files != 1 {
		t.Fatalf("received %q %q %q with %d main files", subject, external, issuer, files)
	}
}
