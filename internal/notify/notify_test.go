package notify_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"edms/internal/notify"
	"edms/internal/org"
	"edms/internal/store"
	"edms/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// received is one message the test SMTP server accepted.
type received struct {
	From, To string
	Data     []byte
}

// smtpBackend hands every accepted message to a channel.
type smtpBackend struct{ got chan received }

func (b *smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{got: b.got}, nil
}

type smtpSession struct {
	got      chan received
	from, to string
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}
func (s *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err == nil {
		s.got <- received{s.from, s.to, data}
	}
	return err
}

// startSMTP runs a real SMTP server (go-smtp) on a free local port.
func startSMTP(t *testing.T) (addr string, got chan received) {
	t.Helper()
	got = make(chan received, 10)
	srv := smtp.NewServer(&smtpBackend{got: got})
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), got
}

// startJobs runs River with the notification workers against the SMTP server.
func startJobs(t *testing.T, pool *pgxpool.Pool, smtpAddr string) *river.Client[pgx.Tx] {
	t.Helper()
	workers := river.NewWorkers()
	notify.Register(workers, pool, &notify.Mailer{Addr: smtpAddr, From: "edms <edms@phuluong.gov.vn>"})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}}, Workers: workers,
		FetchCooldown: 50 * time.Millisecond, FetchPollInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Stop(context.Background()) })
	return client
}

func newUser(t *testing.T, pool *pgxpool.Pool, username, email string) int64 {
	t.Helper()
	u := &org.User{Username: username, FullName: "Nguyễn Văn An", Email: email, PasswordHash: "x"}
	if err := org.CreateUser(context.Background(), pool, u); err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// waitMail returns the next message the server accepted, failing the test if none
// comes while the test may run.
func waitMail(t *testing.T, got chan received) received {
	t.Helper()
	select {
	case m := <-got:
		return m
	case <-time.After(2 * time.Minute):
		t.Fatal("no e-mail reached the SMTP server")
	}
	return received{}
}

// readMail parses a message, decoding its subject and quoted-printable body.
func readMail(t *testing.T, data []byte) (to, subject, body string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	return msg.Header.Get("To"), subject, string(raw)
}

// TestNotificationIsMailedAtOnce: a notification for someone who wants e-mail at once
// is counted unread, and its e-mail, queued in the notifying transaction, reaches
// the SMTP server in readable Vietnamese; reading it clears the count.
func TestNotificationIsMailedAtOnce(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewDB(t)
	addr, got := startSMTP(t)
	jobs := startJobs(t, pool, addr)
	userID := newUser(t, pool, "chuyenvien.an", "an@phuluong.gov.vn")

	text := "Văn bản được giao cho bạn chủ trì xử lý: Kế hoạch chuyển đổi số năm 2027"
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		return notify.Notify(ctx, tx, jobs, userID, nil, notify.Assigned, text)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := notify.Unread(ctx, pool, userID); err != nil || n != 1 {
		t.Fatalf("unread = %d, %v; want 1", n, err)
	}
	m := waitMail(t, got)
	to, subject, body := readMail(t, m.Data)
	if m.To != "an@phuluong.gov.vn" || m.From != "edms@phuluong.gov.vn" || !strings.Contains(to, "an@phuluong.gov.vn") {
		t.Errorf("envelope %s → %s, To: %s", m.From, m.To, to)
	}
	if subject != text || !strings.Contains(body, text) {
		t.Errorf("subject %q, body %q", subject, body)
	}

	list, err := notify.List(ctx, pool, userID, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("list = %v, %v", list, err)
	}
	if err := notify.MarkRead(ctx, pool, userID+1, list[0].ID); err != notify.ErrNotFound {
		t.Errorf("someone else marked the notification read: %v", err)
	}
	if err := notify.MarkRead(ctx, pool, userID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := notify.Unread(ctx, pool, userID); n != 0 {
		t.Errorf("unread after reading = %d", n)
	}
}

// TestDailyDigest: someone who chose the daily digest gets no e-mail per notification
// but one digest listing what they have not read; someone who chose no e-mail gets
// nothing.
func TestDailyDigest(t *testing.T) {
	ctx := context.Background()
	pool := storetest.NewDB(t)
	addr, got := startSMTP(t)
	jobs := startJobs(t, pool, addr)
	daily := newUser(t, pool, "lanhdao.binh", "binh@phuluong.gov.vn")
	off := newUser(t, pool, "vanthu.chi", "chi@phuluong.gov.vn")
	if err := notify.SetEmailMode(ctx, pool, daily, notify.Daily); err != nil {
		t.Fatal(err)
	}
	if err := notify.SetEmailMode(ctx, pool, off, notify.Off); err != nil {
		t.Fatal(err)
	}
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		for _, id := range []int64{daily, off} {
			if err := notify.Notify(ctx, tx, jobs, id, nil, notify.ToSign, "Dự thảo chờ bạn ký: Báo cáo tổng kết năm"); err != nil {
				return err
			}
		}
		return notify.Notify(ctx, tx, jobs, daily, nil, notify.Returned, "Dự thảo bị trả lại: Tờ trình kinh phí")
	})
	if err != nil {
		t.Fatal(err)
	}
	var queued int
	err = store.InTx(ctx, pool, func(tx pgx.Tx) error {
		queued, err = notify.Digest(ctx, tx, jobs, time.Now())
		return err
	})
	if err != nil || queued != 1 {
		t.Fatalf("digests queued = %d, %v; want 1", queued, err)
	}
	m := waitMail(t, got)
	_, subject, body := readMail(t, m.Data)
	if m.To != "binh@phuluong.gov.vn" || !strings.Contains(subject, "2 việc đang chờ bạn") {
		t.Errorf("digest to %s: %q", m.To, subject)
	}
	for _, want := range []string{"Dự thảo chờ bạn ký: Báo cáo tổng kết năm", "Dự thảo bị trả lại: Tờ trình kinh phí"} {
		if !strings.Contains(body, want) {
			t.Errorf("the digest lacks %q:\n%s", want, body)
		}
	}
	select {
	case extra := <-got:
		t.Errorf("an unexpected e-mail to %s", extra.To)
	default:
	}
}
