package axis

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"edms/internal/liaison"
	"edms/internal/signing/pki"
)

// The test network: the province's system sends for the province and one of its
// departments; the government's system for VPCP and a ministry.
const (
	provinceSystem = "00.53.W00"
	provinceSecret = "province-secret"
	province       = "000.00.00.H53"
	department     = "000.00.13.H53"
	vpcpSystem     = "000.00.00.G22"
	vpcpSecret     = "vpcp-secret"
	vpcp           = "000.00.00.G22"
	ministry       = "000.00.00.G12"
)

type testAxis struct {
	fake     *Fake
	server   *httptest.Server
	province *Client
	vpcp     *Client
}

func newTestAxis(t *testing.T) *testAxis {
	t.Helper()
	fake := NewFake(FakeConfig{Systems: []FakeSystem{
		{ID: provinceSystem, Secret: provinceSecret, Agencies: []FakeAgency{
			{OrganID: province, Name: "Ủy ban nhân dân tỉnh Tây Ninh"},
			{OrganID: department, Name: "Sở Tài chính tỉnh Tây Ninh", ParentOrganID: province},
		}},
		{ID: vpcpSystem, Secret: vpcpSecret, Agencies: []FakeAgency{
			{OrganID: vpcp, Name: "Văn phòng Chính phủ", Mail: "vpcp@chinhphu.vn"},
			{OrganID: ministry, Name: "Bộ Tài chính"},
		}},
		{ID: "000.00.00.T99", Secret: "example-secret"},
	}})
	server := httptest.NewServer(fake)
	t.Cleanup(server.Close)
	return &testAxis{fake: fake, server: server,
		province: testClient(server, provinceSystem, provinceSecret),
		vpcp:     testClient(server, vpcpSystem, vpcpSecret)}
}

func testClient(server *httptest.Server, system, secret string) *Client {
	return &Client{BaseURL: server.URL + "/XrdAdapter/adapter", SystemID: system, Secret: secret, HTTP: server.Client()}
}

// document builds an unsigned document package from one agency to others.
func document(t *testing.T, from, number string, business liaison.BusinessType, to ...string) []byte {
	t.Helper()
	return documentWith(t, []byte("%PDF-1.7\n% công văn "+number+"\n%%EOF\n"), from, number, business, to...)
}

// documentWith builds a document package with pdf attached.
func documentWith(t *testing.T, pdf []byte, from, number string, business liaison.BusinessType, to ...string) []byte {
	t.Helper()
	issued := liaison.Date{Year: 2026, Month: time.November, Day: 30}
	h := &liaison.MessageHeader{
		From:             liaison.Organization{OrganID: from, OrganName: "Cơ quan gửi"},
		Code:             liaison.Code{Number: number, Notation: "UBND-VP"},
		Place:            "Tây Ninh",
		PromulgationDate: issued,
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Công văn"},
		Subject:          "Về việc báo cáo tình hình chuyển đổi số",
		Signer:           liaison.Signer{Position: "CHỦ TỊCH", FullName: "Nguyễn Văn A"},
	}
	for _, id := range to {
		h.To = append(h.To, liaison.Organization{OrganID: id, OrganName: "Cơ quan nhận"})
	}
	bus := &liaison.Business{DocType: business, Reason: "Gửi văn bản"}
	if business == liaison.BusinessUpdate {
		bus.DocumentInfo = &liaison.BusinessDocumentInfo{DocumentInfo: 1}
	}
	spec := liaison.BuildSpec{Package: liaison.Package{Header: h, Business: bus}}
	path := filepath.Join(t.TempDir(), "cong-van.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	spec.Files = []liaison.FileSpec{{Path: path}}
	return build(t, spec)
}

// status builds an unsigned status package from one agency about a document of
// another.
func status(t *testing.T, from, documentSender, code string) []byte {
	t.Helper()
	return build(t, liaison.BuildSpec{Package: liaison.Package{Status: &liaison.Status{
		From:        liaison.Organization{OrganID: from, OrganName: "Cơ quan nhận"},
		ResponseFor: liaison.ResponseFor{OrganID: documentSender, Code: "7/UBND-VP", DocumentID: documentSender + ",2026/11/30,7/UBND-VP"},
		StatusCode:  code,
		Description: liaison.StatusCodes[code],
		Timestamp:   time.Now().Truncate(time.Second),
	}}})
}

func build(t *testing.T, spec liaison.BuildSpec) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := spec.Build(&out, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// signed signs a package with a new certificate of its sender's agency.
func signed(t *testing.T, organID string, unsigned []byte) []byte {
	t.Helper()
	ca, err := pki.NewRootCA("axis test root")
	if err != nil {
		t.Fatal(err)
	}
	cred, err := ca.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "Cơ quan " + organID, Identifier: organID}})
	if err != nil {
		t.Fatal(err)
	}
	id := liaison.Identity{Signer: cred.Key, Chain: append([]*x509.Certificate{cred.Cert}, cred.Chain...)}
	var out bytes.Buffer
	if err := liaison.Sign(&out, bytes.NewReader(unsigned), id, liaison.Limits{}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// send posts a package through c with the right hash.
func send(c *Client, from, messageType string, pkg []byte) (string, error) {
	sum := sha256.Sum256(pkg)
	return c.SendEdoc(context.Background(), Outgoing{From: from, MessageType: messageType,
		Body: bytes.NewReader(pkg), Size: int64(len(pkg)), Hash: HashFile(sum[:])})
}

// mustSend posts a package that must be accepted.
func mustSend(t *testing.T, c *Client, from, messageType string, pkg []byte) string {
	t.Helper()
	docID, err := send(c, from, messageType, pkg)
	if err != nil {
		t.Fatalf("sendEdoc: %v", err)
	}
	return docID
}

// listed are the docIds listed in one of c's queues.
func listed(t *testing.T, c *Client, messageType string) []string {
	t.Helper()
	items, err := c.ReceivedList(context.Background(), messageType)
	if err != nil {
		t.Fatalf("getReceivedEdocList %s: %v", messageType, err)
	}
	ids := []string{}
	for _, it := range items {
		ids = append(ids, string(it.DocID))
	}
	return ids
}

// failureCode is the ErrorCode of a FAIL answer, or the error itself.
func failureCode(t *testing.T, err error) string {
	t.Helper()
	f, ok := err.(*Failure)
	if !ok {
		t.Fatalf("want a FAIL answer, got %v", err)
	}
	return f.Code
}

// getEdoc fetches a package into memory.
func getEdoc(c *Client, docID string) ([]byte, error) {
	var out bytes.Buffer
	err := c.GetEdoc(context.Background(), docID, &out)
	return out.Bytes(), err
}
