package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/riverqueue/river"

	"edms/internal/liaison/wire"
)

// Uplink is a network outside the hub's members, the national axis: the hub
// forwards to it the recipients that no member or child serves (before the parent)
// and pulls from it the packages addressed to its network.
type Uplink interface {
	Name() string
	Serves(organID string) bool // e.g. the axis's directory, or ids outside the province
	// Forward hands one package over; a *wire.Refusal is permanent, any other error temporary.
	Forward(ctx context.Context, p wire.Forwarded) (receiptID string, err error)
	// Pull fetches waiting packages and calls accept with each; it returns how many it accepted.
	Pull(ctx context.Context, accept func(ctx context.Context, body io.Reader, ref string) error) (int, error)
	Directory(ctx context.Context) ([]wire.DirectoryEntry, error)
}

// AcceptFromUplink takes one package pulled from the uplink through the same path as
// an HTTP arrival, from a peer named after the uplink and trusted like a parent;
// ref is the uplink's id for it (its package id). The error is a *wire.Refusal when
// the package is refused for good.
func (h *Hub) AcceptFromUplink(ctx context.Context, body io.Reader, ref string) error {
	from := peer{Name: h.Uplink.Name(), Role: roleUplink}
	_, err := h.accept(ctx, incoming{from: from, body: http.MaxBytesReader(nil, io.NopCloser(body), h.MaxPackage), packageID: ref})
	return err
}

// PullUplinkArgs pulls the packages waiting at the uplink.
type PullUplinkArgs struct{}

// Kind names the job in River's table.
func (PullUplinkArgs) Kind() string { return "hub.pull_uplink" }

type pullUplinkWorker struct {
	river.WorkerDefaults[PullUplinkArgs]
	hub *Hub
}

func (w *pullUplinkWorker) Work(ctx context.Context, _ *river.Job[PullUplinkArgs]) error {
	n, err := w.hub.Uplink.Pull(ctx, w.hub.AcceptFromUplink)
	if n > 0 {
		slog.Info("hub: packages pulled from the uplink", "uplink", w.hub.Uplink.Name(), "count", n)
	}
	var ref *wire.Refusal
	if errors.As(err, &ref) {
		return nil // refused packages are the uplink's to report; the next pull goes on
	}
	return err
}
