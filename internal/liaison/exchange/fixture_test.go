package exchange

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/org"
	"edms/internal/signing"
	"edms/internal/signing/pki"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

const (
	localOrganID  = "000.00.12.H10" // served by the node under test
	remoteOrganID = "000.00.00.H10" // served elsewhere, behind the hub
	otherOrganID  = "000.00.00.G22"
)

// network is one certification authority for everything: the TLS certificates of
// the node and its hub, and the agencies' signing keys.
type network struct {
	ca       *pki.Authority
	roots    *x509.CertPool
	node     *pki.Credential // the node's TLS certificate
	hub      *pki.Credential // the hub's TLS certificate
	agencies map[string]*pki.Credential
}

func newNetwork(t *testing.T) *network {
	t.Helper()
	ca, err := pki.NewRootCA("edms exchange test CA")
	if err != nil {
		t.Fatal(err)
	}
	n := &network{ca: ca, roots: x509.NewCertPool(), agencies: map[string]*pki.Credential{}}
	n.roots.AddCert(ca.Cert)
	n.node = n.tlsCredential(t, "node")
	n.hub = n.tlsCredential(t, "hub")
	for _, organID := range []string{localOrganID, remoteOrganID, otherOrganID} {
		if n.agencies[organID], err = ca.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "Cơ quan " + organID, Identifier: organID}}); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func (n *network) tlsCredential(t *testing.T, name string) *pki.Credential {
	t.Helper()
	cred, err := n.ca.IssueTLS(pki.TLSOptions{Subject: pki.Subject{CommonName: name}})
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// keysOf are the signing keys of the agencies a node hosts (the Packer's AgencyKeys).
type keysOf struct {
	n       *network
	organID string
}

func (k keysOf) Agency(organID string) (*signing.Identity, error) {
	cred := k.n.agencies[organID]
	if organID != k.organID || cred == nil {
		return nil, os.ErrNotExist
	}
	return signing.NewIdentity(cred.Key, cred.Cert, cred.Chain)
}

// client calls url as the holder of cred.
func (n *network) client(url string, cred *pki.Credential) *wire.Client {
	var certs []tls.Certificate
	if cred != nil {
		certs = []tls.Certificate{cred.TLSCertificate()}
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: certs, RootCAs: n.roots}
	return &wire.Client{BaseURL: url, HTTP: wire.NewHTTPClient(cfg, 30*time.Second)}
}

// serve starts an mTLS listener with the handler, as cred.
func (n *network) serve(t *testing.T, cred *pki.Credential, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = wire.ServerTLS(cred.TLSCertificate(), n.roots)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// nobody holds no permission: the link acts as the system.
type nobody struct{}

func (nobody) Can(int64, int64, access.Permission) bool { return false }

// node is a node under test: its database, its link and its agency.
type node struct {
	pool   *pgxpool.Pool
	link   *Link
	jobs   *river.Client[pgx.Tx]
	agency *org.Agency
}

func newNode(t *testing.T, n *network, workers bool) *node {
	return newNodeOf(t, n, workers, localOrganID, "UBND xã Yên Ninh")
}

// newNodeOf is a node hosting the agency organID.
func newNodeOf(t *testing.T, n *network, workers bool, organID, name string) *node {
	t.Helper()
	ctx := context.Background()
	pool := storetest.NewDB(t)
	agency := &org.Agency{OrganID: organID, Name: name, Abbreviation: "UBND"}
	if _, _, err := org.SaveAgency(ctx, pool, agency); err != nil {
		t.Fatal(err)
	}
	svc := &docs.Service{Pool: pool, Access: nobody{}}
	link := &Link{Pool: pool, Docs: svc, Packer: Packer{DB: pool, Keys: keysOf{n, organID}}, NodeName: "yen-ninh",
		Roots: n.roots, ReceiptKey: n.node.Key}
	riverWorkers := river.NewWorkers()
	link.Register(riverWorkers)
	config := &river.Config{Workers: riverWorkers, FetchCooldown: 20 * time.Millisecond, FetchPollInterval: 50 * time.Millisecond}
	if workers {
		config.Queues = map[string]river.QueueConfig{docs.QueueExchange: {MaxWorkers: 2}}
	}
	client, err := river.NewClient(riverpgxv5.New(pool), config)
	if err != nil {
		t.Fatal(err)
	}
	if workers {
		if err := client.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Stop(context.Background()) })
	}
	svc.Queue = client
	return &node{pool: pool, link: link, jobs: client, agency: agency}
}

func (nd *node) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := nd.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// documentPackage is a signed document package from organID to the To list, with
// a PDF.
func (n *network) documentPackage(t *testing.T, from string, to []string, number string) []byte {
	t.Helper()
	issued := liaison.DateOf(time.Now())
	code := liaison.Code{Number: number, Notation: "QĐ-UBND"}
	h := &liaison.MessageHeader{
		From:             liaison.Organization{OrganID: from, OrganName: "Cơ quan " + from},
		DocumentID:       liaison.DocumentID(from, issued, code),
		Code:             code,
		Place:            "Thái Nguyên",
		PromulgationDate: issued,
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Quyết định"},
		Subject:          "Về việc thử liên thông văn bản " + number,
		Signer:           liaison.Signer{Competence: "KT. CHỦ TỊCH", Position: "PHÓ CHỦ TỊCH", FullName: "Nguyễn Văn A"},
	}
	for _, o := range to {
		h.To = append(h.To, liaison.Organization{OrganID: o, OrganName: "Cơ quan " + o})
	}
	pkg := &liaison.Package{Kind: liaison.KindDocument, Header: h,
		Trace: []liaison.TraceHeader{{OrganID: from, Timestamp: time.Now().Truncate(time.Second)}}}
	var unsigned bytes.Buffer
	pdf := testPDF()
	files := []liaison.AttachmentSource{{AttachmentMeta: liaison.AttachmentMeta{ContentID: "1", Name: "qd.pdf", ContentType: "application/pdf"}, Body: bytes.NewReader(pdf)}}
	if err := liaison.Write(&unsigned, pkg, files); err != nil {
		t.Fatal(err)
	}
	return n.sign(t, unsigned.Bytes(), from)
}

func (n *network) sign(t *testing.T, unsigned []byte, as string) []byte {
	t.Helper()
	cred := n.agencies[as]
	var out bytes.Buffer
	id := liaison.Identity{Signer: cred.Key, Chain: append([]*x509.Certificate{cred.Cert}, cred.Chain...)}
	if err := liaison.Sign(&out, bytes.NewReader(unsigned), id, liaison.Limits{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func testPDF() []byte {
	b := make([]byte, 4000)
	rand.Read(b)
	copy(b, "%PDF-1.7\n")
	return b
}
