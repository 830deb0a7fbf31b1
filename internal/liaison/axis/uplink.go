package axis

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// Uplink is the hub's adapter to the axis: it forwards packages for agencies the
// axis serves, pulls the packages the axis holds for the hub's system, and reads
// the axis's directory. It keeps only the directory's OrganIds, refreshed by
// Directory, so several hub instances may each run one.
type Uplink struct {
	name     string
	client   *Client
	prefixes []string

	mu     sync.RWMutex
	served map[string]bool
}

// NewUplink is an adapter named name (the hub name of the axis's directory
// entries) calling the axis through client. An OrganId that starts with one of
// prefixes is served even before the directory lists it (the .NET LGSP job
// forwards every "000." recipient).
func NewUplink(name string, client *Client, prefixes ...string) *Uplink {
	return &Uplink{name: name, client: client, prefixes: prefixes, served: map[string]bool{}}
}

// Name names the axis among the hub's peers.
func (u *Uplink) Name() string { return u.name }

// Serves tells whether the axis delivers to organID: its directory lists it, or it
// starts with one of the configured prefixes.
func (u *Uplink) Serves(organID string) bool {
	for _, p := range u.prefixes {
		if strings.HasPrefix(organID, p) {
			return true
		}
	}
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.served[organID]
}

// Directory reads the axis's directory, remembers which agencies it serves, and
// returns them as entries of the hub's network.
func (u *Uplink) Directory(ctx context.Context) ([]wire.DirectoryEntry, error) {
	agencies, err := u.client.Agencies(ctx)
	if err != nil {
		return nil, fmt.Errorf("axis: unable to read the directory of %s: %w", u.name, err)
	}
	parentCode := parentCodes(agencies)
	entries := make([]wire.DirectoryEntry, 0, len(agencies))
	served := make(map[string]bool, len(agencies))
	for _, a := range agencies {
		if a.Code == "" {
			continue
		}
		entries = append(entries, wire.DirectoryEntry{OrganID: string(a.Code), Name: string(a.Name), ParentOrganID: parentCode(a), Hub: u.name})
		served[string(a.Code)] = true
	}
	u.mu.Lock()
	u.served = served
	u.mu.Unlock()
	return entries, nil
}

// parentCodes tells the code of an agency's parent: its pid is the parent's id,
// or, for agencies registered with a pcode, the parent's code itself.
func parentCodes(agencies []Agency) func(Agency) string {
	byID := make(map[Text]Text, len(agencies))
	isCode := make(map[Text]bool, len(agencies))
	for _, a := range agencies {
		byID[a.ID], isCode[a.Code] = a.Code, true
	}
	return func(a Agency) string {
		if code, ok := byID[a.Pid]; ok && a.Pid != "" {
			return string(code)
		}
		if isCode[a.Pid] {
			return string(a.Pid)
		}
		return ""
	}
}

// Forward sends one package to the axis, once per recipient (so that the axis's
// duplicate rule applies to each alone), and returns the receipts as
// "<recipient>=<axis DocId>" separated by spaces (only the DocId when the hub names
// no recipient and the axis routes by the package's To). A refusal of the axis is
// a *wire.Refusal; a transport error, a fault of the axis or of the body is worth
// retrying, and the retry resends to every recipient: the axis then answers
// "duplicate" for those that already have the package, which counts as delivered.
func (u *Uplink) Forward(ctx context.Context, p wire.Forwarded) (string, error) {
	messageType, err := messageTypeOf(p.Kind)
	if err != nil {
		return "", err
	}
	body, err := rewindable(p.Body, p.Size)
	if err != nil {
		return "", &wire.Temporary{Err: fmt.Errorf("axis: unable to read package %s of %s: %w", p.PackageID, p.DocumentID, err)}
	}
	defer body.Close()
	if len(p.Recipients) == 0 {
		return u.send(ctx, p, messageType, body, nil)
	}
	receipts := make([]string, len(p.Recipients))
	for i, to := range p.Recipients {
		docID, err := u.send(ctx, p, messageType, body, []string{to})
		if err != nil {
			return "", fmt.Errorf("axis: package %s of %s for %s: %w", p.PackageID, p.DocumentID, to, err)
		}
		receipts[i] = to + "=" + docID
	}
	return strings.Join(receipts, " "), nil
}

// send posts the body from its start with the to parameter; a new document the
// axis already has for them answers "duplicate".
func (u *Uplink) send(ctx context.Context, p wire.Forwarded, messageType string, b *body, to []string) (string, error) {
	r, err := b.rewind()
	if err != nil {
		return "", &wire.Temporary{Err: fmt.Errorf("axis: unable to read package %s again: %w", p.PackageID, err)}
	}
	docID, err := u.client.SendEdoc(ctx, Outgoing{From: p.From, MessageType: messageType, To: to, Body: r, Size: b.size, Hash: b.hash})
	var failure *Failure
	switch {
	case err == nil:
		return docID, nil
	case !errors.As(err, &failure):
		return "", err
	case failure.Code == CodeDuplicate:
		return "duplicate", nil
	case failure.Temporary():
		return "", &wire.Temporary{Err: err}
	}
	return "", refusal(failure)
}

func messageTypeOf(kind liaison.Kind) (string, error) {
	switch kind {
	case liaison.KindDocument:
		return MessageEdoc, nil
	case liaison.KindStatus:
		return MessageStatus, nil
	}
	return "", &wire.Refusal{Status: http.StatusBadRequest, ErrorBody: wire.ErrorBody{Code: wire.CodeInvalid,
		Message: "Gói tin không phải văn bản hay trạng thái, không gửi được lên trục liên thông."}}
}

// refusal maps a FAIL of the axis to the protocol's refusal codes.
func refusal(f *Failure) *wire.Refusal {
	code := wire.CodeInvalid
	switch f.Code {
	case CodeUnknownRecipient:
		code = wire.CodeWrongRecipient
	case CodeForbidden:
		code = wire.CodeSenderMismatch
	case CodeUnauthenticated:
		code = wire.CodeUnauthenticated
	}
	return &wire.Refusal{Status: http.StatusBadRequest, ErrorBody: wire.ErrorBody{Code: code,
		Message: fmt.Sprintf("Trục liên thông văn bản quốc gia từ chối gói tin (mã %s): %s", f.Code, f.Desc)}}
}

// Pull takes what waits for the hub's system in both queues: each item not yet
// refused is fetched and handed to accept with its docId as ref, then acknowledged
// done when accept returns nil (a duplicate included) or fail when it returns a
// *wire.Refusal. On any other error nothing is acknowledged, so the item is listed
// again at the next Pull. It returns how many packages accept took, and the
// errors met on the way, joined.
func (u *Uplink) Pull(ctx context.Context, accept func(ctx context.Context, body io.Reader, ref string) error) (int, error) {
	taken := 0
	var errs []error
	for _, messageType := range []string{MessageEdoc, MessageStatus} {
		n, err := u.pullQueue(ctx, messageType, accept)
		taken += n
		if err != nil {
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return taken, errors.Join(errs...)
}

// pullQueue takes what waits in one queue.
func (u *Uplink) pullQueue(ctx context.Context, messageType string, accept func(context.Context, io.Reader, string) error) (int, error) {
	items, err := u.client.ReceivedList(ctx, messageType)
	if err != nil {
		return 0, fmt.Errorf("axis: unable to list the %s queue of %s: %w", messageType, u.name, err)
	}
	taken := 0
	var errs []error
	for _, it := range items {
		if ctx.Err() != nil {
			return taken, errors.Join(append(errs, ctx.Err())...)
		}
		if strings.EqualFold(string(it.Status), AckFail) || strings.EqualFold(string(it.Status), AckDone) {
			continue // refused before: the axis keeps listing it
		}
		took, err := u.take(ctx, string(it.DocID), accept)
		if took {
			taken++
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return taken, errors.Join(errs...)
}

// take fetches one item to a temporary file, hands it to accept and acknowledges it.
func (u *Uplink) take(ctx context.Context, docID string, accept func(context.Context, io.Reader, string) error) (bool, error) {
	spool, drop, err := tempFile()
	if err != nil {
		return false, fmt.Errorf("axis: unable to fetch %s: %w", docID, err)
	}
	defer drop()
	if err := u.client.GetEdoc(ctx, docID, spool); err != nil {
		return false, fmt.Errorf("axis: unable to fetch %s: %w", docID, err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return false, fmt.Errorf("axis: unable to read %s back: %w", docID, err)
	}
	ack := AckDone
	var refused *wire.Refusal
	switch err := accept(ctx, spool, docID); {
	case errors.As(err, &refused):
		ack = AckFail
	case err != nil:
		return false, fmt.Errorf("axis: package %s not taken, left for the next pull: %w", docID, err)
	}
	if err := u.client.UpdateStatus(ctx, docID, ack); err != nil {
		return ack == AckDone, fmt.Errorf("axis: unable to acknowledge %s %s: %w", docID, ack, err)
	}
	return ack == AckDone, nil
}

// tempFile is a temporary file for one package, and how to remove it.
func tempFile() (*os.File, func(), error) {
	f, err := os.CreateTemp("", "edms-axis-*.edxml")
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close(); os.Remove(f.Name()) }, nil
}

// body is a package body, hashed, that can stream again from its start.
type body struct {
	src   io.ReadSeeker
	start int64
	size  int64
	hash  string
	Close func()
}

// rewind positions the body at its start.
func (b *body) rewind() (io.Reader, error) {
	_, err := b.src.Seek(b.start, io.SeekStart)
	return b.src, err
}

// rewindable hashes r and returns it ready to stream again: a seekable r is read
// in place; any other is spooled to a temporary file on the way, so memory stays
// bounded whatever the package's size.
func rewindable(r io.Reader, size int64) (*body, error) {
	b, err := hashed(r)
	if err == nil && size >= 0 && b.size != size {
		b.Close()
		err = fmt.Errorf("read %d bytes, expected %d", b.size, size)
	}
	return b, err
}

func hashed(r io.Reader) (*body, error) {
	if seeker, ok := r.(io.ReadSeeker); ok {
		start, err := seeker.Seek(0, io.SeekCurrent)
		if err != nil {
			return nil, err
		}
		b, err := hashCopy(io.Discard, seeker)
		if err != nil {
			return nil, err
		}
		b.src, b.start, b.Close = seeker, start, func() {}
		return b, nil
	}
	spool, drop, err := tempFile()
	if err != nil {
		return nil, err
	}
	b, err := hashCopy(spool, r)
	if err != nil {
		drop()
		return nil, err
	}
	b.src, b.Close = spool, drop
	return b, nil
}

// hashCopy copies r to w and measures its size and hash-file.
func hashCopy(w io.Writer, r io.Reader) (*body, error) {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		return nil, err
	}
	return &body{size: n, hash: HashFile(h.Sum(nil))}, nil
}
