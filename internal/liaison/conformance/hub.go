package conformance

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// maxArrival bounds what the kit accepts from the target.
const maxArrival = 64 << 20

// hub is the kit's listener, playing the target's hub: it stores what the target
// sends (documents to T1, statuses), answers signed receipts, and serves the
// directory of the test network.
type hub struct {
	name      string
	key       crypto.Signer // the kit's TLS key, which signs receipts
	roots     *x509.CertPool
	directory []wire.DirectoryEntry

	mu       sync.Mutex
	arrivals []arrival
	receipts map[string]wire.Receipt // package id → its first receipt
}

// arrival is one package the target sent.
type arrival struct {
	At        time.Time
	PackageID string
	Recipient string
	Body      []byte
	Pkg       *liaison.Package // nil when unreadable
	Refusal   *wire.Refusal    // what a hub would answer; nil when acceptable
}

func newHub(key crypto.Signer, roots *x509.CertPool, testAgency string) *hub {
	entry := func(organ, name string) wire.DirectoryEntry {
		return wire.DirectoryEntry{OrganID: organ, Name: name, Hub: "conformance", Node: "conformance"}
	}
	return &hub{
		name: "conformance", key: key, roots: roots, receipts: map[string]wire.Receipt{},
		directory: []wire.DirectoryEntry{
			entry(OrganT1, "Cơ quan thử nghiệm T1"),
			entry(OrganT2, "Cơ quan thử nghiệm T2"),
			{OrganID: testAgency, Name: "Cơ quan được kiểm thử", Hub: "conformance", Node: "target"},
		},
	}
}

// Handler serves the protocol's paths.
func (h *hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathPackages, h.receive)
	mux.HandleFunc("POST "+wire.PathReports, h.report)
	mux.HandleFunc("GET "+wire.PathDirectory, func(w http.ResponseWriter, r *http.Request) { wire.WriteJSON(w, http.StatusOK, h.directory) })
	mux.HandleFunc("GET "+wire.PathHealth, func(w http.ResponseWriter, r *http.Request) {
		wire.WriteJSON(w, http.StatusOK, wire.Health{Status: "ok", Role: "hub", Name: h.name, Version: wire.Version})
	})
	return mux
}

func (h *hub) receive(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(wire.HeaderVersion) != wire.Version {
		wire.WriteRefusal(w, &wire.Refusal{Status: http.StatusBadRequest, ErrorBody: wire.ErrorBody{Code: wire.CodeUnsupportedVersion, Message: "Thiếu hoặc sai phiên bản giao thức."}})
		return
	}
	tooLarge := &wire.Refusal{Status: http.StatusRequestEntityTooLarge, ErrorBody: wire.ErrorBody{Code: wire.CodeTooLarge, Message: fmt.Sprintf("Gói tin vượt quá giới hạn %d byte.", maxArrival)}}
	if r.ContentLength > maxArrival {
		wire.WriteRefusal(w, tooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxArrival))
	var overLimit *http.MaxBytesError
	switch {
	case errors.As(err, &overLimit):
		wire.WriteRefusal(w, tooLarge)
		return
	case err != nil:
		wire.WriteRefusal(w, &wire.Refusal{Status: http.StatusBadRequest, ErrorBody: wire.ErrorBody{Code: wire.CodeInvalid, Message: "Không đọc được gói tin: " + err.Error()}})
		return
	}
	pkg, readErr := liaison.Read(bytes.NewReader(body), liaison.Options{Roots: h.roots, RequireSignature: true})
	a := arrival{At: time.Now(), PackageID: r.Header.Get(wire.HeaderPackageID), Recipient: r.Header.Get(wire.HeaderRecipient), Body: body, Pkg: pkg, Refusal: wire.Judge(pkg, readErr)}
	if a.PackageID == "" {
		a.PackageID = wire.DefaultPackageID(body)
	}
	receipt := h.record(a)
	if a.Refusal != nil {
		wire.WriteRefusal(w, a.Refusal)
		return
	}
	out, _ := json.Marshal(receipt)
	sig, err := wire.SignReceipt(h.key, out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(wire.HeaderReceiptSignature, sig)
	w.Write(out)
}

// record keeps an arrival and returns its receipt; a package id seen before gets
// the first receipt back, marked duplicate, and the arrival is not kept again.
func (h *hub) record(a arrival) wire.Receipt {
	h.mu.Lock()
	defer h.mu.Unlock()
	if first, seen := h.receipts[a.PackageID]; seen {
		first.Duplicate = true
		return first
	}
	h.arrivals = append(h.arrivals, a)
	receipt := wire.Receipt{ReceiptID: "conformance-" + strconv.Itoa(len(h.arrivals)), PackageID: a.PackageID,
		SHA256: wire.DefaultPackageID(a.Body), ReceivedAt: a.At, ReceivedBy: h.name}
	if a.Pkg != nil {
		receipt.DocumentID = documentIDOf(a.Pkg)
	}
	if a.Refusal == nil {
		h.receipts[a.PackageID] = receipt
	}
	return receipt
}

// report acknowledges a Report; no case of the catalogue has the target send one
// to its hub, so the kit only checks that it reads.
func (h *hub) report(w http.ResponseWriter, r *http.Request) {
	var rep wire.Report
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&rep); err != nil {
		wire.WriteRefusal(w, &wire.Refusal{Status: http.StatusBadRequest, ErrorBody: wire.ErrorBody{Code: wire.CodeInvalid, Message: err.Error()}})
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// statuses are the status packages the target sent about a document, in order of
// arrival, each package once.
func (h *hub) statuses(documentID string) []arrival {
	return h.matching(func(a arrival) bool {
		return a.Pkg != nil && a.Pkg.Kind == liaison.KindStatus && a.Pkg.Status.ResponseFor.DocumentID == documentID
	})
}

func (h *hub) matching(keep func(arrival) bool) []arrival {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []arrival
	for _, a := range h.arrivals {
		if keep(a) {
			out = append(out, a)
		}
	}
	return out
}

// awaitStatus waits until the target has sent a status with one of codes about a
// document, or the wait ends; it returns the document's statuses so far.
func (h *hub) awaitStatus(ctx context.Context, documentID string, wait time.Duration, codes ...string) ([]arrival, bool) {
	return await(ctx, wait, func() ([]arrival, bool) {
		got := h.statuses(documentID)
		return got, hasCode(got, codes...)
	})
}

// await polls found until it says done or the wait ends.
func await[T any](ctx context.Context, wait time.Duration, found func() (T, bool)) (T, bool) {
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		got, done := found()
		if done {
			return got, true
		}
		select {
		case <-ctx.Done():
			return got, false
		case <-deadline.C:
			return found()
		case <-tick.C:
		}
	}
}

func hasCode(statuses []arrival, codes ...string) bool {
	for _, a := range statuses {
		for _, c := range codes {
			if a.Pkg.Status.StatusCode == c {
				return true
			}
		}
	}
	return false
}

func documentIDOf(pkg *liaison.Package) string {
	if pkg.Kind == liaison.KindStatus && pkg.Status != nil {
		return pkg.Status.ResponseFor.DocumentID
	}
	if pkg.Header != nil {
		return pkg.Header.DocumentID
	}
	return ""
}

// String names an arrival for a table's detail.
func (a arrival) String() string {
	if a.Pkg != nil && a.Pkg.Kind == liaison.KindStatus {
		return fmt.Sprintf("%s(%s)", a.Pkg.Status.StatusCode, a.Pkg.Status.Timestamp.Format("15:04:05"))
	}
	return a.PackageID
}
