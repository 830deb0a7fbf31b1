package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"edms/internal/liaison/wire"
)

// Handler serves the exchange protocol on the hub's mutual-TLS listener.
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+wire.PathPackages, h.withPeer(h.handlePackage))
	mux.HandleFunc("POST "+wire.PathReports, h.withPeer(h.handleReport))
	mux.HandleFunc("GET "+wire.PathDirectory, h.withPeer(h.handleDirectory))
	mux.HandleFunc("GET "+wire.PathTracking, h.withPeer(h.handleTracking))
	mux.HandleFunc("GET "+wire.PathHealth, h.handleHealth)
	return mux
}

type peerHandler func(w http.ResponseWriter, r *http.Request, p peer)

// withPeer recognises the member by the SPKI fingerprint of its verified client
// certificate and requires the protocol version, or answers 401 / 400.
func (h *Hub) withPeer(next peerHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok, err := h.peerOf(r)
		switch {
		case err != nil:
			h.unavailable(w, err)
		case !ok:
			wire.WriteRefusal(w, &wire.Refusal{Status: http.StatusUnauthorized, ErrorBody: wire.ErrorBody{Code: wire.CodeUnauthenticated,
				Message: "Chứng thư của bên gọi không thuộc thành viên nào của trục liên thông."}})
		case r.Header.Get(wire.HeaderVersion) != wire.Version:
			wire.WriteRefusal(w, refusal(wire.CodeUnsupportedVersion, "Phiên bản giao thức không được hỗ trợ: cần "+wire.HeaderVersion+": "+wire.Version+"."))
		default:
			next(w, r, p)
		}
	}
}

// peerOf finds the member that holds the request's client certificate.
func (h *Hub) peerOf(r *http.Request) (peer, bool, error) {
	spki := wire.PeerFingerprint(r.TLS)
	if spki == "" {
		return peer{}, false, nil
	}
	return h.peerBySPKI(r.Context(), spki)
}

func (h *Hub) handlePackage(w http.ResponseWriter, r *http.Request, p peer) {
	if r.ContentLength > h.MaxPackage {
		wire.WriteRefusal(w, tooLarge(h.MaxPackage))
		return
	}
	var hops []wire.Hop
	if raw := r.Header.Get(wire.HeaderHops); raw != "" {
		if err := json.Unmarshal([]byte(raw), &hops); err != nil {
			wire.WriteRefusal(w, refusal(wire.CodeInvalid, "Tiêu đề "+wire.HeaderHops+" không hợp lệ: "+err.Error()))
			return
		}
	}
	receipt, err := h.accept(r.Context(), incoming{
		from:      p,
		body:      http.MaxBytesReader(w, r.Body, h.MaxPackage),
		packageID: r.Header.Get(wire.HeaderPackageID),
		recipient: r.Header.Get(wire.HeaderRecipient),
		hops:      hops,
	})
	var ref *wire.Refusal
	switch {
	case errors.As(err, &ref):
		wire.WriteRefusal(w, ref)
	case err != nil:
		h.unavailable(w, err)
	default:
		h.writeReceipt(w, receipt)
	}
}

func tooLarge(limit int64) *wire.Refusal {
	return &wire.Refusal{Status: http.StatusRequestEntityTooLarge, ErrorBody: wire.ErrorBody{Code: wire.CodeTooLarge,
		Message: "Gói tin vượt quá giới hạn " + strconv.FormatInt(limit, 10) + " byte."}}
}

// writeReceipt answers 200 with the receipt signed by the hub's TLS key.
func (h *Hub) writeReceipt(w http.ResponseWriter, receipt wire.Receipt) {
	body, _ := json.Marshal(receipt)
	sig, err := wire.SignReceipt(h.signer, body)
	if err != nil {
		h.unavailable(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(wire.HeaderReceiptSignature, sig)
	w.Write(body)
}

// unavailable answers 503: the hub could not store or look up now; the peer retries.
func (h *Hub) unavailable(w http.ResponseWriter, err error) {
	slog.Error("hub: request failed", "err", err)
	w.Header().Set("Retry-After", "5")
	wire.WriteJSON(w, http.StatusServiceUnavailable, wire.ErrorBody{Code: wire.CodeUnavailable, Message: "Trục liên thông tạm thời không lưu được gói tin, vui lòng gửi lại sau."})
}

// handleReport takes a Report from a child or parent hub and routes it on toward
// the sender.
func (h *Hub) handleReport(w http.ResponseWriter, r *http.Request, p peer) {
	if p.Role == RoleNode {
		wire.WriteRefusal(w, &wire.Refusal{Status: http.StatusForbidden, ErrorBody: wire.ErrorBody{Code: wire.CodeSenderMismatch,
			Message: "Chỉ trục liên thông cấp trên hoặc cấp dưới được gửi báo cáo chuyển phát."}})
		return
	}
	var report wire.Report
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&report); err != nil || report.From == "" {
		wire.WriteRefusal(w, refusal(wire.CodeInvalid, "Báo cáo chuyển phát không hợp lệ."))
		return
	}
	if err := h.queueReport(r.Context(), report, p.Name); err != nil {
		h.unavailable(w, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (h *Hub) handleHealth(w http.ResponseWriter, r *http.Request) {
	health := wire.Health{Status: "ok", Role: "hub", Name: h.Name, Version: wire.Version}
	status := http.StatusOK
	if err := h.Pool.Ping(r.Context()); err != nil {
		health.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	wire.WriteJSON(w, status, health)
}

// queueReport inserts a hub.report job.
func (h *Hub) queueReport(ctx context.Context, report wire.Report, cameFrom string) error {
	if h.jobs == nil {
		return errNoQueue
	}
	tx, err := h.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := h.jobs.InsertTx(ctx, tx, ReportArgs{Report: report, CameFrom: cameFrom}, nil); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
