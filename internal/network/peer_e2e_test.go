package network_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"edms/internal/demo"
	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/wire"
	"edms/internal/network"
	"edms/internal/network/networktest"
	"edms/internal/signing/pki"
	"edms/internal/store"
)

// yenDo is the agency the test's own peer serves: in the demo, but on no node of
// these plans.
const yenDo = "000.04.09.H56"

// TestPeerPackageRegisteredOnceThroughTheHubs: a test peer, member of the communes'
// hub, sends a signed package to the district, whose node sits on the provincial
// hub; it is registered once, a resend answers the first receipt as a duplicate, and
// the provincial hub refuses a package for an agency nobody serves.
func TestPeerPackageRegisteredOnceThroughTheHubs(t *testing.T) {
	ctx := context.Background()
	for shape, plan := range plansOfBothShapes() {
		t.Run(shape, func(t *testing.T) {
			n := networktest.Start(t, plan)
			hub := n.Hub(n.NodeOf(demo.YenNinhID).Hub)
			peer, err := n.NewPeer("yendo")
			if err != nil {
				t.Fatal(err)
			}
			if err := n.RegisterMember(ctx, hub.Name, network.Member{Name: peer.Name, Role: "node",
				Endpoint: "https://127.0.0.1:9", CertPath: peer.CertPath, Agencies: []string{yenDo}}); err != nil {
				t.Fatal(err)
			}
			if hub.Parent != "" {
				waitListed(t, n.Hub(hub.Parent), yenDo)
			}
			client := peer.Client(hub.ExchangeURL)
			yenDoKey := agencyIdentity(t, n, yenDo)
			body := signedLetter(t, yenDoKey, demo.DistrictID)
			out := wire.Outgoing{Length: int64(len(body)), PackageID: uuid.NewString(), Recipient: demo.DistrictID}
			out.Body = bytes.NewReader(body)
			first, err := client.Send(ctx, out)
			if err != nil {
				t.Fatal(err)
			}
			out.Body = bytes.NewReader(body)
			again, err := client.Send(ctx, out)
			if err != nil || !again.Duplicate || again.ReceiptID != first.ReceiptID {
				t.Errorf("resend: %+v, %v; first receipt %s", again, err, first.ReceiptID)
			}
			waitCount(t, n.Node("huyen").DatabaseURL,
				`SELECT count(*), count(DISTINCT external_id) FROM documents WHERE direction = 'incoming' AND issuer_organ_id = $1`, yenDo, 1)

			if hub.Parent != "" {
				return // a district hub sends what it does not know up to its parent
			}
			stray := signedLetter(t, yenDoKey, "000.99.99.H99")
			_, err = client.Send(ctx, wire.Outgoing{Body: bytes.NewReader(stray), Length: int64(len(stray)), PackageID: uuid.NewString()})
			var refusal *wire.Refusal
			if !errors.As(err, &refusal) || refusal.Code != wire.CodeWrongRecipient {
				t.Errorf("a package for an unknown agency: %v", err)
			}
		})
	}
}

// waitListed waits until the hub has pulled its children's directories and knows
// the agency: until then it refuses the agency's packages as sent by a stranger.
func waitListed(t *testing.T, hub *network.Hub, organID string) {
	t.Helper()
	ctx := context.Background()
	pool, err := store.Open(ctx, hub.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	waitUntil(t, says(hub.Name+" to list "+organID), func() bool {
		var listed bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hub_member_agencies WHERE organ_id = $1)`, organID).Scan(&listed)
		return err == nil && listed
	})
}

// agencyIdentity is a signing key for the agency, certified by the network's signing CA.
func agencyIdentity(t *testing.T, n *network.Network, organID string) liaison.Identity {
	t.Helper()
	cred, err := n.SigningCA.IssueAgency(pki.Options{Subject: pki.Subject{CommonName: "Cơ quan " + organID, Identifier: organID}})
	if err != nil {
		t.Fatal(err)
	}
	return liaison.Identity{Signer: cred.Key, Chain: []*x509.Certificate{cred.Cert, n.SigningCA.Cert}}
}

// TestPeerStreamRegisteredOnceThroughFaults: a test peer streams packages to the
// district through the provincial hub while the hub is killed, then the district's
// node, then PostgreSQL restarts under all of them, resending what was not
// acknowledged as a real sender would; afterwards the district has registered every
// package exactly once. EDMS_E2E_PACKAGES sets how many (default 1000).
func TestPeerStreamRegisteredOnceThroughFaults(t *testing.T) {
	ctx := context.Background()
	total := packagesToStream(t)
	n := networktest.Start(t, plansOfBothShapes()["communes on the provincial hub"])
	hub, district := n.Hub("hub-tinh"), n.Node("huyen")
	peer, err := n.NewPeer("yendo")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.RegisterMember(ctx, hub.Name, network.Member{Name: peer.Name, Role: "node",
		Endpoint: "https://127.0.0.1:9", CertPath: peer.CertPath, Agencies: []string{yenDo}}); err != nil {
		t.Fatal(err)
	}
	client, key := peer.Client(hub.ExchangeURL), agencyIdentity(t, n, yenDo)
	faults := map[int]func() error{ // by the package they strike before
		total / 4:     func() error { return errors.Join(hub.Kill9(), hub.Restart(ctx)) },
		total / 2:     func() error { return errors.Join(district.Kill9(), district.Restart(ctx)) },
		total * 3 / 4: func() error { return n.RestartPostgres(ctx) },
	}
	var striking chan error
	for i := range total {
		if fault, ok := faults[i]; ok {
			if striking != nil {
				if err := <-striking; err != nil {
					t.Fatal(err)
				}
			}
			striking = make(chan error, 1)
			go func() { striking <- fault() }() // the stream goes on meanwhile
		}
		sendUntilAcknowledged(t, client, signedLetter(t, key, demo.DistrictID))
	}
	if err := <-striking; err != nil {
		t.Fatal(err)
	}
	waitCount(t, district.DatabaseURL,
		`SELECT count(*), count(DISTINCT external_id) FROM documents WHERE direction = 'incoming' AND issuer_organ_id = $1`, yenDo, total)
}

// sendUntilAcknowledged posts one package, resending it with the same package id
// after each temporary failure, as a sender's outbox does.
func sendUntilAcknowledged(t *testing.T, client *wire.Client, body []byte) {
	t.Helper()
	packageID := uuid.NewString()
	waitUntil(t, says("an acknowledgement of package "+packageID), func() bool {
		_, err := client.Send(context.Background(), wire.Outgoing{Body: bytes.NewReader(body), Length: int64(len(body)),
			PackageID: packageID, Recipient: demo.DistrictID})
		var temporary *wire.Temporary
		if err != nil && !errors.As(err, &temporary) {
			t.Fatalf("package %s refused: %v", packageID, err)
		}
		return err == nil
	})
}

// signedLetter is a new letter of Yên Đổ to the recipient, with a PDF, signed with id.
func signedLetter(t *testing.T, id liaison.Identity, to string) []byte {
	t.Helper()
	typ, _ := docs.LookupType(docs.TypeCongVan)
	pdf, err := docs.ComposePDF(docs.ComposeInput{IssuerName: "Ủy ban nhân dân xã Yên Đổ", Type: typ,
		Subject: "Về việc thử nghiệm liên thông", Body: "Nội dung thử nghiệm."})
	if err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(t.TempDir(), "cong-van.pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	header := &liaison.MessageHeader{
		From:             liaison.Organization{OrganID: yenDo, OrganName: "Ủy ban nhân dân xã Yên Đổ", OrganizationInCharge: "Ủy ban nhân dân xã Yên Đổ", OrganAdd: "Phú Lương, Thái Nguyên"},
		To:               []liaison.Organization{{OrganID: to, OrganName: "Cơ quan " + to}},
		Code:             liaison.Code{Number: uuid.NewString()[:6], Notation: "UBND-VP"},
		Place:            "Yên Đổ",
		PromulgationDate: liaison.Date{Year: now.Year(), Month: now.Month(), Day: now.Day()},
		DocumentType:     liaison.DocumentType{Type: 1, TypeName: "Công văn"},
		Subject:          "Về việc thử nghiệm liên thông",
		Content:          "Nội dung thử nghiệm.",
		Signer:           liaison.Signer{Competence: "TM. ỦY BAN NHÂN DÂN", Position: "CHỦ TỊCH", FullName: "Lý Văn Tám"},
		OtherInfo:        liaison.OtherInfo{Priority: 1, PageAmount: 1, PromulgationAmount: 1},
		SteeringType:     1,
		ToPlaces:         []string{"Như trên"},
	}
	spec := liaison.BuildSpec{Package: liaison.Package{Header: header,
		Business: &liaison.Business{DocType: liaison.BusinessNew, Reason: "Văn bản điện tử mới"}},
		Files: []liaison.FileSpec{{Path: pdfPath, ContentType: "application/pdf"}}}
	var unsigned, signed bytes.Buffer
	if err := spec.Build(&unsigned, now); err != nil {
		t.Fatal(err)
	}
	if err := liaison.Sign(&signed, bytes.NewReader(unsigned.Bytes()), id, liaison.Limits{}); err != nil {
		t.Fatal(err)
	}
	return signed.Bytes()
}
