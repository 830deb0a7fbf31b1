package docs

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// markingHook stands in for the signing package: each step copies the PDF and appends
// a comment naming itself, which keeps the file a PDF and shows which steps ran. Its
// functions run before marking, so a test can make a step fail or race.
type markingHook struct {
	mu        sync.Mutex
	beforeRun map[string]func() error
	revoked   map[string]bool // serial numbers CheckPersonalKey refuses
}

func (h *markingHook) mark(step string, in io.Reader, out io.Writer) error {
	h.mu.Lock()
	before := h.beforeRun[step]
	h.mu.Unlock()
	if before != nil {
		if err := before(); err != nil {
			return err
		}
	}
	if _, err := io.Copy(out, in); err != nil {
		return err
	}
	_, err := fmt.Fprintf(out, "\n%%%s\n", step)
	return err
}

func (h *markingHook) setBefore(step string, fn func() error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.beforeRun == nil {
		h.beforeRun = map[string]func() error{}
	}
	h.beforeRun[step] = fn
}

func (h *markingHook) SignAsLeader(_ context.Context, in io.Reader, out io.Writer, s LeaderSignature) error {
	return h.mark("signed-by-"+s.Username, in, out)
}

func (h *markingHook) StampNumber(_ context.Context, in io.Reader, out io.Writer, n NumberStamp) error {
	return h.mark("number-"+n.CodeNumber+"/"+n.CodeNotation, in, out)
}

func (h *markingHook) SealAsAgency(_ context.Context, in io.Reader, out io.Writer, s AgencySeal) error {
	return h.mark("sealed-by-"+s.OrganID, in, out)
}

// PrepareLeader marks the PDF as prepared for the signer; the digest is the SHA-256
// of the prepared PDF, and the state names the signer.
func (h *markingHook) PrepareLeader(_ context.Context, in io.Reader, s LeaderSignature, key PersonalKey) (*PreparedLeader, error) {
	var out bytes.Buffer
	if err := h.mark("prepared-for-"+s.Username, in, &out); err != nil {
		return nil, err
	}
	digest := sha256.Sum256(out.Bytes())
	return &PreparedLeader{PDF: out.Bytes(), State: []byte(s.Username), Digest: digest[:], Hash: crypto.SHA256}, nil
}

// CompleteLeader accepts the value markingValue gives for the digest.
func (h *markingHook) CompleteLeader(_ context.Context, p *PreparedLeader, value []byte, out io.Writer) error {
	if !bytes.Equal(value, markingValue(p.Digest)) {
		return &Error{Kind: ErrInvalid, Message: "Chữ ký trả về không khớp với văn bản đã chuẩn bị; văn bản không thay đổi.", Detail: "wrong value"}
	}
	return h.mark("signed-by-"+string(p.State)+"-on-device", bytes.NewReader(p.PDF), out)
}

// markingValue is the "signature" of a digest a device gives the marking hook.
func markingValue(digest []byte) []byte { return append([]byte("signed:"), digest...) }

// CheckPersonalKey accepts a certificate whose common name is the person's, unless
// its serial number was revoked.
func (h *markingHook) CheckPersonalKey(_ context.Context, key PersonalKey, who Person, _ time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.revoked[key.Certificate.SerialNumber.String()] {
		return &Error{Kind: ErrInvalid, Message: "Chứng thư số đã bị thu hồi.", Detail: "revoked"}
	}
	if key.Certificate.Subject.CommonName != who.FullName {
		return &Error{Kind: ErrInvalid, Message: "Chứng thư số này không phải của " + who.FullName + ".", Detail: "another person"}
	}
	return nil
}

// revoke makes CheckPersonalKey refuse the certificate.
func (h *markingHook) revoke(c *x509.Certificate) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.revoked == nil {
		h.revoked = map[string]bool{}
	}
	h.revoked[c.SerialNumber.String()] = true
}

// withHook gives the fixture's service a marking hook.
func (f *fixture) withHook() *markingHook {
	h := &markingHook{}
	f.svc.Signing = h
	return h
}

// currentPDFText returns the content of the document's current PDF.
func (f *fixture) currentPDFText(t *testing.T, id int64) string {
	t.Helper()
	ctx := context.Background()
	src, err := currentPDF(ctx, f.pool, id)
	must(t, err)
	var b strings.Builder
	_, err = CopyBlob(ctx, f.pool, src.BlobID, &b)
	must(t, err)
	return b.String()
}

// TestSigningStepsNeedOneConnection runs the signing steps on a pool of a single
// connection: a step that held its transaction while reading the PDF through a
// second connection (the server-wide hang of issue 8) cannot finish here.
func TestSigningStepsNeedOneConnection(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.withHook()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // fail, never hang
	defer cancel()
	single, err := store.OpenPool(ctx, f.url, store.PoolOptions{MaxConns: 1, AcquireTimeout: 3 * time.Second})
	must(t, err)
	defer single.Close()
	id := f.draft(t, TypeQuyetDinh, "Quyết định thành lập tổ công tác", nil)
	f.svc.Pool = single
	f.toSigned(t, id)
	res, err := f.svc.Issue(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
	d, err := f.svc.Get(ctx, f.in(f.clerk), id)
	must(t, err)
	if d.OutgoingState != OutSealed || !d.LeaderSigned || !d.AgencySigned {
		t.Fatalf("state %s, leader signed %v, agency signed %v", d.OutgoingState, d.LeaderSigned, d.AgencySigned)
	}
	want := "%signed-by-chutich\n\n%number-" + FormatNumber(res.Number) + "/" + res.Notation + "\n\n%sealed-by-000.00.21.H55\n"
	if got := f.currentPDFText(t, id); !strings.HasSuffix(got, want) {
		t.Errorf("the PDF does not end with the three steps in order:\n%q", got[max(0, len(got)-len(want)-20):])
	}
}

// TestFailedStampKeepsTheNumber makes the stamp fail after the number is committed:
// the number stays (no gap, no reuse), sealing cannot happen without the stamp, and
// the periodic work writes it (or the seal, for the other document).
func TestFailedStampKeepsTheNumber(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hook := f.withHook()
	ctx := context.Background()
	first := f.draft(t, TypeQuyetDinh, "Quyết định thứ nhất", nil)
	second := f.draft(t, TypeQuyetDinh, "Quyết định thứ hai", nil)
	f.toSigned(t, first)
	f.toSigned(t, second)
	hook.setBefore("number-01/QĐ-UBND", func() error { return errors.New("the PDF writer crashed") })
	res, err := f.svc.Issue(ctx, f.in(f.clerk), first, "")
	must(t, err)
	if res.Number != 1 {
		t.Fatalf("first number %d", res.Number)
	}
	if err := f.svc.Seal(ctx, f.in(f.clerk), first, ""); err == nil {
		t.Fatal("sealed a document whose number could not be stamped")
	}
	hook.setBefore("number-02/QĐ-UBND", func() error { return errors.New("the PDF writer crashed again") })
	next, err := f.svc.Issue(ctx, f.in(f.clerk), second, "")
	must(t, err)
	if next.Number != 2 {
		t.Fatalf("second number %d, want 2: the failed stamp must neither free nor repeat a number", next.Number)
	}
	hook.setBefore("number-01/QĐ-UBND", nil)
	hook.setBefore("number-02/QĐ-UBND", nil)
	if err := f.svc.Seal(ctx, f.in(f.specialist), second, ""); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a specialist seals: %v", err)
	}
	var pending bool
	must(t, f.pool.QueryRow(ctx, `SELECT stamp_pending FROM documents WHERE id = $1`, second).Scan(&pending))
	if !pending {
		t.Fatal("a refused seal wrote the pending stamp")
	}
	n, err := f.svc.StampPending(ctx, 1)
	must(t, err)
	if n != 1 {
		t.Fatalf("stamped %d pending documents, want 1", n)
	}
	for _, id := range []int64{first, second} {
		must(t, f.svc.Seal(ctx, f.in(f.clerk), id, ""))
		if text := f.currentPDFText(t, id); strings.Count(text, "%number-") != 1 || !strings.HasSuffix(text, "%sealed-by-000.00.21.H55\n") {
			t.Errorf("document %d: want one stamp, then the seal:\n%q", id, text[max(0, len(text)-120):])
		}
	}
	if n, err := f.svc.StampPending(ctx, 10); err != nil || n != 0 {
		t.Fatalf("stamps still pending after the job and the seal: %d, %v", n, err)
	}
}

// TestPDFChangedWhileSigning replaces the PDF while the leader's signature is being
// computed: the signature would not cover the document, so the step is refused and
// nothing of it is saved.
func TestPDFChangedWhileSigning(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	hook := f.withHook()
	ctx := context.Background()
	id := f.draft(t, TypeQuyetDinh, "Quyết định bị sửa khi đang ký", nil)
	must(t, f.svc.Submit(ctx, f.in(f.specialist), id, ""))
	must(t, f.svc.Approve(ctx, f.in(f.unitHead), id, ""))
	must(t, f.svc.SubmitForSignature(ctx, f.in(f.unitHead), id, ""))
	hook.setBefore("signed-by-chutich", func() error {
		return store.InTx(ctx, f.pool, func(tx pgx.Tx) error {
			_, err := addMainVersion(ctx, tx, id, samplePDF(t, "Bản sửa"), f.specialist, "", DefaultMaxFileSize)
			return err
		})
	})
	err := f.svc.Sign(ctx, f.in(f.leader), id, SignInput{})
	if !errors.Is(err, ErrIllegalTransition) || !strings.Contains(UserMessage(err), "vừa được người khác thay đổi") {
		t.Fatalf("signing a PDF replaced meanwhile: %v", err)
	}
	d, err := f.svc.Get(ctx, f.in(f.leader), id)
	must(t, err)
	if d.OutgoingState != OutPendingSignature || d.LeaderSigned || d.Signer.FullName != "" {
		t.Errorf("after the refused signature: state %s, leader signed %v, signer %q", d.OutgoingState, d.LeaderSigned, d.Signer.FullName)
	}
}
