package conformance

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"text/tabwriter"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// Outcome of one test case.
type Outcome string

// Outcomes.
const (
	Pass Outcome = "PASS"
	Fail Outcome = "FAIL"
	Skip Outcome = "SKIP"
)

// Result is one row of the table.
type Result struct {
	ID      string
	Outcome Outcome
	Detail  string
}

func pass(format string, args ...any) Result {
	return Result{Outcome: Pass, Detail: fmt.Sprintf(format, args...)}
}
func fail(format string, args ...any) Result {
	return Result{Outcome: Fail, Detail: fmt.Sprintf(format, args...)}
}
func skip(reason string) Result { return Result{Outcome: Skip, Detail: reason} }

// Config is what a run needs.
type Config struct {
	Dir        string        // the kit directory made by Init
	Target     string        // the target's exchange endpoint, https://host:port
	Listen     string        // where the kit listens as the target's hub
	TestAgency string        // the target's test agency (default: the one given at init)
	Wait       time.Duration // longest wait for statuses the target sends
	MaxPackage int64         // the target's package limit, when known (6.5)
}

// Run runs the catalogue against the target and returns its rows in catalogue
// order; failed tells whether any row is a FAIL.
func Run(ctx context.Context, cfg Config) (results []Result, failed bool, err error) {
	s, err := newSession(cfg)
	if err != nil {
		return nil, false, err
	}
	stop, err := s.listen()
	if err != nil {
		return nil, false, err
	}
	defer stop()
	if _, err := s.target.Health(ctx); err != nil {
		return unreachable(err), true, nil
	}
	for _, c := range catalogue {
		r := skip(c.skip)
		if c.run != nil {
			r = c.run(s, ctx)
		}
		r.ID = c.id
		results = append(results, r)
		failed = failed || r.Outcome == Fail
	}
	return results, failed, nil
}

// unreachable is the table of a run whose target does not answer (11.5).
func unreachable(err error) []Result {
	var results []Result
	for _, c := range catalogue {
		r := Result{ID: c.id, Outcome: Skip, Detail: "đích không truy cập được"}
		if c.id == "11.5" {
			r = Result{ID: c.id, Outcome: Fail, Detail: "không kết nối được đích: " + err.Error()}
		}
		results = append(results, r)
	}
	return results
}

// WriteTable prints the rows as an aligned table with a closing count.
func WriteTable(w io.Writer, results []Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKẾT QUẢ\tCHI TIẾT")
	counts := map[Outcome]int{}
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Outcome, r.Detail)
		counts[r.Outcome]++
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d PASS, %d FAIL, %d SKIP\n", counts[Pass], counts[Fail], counts[Skip])
	return err
}

// session is one run: the kit, its clients of the target, its hub and what the
// cases pass on to each other.
type session struct {
	cfg     Config
	kit     *Kit
	journal *Journal
	make    *factory
	hub     *hub
	target  *wire.Client // as the target's hub (kit.pem)
	member  *wire.Client // as a member node serving T1 (member.pem)

	first      *document // 2.1's document
	firstBody  []byte
	firstReply wire.Receipt
	reply      *liaison.MessageHeader // the test agency's document to T1 (2.4)
}

func newSession(cfg Config) (*session, error) {
	kit, err := Load(cfg.Dir)
	if err != nil {
		return nil, err
	}
	if cfg.TestAgency == "" {
		cfg.TestAgency = kit.Settings.TargetOrgan
	}
	if cfg.TestAgency == "" {
		return nil, errors.New("conformance: the test agency's OrganId is needed (-test-agency)")
	}
	if cfg.Wait == 0 {
		cfg.Wait = 2 * time.Minute
	}
	journal, err := OpenJournal(cfg.Dir)
	if err != nil {
		return nil, err
	}
	s := &session{cfg: cfg, kit: kit, journal: journal, make: newFactory(time.Now())}
	s.hub = newHub(kit.TLS["kit"].PrivateKey.(crypto.Signer), kit.TargetCA, cfg.TestAgency)
	s.target = s.clientAs("kit")
	s.member = s.clientAs("member")
	return s, nil
}

// clientAs is a client of the target presenting the kit's certificate name; ""
// presents none.
func (s *session) clientAs(name string) *wire.Client {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: s.kit.TargetCA}
	if name != "" {
		conf = wire.ClientTLS(s.kit.TLS[name], s.kit.TargetCA)
	}
	return &wire.Client{BaseURL: s.cfg.Target, HTTP: wire.NewHTTPClient(conf, clientTimeout)}
}

// clientTimeout bounds one exchange with the target, large packages included.
const clientTimeout = 5 * time.Minute

// listen starts the kit's hub listener (mTLS, clients from the target's CAs) and
// the plain-HTTP CRL distribution point; stop ends both.
func (s *session) listen() (stop func(), err error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("conformance: unable to listen on %s: %w", s.cfg.Listen, err)
	}
	hubServer := &http.Server{Handler: s.hub.Handler(), TLSConfig: wire.ServerTLS(s.kit.TLS["kit"], s.kit.TargetCA), ReadHeaderTimeout: 10 * time.Second}
	go hubServer.ServeTLS(ln, "", "")
	crlServer := &http.Server{Addr: s.kit.Settings.CRLAddr, ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(s.kit.CRL)
	})}
	go crlServer.ListenAndServe()
	return func() {
		hubServer.Close()
		crlServer.Close()
	}, nil
}
