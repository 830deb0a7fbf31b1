package conformance

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// TestAutopilotActsAsTheTestAgency receives three documents through the system
// path the exchange uses and lets the autopilot work until nothing moves: an
// ordinary one ends completed, a TEST-REJECT one returned with a reason, a
// TEST-HOLD one registered; every step is made by the autopilot's account.
func TestAutopilotActsAsTheTestAgency(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewDB(t)
	agency := &org.Agency{OrganID: testAgency, Name: "Cơ quan được kiểm thử", Abbreviation: "KT"}
	if _, _, err := org.SaveAgency(ctx, pool, agency); err != nil {
		t.Fatal(err)
	}
	p := &pilot{svc: &docs.Service{Pool: pool}, organ: testAgency}
	actor, err := p.account(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := p.account(ctx)
	if err != nil || again != actor {
		t.Fatalf("a second look made another account: %+v, %v", again, err)
	}
	enforcer, err := access.NewEnforcer(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	p.svc.Access = enforcer
	if p.svc.Queue, err = river.NewClient(riverpgxv5.New(pool), &river.Config{}); err != nil {
		t.Fatal(err)
	}

	want := []struct {
		subject string
		state   docs.IncomingState
	}{
		{"Công văn thử nghiệm", docs.InCompleted},
		{subjectReject + " văn bản gửi nhầm", docs.InRejected},
		{subjectHold + " văn bản giữ lại", docs.InRegistered},
		{subjectSendBack + " xin trả lời", docs.InCompleted},
	}
	ids := map[string]int64{}
	system := docs.Actor{AgencyID: actor.AgencyID}
	for i, w := range want {
		n, subject := i+1, w.subject
		r, err := p.svc.Receive(ctx, system, docs.ReceiveInput{
			Document: docs.Document{Type: docs.TypeCongVan, Subject: subject, CodeNumber: strconv.Itoa(n), CodeNotation: "TEST",
				IssuerOrganID: OrganT1, IssuerName: "Cơ quan thử nghiệm T1", Place: "Hà Nội", ExternalID: OrganT1 + ",2026/12/01," + strconv.Itoa(n) + "/TEST"},
			Main: docs.FileInput{Name: "van-ban.pdf", MediaType: docs.MediaPDF, Content: strings.NewReader(onePagePDF(subject))},
		})
		if err != nil {
			t.Fatalf("receive %q: %v", subject, err)
		}
		ids[subject] = r.DocumentID
	}
	for range 8 {
		if err := p.round(ctx); err != nil {
			t.Fatalf("round: %v", err)
		}
	}
	for _, w := range want {
		subject, state := w.subject, w.state
		var got docs.IncomingState
		var reason string
		if err := pool.QueryRow(ctx, `SELECT incoming_state, coalesce(reject_reason, '') FROM documents WHERE id = $1`, ids[subject]).Scan(&got, &reason); err != nil {
			t.Fatal(err)
		}
		if got != state {
			t.Errorf("%q ended %s, want %s", subject, got, state)
		}
		if state == docs.InRejected && reason == "" {
			t.Errorf("%q was returned without a reason", subject)
		}
	}
	sendBack := OrganT1 + ",2026/12/01," + strconv.Itoa(len(want)) + "/TEST"
	reply, state, err := p.reply(ctx, actor.AgencyID, replySubject(sendBack))
	if err != nil || reply == 0 || state != docs.OutSent {
		t.Fatalf("the reply to %s: document %d, %s, %v; want one sent", sendBack, reply, state, err)
	}
	recipients, err := docs.Recipients(ctx, pool, reply)
	if err != nil || len(recipients) != 1 || recipients[0].Recipient.OrganID != OrganT1 {
		t.Fatalf("the reply goes to %+v, %v; want %s", recipients, err, OrganT1)
	}
	var steps int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1`, actor.UserID).Scan(&steps); err != nil {
		t.Fatal(err)
	}
	if steps == 0 {
		t.Error("no step is audited under the autopilot's account")
	}
}

// TestAutopilotRoundsDoNotOverlap registers the autopilot as serve does and checks
// that a round is not queued while another waits.
func TestAutopilotRoundsDoNotOverlap(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewDB(t)
	workers := river.NewWorkers()
	if job := Autopilot(workers, &docs.Service{Pool: pool}, testAgency); job == nil {
		t.Fatal("no periodic job")
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	first, err := client.Insert(ctx, AutopilotArgs{Organ: testAgency}, oneRoundAtATime)
	if err != nil {
		t.Fatal(err)
	}
	second, err := client.Insert(ctx, AutopilotArgs{Organ: testAgency}, oneRoundAtATime)
	if err != nil {
		t.Fatal(err)
	}
	if first.UniqueSkippedAsDuplicate || !second.UniqueSkippedAsDuplicate {
		t.Fatalf("two rounds queued together: %t, %t", first.UniqueSkippedAsDuplicate, second.UniqueSkippedAsDuplicate)
	}
}
