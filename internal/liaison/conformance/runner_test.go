package conformance

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"net"
	"net/http"
	"testing"
	"time"

	"edms/internal/liaison/wire"
)

// TestRunnerPlumbing runs the whole catalogue against the kit's own hub handler
// standing in as a target. It is no conformance test of anything (a hub is not the
// node the catalogue describes, and the real run is against our node after the
// merge); it proves the runner's TLS, clients, listener, journal and table work
// end to end and that the cases which only need a receiver's refusals pass.
func TestRunnerPlumbing(t *testing.T) {
	kit := newTestKit(t)
	roots := x509.NewCertPool()
	roots.AddCert(kit.CA)
	stand := newHub(kit.TLS["kit"].PrivateKey.(crypto.Signer), roots, testAgency)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := &http.Server{Handler: stand.Handler(), TLSConfig: wire.ServerTLS(kit.TLS["kit"], roots)}
	go server.ServeTLS(ln, "", "")
	defer server.Close()

	results, failed, err := Run(context.Background(), Config{Dir: kit.Dir, Target: "https://" + ln.Addr().String(), Listen: "127.0.0.1:0", Wait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	WriteTable(&table, results)
	t.Logf("\n%s", table.String())
	if !failed {
		t.Error("a hub standing in for a node passed everything")
	}
	outcomes := map[string]Outcome{}
	for _, r := range results {
		outcomes[r.ID] = r.Outcome
	}
	for _, id := range []string{"2.1", "2.5", "2.6", "3.1", "3.2", "3.3", "5.1", "6.1", "6.4", "6.5", "7.1", "7.2", "7.4", "7.5"} {
		if outcomes[id] != Pass {
			t.Errorf("%s: %s, want PASS", id, outcomes[id])
		}
	}
	journal, err := OpenJournal(kit.Dir)
	if err != nil || len(journal.Entries) == 0 {
		t.Fatalf("the journal kept %d entries (%v)", len(journal.Entries), err)
	}
}
