package hub

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/liaison/wire"
)

// Tracking is where each copy of a document stands at this hub, as seen by the
// peer asking: only deliveries whose package came from it or went to it, unless it
// is the parent. The history lists the hops of the package, then its outcome here.
func (h *Hub) tracking(ctx context.Context, documentID string, p peer) ([]wire.Tracking, error) {
	rows, err := h.Pool.Query(ctx, `
		SELECT d.recipient, d.state, d.next_hop, d.next_receipt_id, d.error_code, d.last_error, d.delivered_at, d.updated_at, p.hops
		FROM hub_deliveries d JOIN hub_packages p ON p.id = d.package
		WHERE d.document_id = $1 AND ($2 = 'parent' OR p.came_from = $3 OR d.next_hop = $3)
		ORDER BY d.id`, documentID, p.Role, p.Name)
	if err != nil {
		return nil, fmt.Errorf("hub: unable to track %s: %w", documentID, err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (wire.Tracking, error) {
		t := wire.Tracking{DocumentID: documentID}
		var nextHop, receiptID, code, lastError string
		var deliveredAt *time.Time
		var updatedAt time.Time
		var hops []wire.Hop
		if err := row.Scan(&t.Recipient, &t.State, &nextHop, &receiptID, &code, &lastError, &deliveredAt, &updatedAt, &hops); err != nil {
			return t, err
		}
		for _, hp := range hops {
			t.History = append(t.History, wire.TrackingEntry{Code: "hop", At: hp.ReceivedAt, Detail: hp.Name, ReceiptID: hp.ReceiptID})
		}
		switch t.State {
		case "delivered":
			t.Detail = "Đã chuyển tới " + nextHop
			t.History = append(t.History, wire.TrackingEntry{Code: "delivered", At: *deliveredAt, Detail: nextHop, ReceiptID: receiptID})
		case "failed":
			t.Detail = code + ": " + lastError
			t.History = append(t.History, wire.TrackingEntry{Code: "failed", At: updatedAt, Detail: t.Detail})
		default:
			t.Detail = lastError
		}
		return t, nil
	})
}

func (h *Hub) handleTracking(w http.ResponseWriter, r *http.Request, p peer) {
	documentID := r.URL.Query().Get("document_id")
	if documentID == "" {
		wire.WriteRefusal(w, refusal(wire.CodeInvalid, "Thiếu tham số document_id."))
		return
	}
	t, err := h.tracking(r.Context(), documentID, p)
	if err != nil {
		h.unavailable(w, err)
		return
	}
	if t == nil {
		t = []wire.Tracking{}
	}
	wire.WriteJSON(w, http.StatusOK, t)
}
