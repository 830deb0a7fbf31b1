package notify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/riverqueue/river"
)

// EmailArgs is one e-mail to send, inserted with the change that causes it.
type EmailArgs struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// Kind names the job in River's table.
func (EmailArgs) Kind() string { return "notify.email" }

// InsertOpts retries a refused or unreachable server for about a day.
func (EmailArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 20} }

// ErrNoServer cancels the e-mail jobs of a node started without an SMTP server.
var ErrNoServer = errors.New("notify: no SMTP server configured (edms serve -smtp-addr)")

// smtpTimeout bounds one conversation with the SMTP server.
const smtpTimeout = 30 * time.Second

// Mailer sends e-mail through an SMTP server (a relay of the agency's mail system,
// which needs no authentication from the node's address).
type Mailer struct {
	Addr string // host:port; empty: e-mail is off
	From string // the sender address, e.g. "edms <edms@phuluong.thainguyen.gov.vn>"
}

// Send delivers one message.
func (m *Mailer) Send(ctx context.Context, e EmailArgs) error {
	if m.Addr == "" {
		return ErrNoServer
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("notify: the sender address %q: %w", m.From, err)
	}
	msg, err := m.message(from, e)
	if err != nil {
		return err
	}
	conn, err := (&net.Dialer{Timeout: smtpTimeout}).DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("notify: unable to reach the SMTP server %s: %w", m.Addr, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(smtpTimeout)); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(m.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("notify: SMTP greeting from %s: %w", m.Addr, err)
	}
	if err := converse(c, from.Address, e.To, msg); err != nil {
		return fmt.Errorf("notify: unable to send an e-mail to %s through %s: %w", e.To, m.Addr, err)
	}
	return nil
}

// converse runs one SMTP transaction, upgrading to TLS when the server offers it.
func converse(c *smtp.Client, from, to string, msg []byte) error {
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(nil); err != nil {
			return err
		}
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// message builds a UTF-8 plain-text message (subject Q-encoded, body quoted-printable).
func (m *Mailer) message(from *mail.Address, e EmailArgs) ([]byte, error) {
	to, err := mail.ParseAddress(e.To)
	if err != nil {
		return nil, fmt.Errorf("notify: the recipient address %q: %w", e.To, err)
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from.String(), to.String(), mime.QEncoding.Encode("utf-8", e.Subject), time.Now().Format(time.RFC1123Z), hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(e.Body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// emailWorker sends the queued e-mails; it writes nothing to the database, so River
// completes the job when Work returns.
type emailWorker struct {
	river.WorkerDefaults[EmailArgs]
	mailer *Mailer
}

func (w *emailWorker) Work(ctx context.Context, job *river.Job[EmailArgs]) error {
	err := w.mailer.Send(ctx, job.Args)
	if errors.Is(err, ErrNoServer) {
		return river.JobCancel(err)
	}
	return err
}

func (w *emailWorker) Timeout(*river.Job[EmailArgs]) time.Duration { return 2 * smtpTimeout }
