package axis

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// Uplink implements the hub's interface (declared there; repeated here so that this
// package need not import the hub).
var _ interface {
	Name() string
	Serves(organID string) bool
	Forward(ctx context.Context, p wire.Forwarded) (receiptID string, err error)
	Pull(ctx context.Context, accept func(ctx context.Context, body io.Reader, ref string) error) (int, error)
	Directory(ctx context.Context) ([]wire.DirectoryEntry, error)
} = (*Uplink)(nil)

func forwarded(body io.Reader, size int64, from, documentID string, kind liaison.Kind, to ...string) wire.Forwarded {
	return wire.Forwarded{Body: body, Size: size, PackageID: "p-" + documentID, From: from, DocumentID: documentID, Recipients: to, Kind: kind}
}

// A signed package forwarded by the province's hub lands, byte for byte, in the
// recipient system's queue, whether its body can seek or must be spooled.
func TestForwardSignedPackage(t *testing.T) {
	ax := newTestAxis(t)
	up := NewUplink("truc-quoc-gia", ax.province)
	ctx := context.Background()
	for i, body := range []func([]byte) io.Reader{
		func(b []byte) io.Reader { return bytes.NewReader(b) },
		func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
	} {
		pkg := signed(t, province, document(t, province, "2"+string(rune('0'+i)), liaison.BusinessNew, vpcp))
		receipt, err := up.Forward(ctx, forwarded(body(pkg), int64(len(pkg)), province, "doc", liaison.KindDocument, vpcp))
		if err != nil || !strings.HasPrefix(receipt, vpcp+"=") || len(receipt) != len(vpcp)+25 {
			t.Fatalf("Forward = %q, %v", receipt, err)
		}
		ids := listed(t, ax.vpcp, MessageEdoc)
		got, err := getEdoc(ax.vpcp, ids[len(ids)-1])
		if err != nil || !bytes.Equal(got, pkg) {
			t.Fatalf("the recipient got other bytes (%v)", err)
		}
	}
	st := signed(t, province, status(t, province, vpcp, "01"))
	if _, err := up.Forward(ctx, forwarded(bytes.NewReader(st), int64(len(st)), province, "doc", liaison.KindStatus)); err != nil {
		t.Fatalf("Forward of a status: %v", err)
	}
	if got := listed(t, ax.vpcp, MessageStatus); len(got) != 1 {
		t.Errorf("status queue: %v", got)
	}
}

// A package the axis refuses is a *wire.Refusal; a resent one it already has is
// delivered; a fault of the axis or of the network is temporary.
func TestForwardOutcomes(t *testing.T) {
	ax := newTestAxis(t)
	up := NewUplink("truc-quoc-gia", ax.province)
	ctx := context.Background()
	forward := func(pkg []byte, from string, to ...string) error {
		_, err := up.Forward(ctx, forwarded(bytes.NewReader(pkg), int64(len(pkg)), from, "doc", liaison.KindDocument, to...))
		return err
	}
	var refusal *wire.Refusal
	if err := forward(document(t, province, "30", liaison.BusinessNew, "000.00.00.H99"), province); !errors.As(err, &refusal) || refusal.Code != wire.CodeWrongRecipient {
		t.Errorf("unknown recipient: %v", err)
	}
	if err := forward(document(t, vpcp, "31", liaison.BusinessNew, province), vpcp); !errors.As(err, &refusal) || refusal.Code != wire.CodeSenderMismatch {
		t.Errorf("an agency of another system: %v", err)
	}
	pkg := document(t, province, "32", liaison.BusinessNew, vpcp, ministry)
	if err := forward(pkg, province, vpcp); err != nil {
		t.Fatal(err)
	}
	if err := forward(pkg, province, vpcp, ministry); err != nil {
		t.Errorf("a resend the axis already has for one of two recipients: %v", err)
	}
	receipt, err := up.Forward(ctx, forwarded(bytes.NewReader(pkg), int64(len(pkg)), province, "doc", liaison.KindDocument, vpcp, ministry))
	if err != nil || receipt != vpcp+"=duplicate "+ministry+"=duplicate" {
		t.Errorf("a resend to both: %q, %v", receipt, err)
	}
	var temporary *wire.Temporary
	for _, fault := range []Fault{FaultError, FaultDrop} {
		ax.fake.SetFault(fault)
		if err := forward(document(t, province, "33", liaison.BusinessNew, vpcp), province, vpcp); !errors.As(err, &temporary) || errors.As(err, &refusal) {
			t.Errorf("fault %d: %v, want a temporary error", fault, err)
		}
	}
	ax.fake.SetFault(FaultNone)
	if got := listed(t, ax.vpcp, MessageEdoc); len(got) != 2 {
		t.Errorf("the recipients list %v, want the one package for each", got)
	}
}

// Pull hands each package to accept once and acknowledges it: done when taken,
// fail when refused (never handed again); a failure of accept leaves the package
// for the next Pull.
func TestPull(t *testing.T) {
	ax := newTestAxis(t)
	up := NewUplink("truc-quoc-gia", ax.vpcp)
	ctx := context.Background()
	var sent [][]byte
	for _, number := range []string{"40", "41", "42"} {
		pkg := signed(t, province, document(t, province, number, liaison.BusinessNew, vpcp))
		mustSend(t, ax.province, province, MessageEdoc, pkg)
		sent = append(sent, pkg)
	}
	st := status(t, department, vpcp, "03")
	mustSend(t, ax.province, department, MessageStatus, st)
	sent = append(sent, st)

	refused, lost := sent[1], sent[2]
	losing := true
	handed := map[string]int{}
	taken := map[string][]byte{}
	accept := func(_ context.Context, body io.Reader, ref string) error {
		b, err := io.ReadAll(body)
		if err != nil {
			return err
		}
		handed[ref]++
		switch {
		case bytes.Equal(b, refused):
			return &wire.Refusal{Status: 400, ErrorBody: wire.ErrorBody{Code: wire.CodeBadSignature, Message: "chữ ký sai"}}
		case losing && bytes.Equal(b, lost):
			return errors.New("database unavailable")
		}
		taken[ref] = b
		return nil
	}
	if n, err := up.Pull(ctx, accept); n != 2 || err == nil {
		t.Fatalf("first Pull = %d, %v; want 2 taken and the lost one's error", n, err)
	}
	losing = false
	if n, err := up.Pull(ctx, accept); n != 1 || err != nil {
		t.Fatalf("second Pull = %d, %v; want the lost package", n, err)
	}
	if n, err := up.Pull(ctx, accept); n != 0 || err != nil {
		t.Fatalf("third Pull = %d, %v; want nothing", n, err)
	}
	total := 0
	for _, times := range handed {
		total += times
	}
	if len(handed) != 4 || len(taken) != 3 || total != 5 {
		t.Fatalf("handed %v, taken %d: want the refused package once, the lost one twice, the others once", handed, len(taken))
	}
	for ref, b := range taken {
		want := 1
		if bytes.Equal(b, lost) {
			want = 2
		}
		if handed[ref] != want {
			t.Errorf("%s handed %d times, want %d", ref, handed[ref], want)
		}
		if !slices.ContainsFunc(sent, func(s []byte) bool { return bytes.Equal(s, b) }) {
			t.Errorf("%s taken with other bytes", ref)
		}
	}
	left, err := ax.vpcp.ReceivedList(ctx, MessageEdoc)
	if err != nil || len(left) != 1 || left[0].Status != AckFail {
		t.Errorf("the refused package should stay listed as fail: %+v %v", left, err)
	}
}

// A 500 or a dropped connection makes Pull fail without acknowledging anything.
func TestPullTemporaryFailure(t *testing.T) {
	ax := newTestAxis(t)
	up := NewUplink("truc-quoc-gia", ax.vpcp)
	mustSend(t, ax.province, province, MessageEdoc, document(t, province, "50", liaison.BusinessNew, vpcp))
	accepted := 0
	accept := func(context.Context, io.Reader, string) error { accepted++; return nil }
	var temporary *wire.Temporary
	for _, fault := range []Fault{FaultError, FaultDrop} {
		ax.fake.SetFault(fault)
		before := ax.fake.Requests()
		if n, err := up.Pull(context.Background(), accept); n != 0 || !errors.As(err, &temporary) {
			t.Errorf("fault %d: Pull = %d, %v, want a temporary error", fault, n, err)
		}
		if ax.fake.Requests() != before+2 || accepted != 0 {
			t.Errorf("fault %d: Pull should list both queues and take nothing", fault)
		}
	}
	ax.fake.SetFault(FaultNone)
	if n, err := up.Pull(context.Background(), accept); n != 1 || err != nil || accepted != 1 {
		t.Errorf("Pull after recovery = %d, %v", n, err)
	}
}

// Directory maps the axis's agencies to entries of the hub's network and makes
// Serves answer for them; a prefix serves before the directory is read.
func TestDirectoryAndServes(t *testing.T) {
	ax := newTestAxis(t)
	up := NewUplink("truc-quoc-gia", ax.province, "000.00.00.G")
	if up.Serves(department) || !up.Serves(vpcp) {
		t.Errorf("before Directory: Serves by prefix only")
	}
	entries, err := up.Directory(context.Background())
	if err != nil || len(entries) != 4 {
		t.Fatalf("Directory = %v, %v", entries, err)
	}
	want := wire.DirectoryEntry{OrganID: department, Name: "Sở Tài chính tỉnh Tây Ninh", ParentOrganID: province, Hub: "truc-quoc-gia"}
	if entries[1] != want {
		t.Errorf("entry %+v, want %+v", entries[1], want)
	}
	if !up.Serves(department) || up.Serves("000.00.00.H99") || up.Name() != "truc-quoc-gia" {
		t.Errorf("after Directory: Serves or Name wrong")
	}
}

// An agency registered with its parent's code as pid gets that code as parent.
func TestParentCodes(t *testing.T) {
	agencies := []Agency{
		{ID: "7", Code: province},
		{ID: "8", Pid: "7", Code: department},
		{ID: "9", Pid: province, Code: "000.01.13.H53"},
		{ID: "10", Pid: "99", Code: vpcp},
	}
	parent := parentCodes(agencies)
	for i, want := range []string{"", province, province, ""} {
		if got := parent(agencies[i]); got != want {
			t.Errorf("parent of %s = %q, want %q", agencies[i].Code, got, want)
		}
	}
}

// A package of some MB goes up through a spooled body and comes down through the
// streaming base64 decoder unchanged.
func TestLargePackageRoundTrip(t *testing.T) {
	ax := newTestAxis(t)
	pdf := make([]byte, 3<<20)
	rand.Read(pdf)
	copy(pdf, "%PDF-1.7\n")
	pkg := signed(t, province, documentWith(t, pdf, province, "60", liaison.BusinessNew, vpcp))
	if _, err := NewUplink("truc-quoc-gia", ax.province).Forward(context.Background(),
		forwarded(iotest.HalfReader(bytes.NewReader(pkg)), int64(len(pkg)), province, "doc", liaison.KindDocument, vpcp)); err != nil {
		t.Fatal(err)
	}
	var got []byte
	n, err := NewUplink("truc-quoc-gia", ax.vpcp).Pull(context.Background(), func(_ context.Context, body io.Reader, _ string) error {
		var err error
		got, err = io.ReadAll(body)
		return err
	})
	if n != 1 || err != nil || !bytes.Equal(got, pkg) {
		t.Fatalf("Pull = %d, %v; identical bytes %v", n, err, bytes.Equal(got, pkg))
	}
}
