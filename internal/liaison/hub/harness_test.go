package hub

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/rivertype"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// network is a test PKI: one CA for TLS certificates and agency signatures, as in
// the demo, and the agencies' signing identities.
type network struct {
	ca       *pki.Authority
	pool     *x509.CertPool
	agencies map[string]liaison.Identity
	serial   atomic.Int64
	pdfSize  int // bytes of the attachment of each document
}

func newNetwork(t testing.TB) *network {
	t.Helper()
	ca, err := pki.NewRootCA("edms test root")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &network{ca: ca, pool: pool, agencies: map[string]liaison.Identity{}, pdfSize: 200_000}
}

// tlsCert issues an endpoint certificate (server and client) for loopback.
func (n *network) tlsCert(t testing.TB, name string) tls.Certificate {
	t.Helper()
	return issueTLS(t, n.ca, name)
}

func issueTLS(t testing.TB, ca *pki.Authority, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// identity is the signing identity of an agency, its OrganId as the UID.
func (n *network) identity(t testing.TB, organID string) liaison.Identity {
	t.Helper()
	if id, ok := n.agencies[organID]; ok {
		return id
	}
	id := agencyIdentity(t, n.ca, organID)
	n.agencies[organID] = id
	return id
}

func agencyIdentity(t testing.TB, ca *pki.Authority, organID string) liaison.Identity {
	t.Helper()
	cred, err := ca.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "Cơ quan " + organID, Identifier: organID}})
	if err != nil {
		t.Fatal(err)
	}
	return liaison.Identity{Signer: cred.Key, Chain: []*x509.Certificate{cred.Cert, ca.Cert}}
}

// unsignedPackage builds a new document from one agency to others, with a PDF
// attachment; each call has its own DocumentId.
func (n *network) unsignedPackage(t testing.TB, from string, to ...string) []byte {
	t.Helper()
	issued := liaison.Date{Year: 2026, Month: time.March, Day: 2}
	header := &liaison.MessageHeader{
		From:             liaison.Organization{OrganID: from, OrganName: "Cơ quan " + from, OrganizationInCharge: "Cơ quan " + from, OrganAdd: "Thái Nguyên"},
		Code:             liaison.Code{Number: strconv.FormatInt(n.serial.Add(1), 10), Notation: "CV-UBND"},
		Place:            "Thái Nguyên",
		PromulgationDate: issued,
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Công văn"},
		Subject:          "Về việc thử nghiệm liên thông",
		Content:          "Nội dung thử nghiệm",
		Signer:           liaison.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Nguyễn Văn A"},
		DueDate:          liaison.Date{Year: 2026, Month: time.March, Day: 20},
		OtherInfo:        liaison.OtherInfo{Priority: 1, PageAmount: 1, PromulgationAmount: 1},
		SteeringType:     1,
		ToPlaces:         []string{"Như trên"},
	}
	for _, o := range to {
		header.To = append(header.To, liaison.Organization{OrganID: o, OrganName: "Cơ quan " + o})
	}
	pdf := filepath.Join(t.TempDir(), "cong-van.pdf")
	body := make([]byte, n.pdfSize)
	rand.Read(body)
	copy(body, "%PDF-1.7\n")
	if err := os.WriteFile(pdf, body, 0o644); err != nil {
		t.Fatal(err)
	}
	spec := liaison.BuildSpec{Package: liaison.Package{Header: header,
		Business: &liaison.Business{DocType: liaison.BusinessNew, Reason: "Văn bản điện tử mới", Staff: liaison.StaffInfo{Department: "Văn thư", Staff: "Trần Thị B"}}},
		Files: []liaison.FileSpec{{Path: pdf, ContentType: "application/pdf"}}}
	var out bytes.Buffer
	if err := spec.Build(&out, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func sign(t testing.TB, unsigned []byte, id liaison.Identity) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := liaison.Sign(&out, bytes.NewReader(unsigned), id, liaison.Limits{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// signedPackage is a document from one agency, signed with its key.
func (n *network) signedPackage(t testing.TB, from string, to ...string) []byte {
	t.Helper()
	return sign(t, n.unsignedPackage(t, from, to...), n.identity(t, from))
}

// testHub is a hub on its own database, served by an httptest TLS server.
type testHub struct {
	*Hub
	url  string
	cert tls.Certificate
}

// fastRetry retries a failed delivery at once (River's scheduler still paces it).
type fastRetry struct{}

func (fastRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * time.Millisecond)
}

func (n *network) startHub(t testing.TB, name string, maxPackage int64) *testHub {
	t.Helper()
	return n.startHubOn(t, storetest.NewDB(t), name, maxPackage)
}

// startHubOn starts a hub instance on a given database (several instances of one
// hub share it).
func (n *network) startHubOn(t testing.TB, db *pgxpool.Pool, name string, maxPackage int64) *testHub {
	t.Helper()
	return n.startHubWith(t, Config{Pool: db, Name: name, MaxPackage: maxPackage, RetryPolicy: fastRetry{}})
}

// startHubWith starts a hub instance of cfg, with the network's certificates.
func (n *network) startHubWith(t testing.TB, cfg Config) *testHub {
	t.Helper()
	cert := n.tlsCert(t, cfg.Name)
	cfg.Cert, cfg.PeerCAs, cfg.Trust = cert, n.pool, n.pool
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	jobs, err := h.StartJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	server := httptest.NewUnstartedServer(h.Handler())
	server.TLS = wire.ServerTLS(cert, n.pool)
	server.StartTLS()
	t.Cleanup(func() {
		server.Close()
		cancel()
		jobs.Stop(context.Background())
	})
	return &testHub{Hub: h, url: server.URL, cert: cert}
}

// addMember registers a peer at the hub.
func (th *testHub) addMember(t testing.TB, name, role, endpoint string, cert tls.Certificate, agencies ...string) {
	t.Helper()
	if _, err := AddMember(context.Background(), th.Pool, Member{Name: name, Role: role, Endpoint: endpoint, Agencies: agencies}, cert.Leaf); err != nil {
		t.Fatal(err)
	}
}

// count counts the rows of a hub table.
func (th *testHub) count(t testing.TB, table string) int {
	t.Helper()
	var n int
	if err := th.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitDeliveries waits until no delivery is pending and returns the states.
func (th *testHub) waitDeliveries(t testing.TB) map[string]string {
	t.Helper()
	var states map[string]string
	waitFor(t, "pending deliveries", func() bool {
		states = map[string]string{}
		rows, err := th.Pool.Query(context.Background(), `SELECT recipient, state FROM hub_deliveries`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		pending := false
		for rows.Next() {
			var r, s string
			rows.Scan(&r, &s)
			states[r] = s
			pending = pending || s == "pending"
		}
		return !pending
	})
	return states
}

// client is how a peer holding cert calls the endpoint at url.
func (n *network) client(cert tls.Certificate, url string) *wire.Client {
	return &wire.Client{BaseURL: url, HTTP: wire.NewHTTPClient(wire.ClientTLS(cert, n.pool), 30*time.Second)}
}

func send(t testing.TB, c *wire.Client, body []byte, recipient string) (wire.Receipt, error) {
	t.Helper()
	return c.Send(context.Background(), wire.Outgoing{Body: bytes.NewReader(body), Length: int64(len(body)),
		PackageID: wire.DefaultPackageID(body), Recipient: recipient})
}

// fakeNode is a member node: it records the packages and reports it gets and
// answers each package attempt with the status answer gives (200: a signed receipt).
type fakeNode struct {
	name      string
	cert      tls.Certificate
	url       string
	directory []wire.DirectoryEntry
	answer    func(attempt int) int

	mu       sync.Mutex
	attempts int
	received [][]byte
	headers  []http.Header
	reports  []wire.Report
}

func (n *network) startNode(t testing.TB, name string) *fakeNode {
	t.Helper()
	f := &fakeNode{name: name, cert: n.tlsCert(t, name), answer: func(int) int { return http.StatusOK }}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathPackages, f.handlePackage)
	mux.HandleFunc("POST "+wire.PathReports, func(w http.ResponseWriter, r *http.Request) {
		var report wire.Report
		json.NewDecoder(r.Body).Decode(&report)
		f.mu.Lock()
		f.reports = append(f.reports, report)
		f.mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	})
	mux.HandleFunc("GET "+wire.PathDirectory, func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(f.directory) })
	server := httptest.NewUnstartedServer(mux)
	server.TLS = wire.ServerTLS(f.cert, n.pool)
	server.StartTLS()
	t.Cleanup(server.Close)
	f.url = server.URL
	return f
}

func (f *fakeNode) handlePackage(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	attempt := f.attempts
	f.attempts++
	status := f.answer(attempt)
	if status == http.StatusOK {
		f.received = append(f.received, body)
		f.headers = append(f.headers, r.Header.Clone())
	}
	f.mu.Unlock()
	switch status {
	case http.StatusOK:
		out, _ := json.Marshal(wire.Receipt{ReceiptID: f.name + "-" + strconv.Itoa(attempt), PackageID: r.Header.Get(wire.HeaderPackageID), ReceivedBy: f.name})
		sig, _ := wire.SignReceipt(f.cert.PrivateKey.(crypto.Signer), out)
		w.Header().Set(wire.HeaderReceiptSignature, sig)
		w.Write(out)
	case http.StatusBadRequest:
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(wire.ErrorBody{Code: wire.CodeWrongRecipient, Message: "không phục vụ cơ quan này"})
	default:
		w.WriteHeader(status)
	}
}

func (f *fakeNode) snapshot() (received [][]byte, headers []http.Header, reports []wire.Report, attempts int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.received...), append([]http.Header(nil), f.headers...), append([]wire.Report(nil), f.reports...), f.attempts
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// waitFor polls cond until it holds, failing the test after a minute.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
