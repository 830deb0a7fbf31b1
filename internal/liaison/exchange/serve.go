package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"

	"github.com/jackc/pgx/v5"

	"edms/internal/docs"
	"edms/internal/liaison/wire"
	"edms/internal/store"
)

// receiveReport records what a hub reports about a package this node sent and
// that could not be delivered for good: the recipient is marked failed with the reason.
func (l *Link) receiveReport(w http.ResponseWriter, r *http.Request, peer *Peer) {
	if peer.Role != RoleHub {
		wire.WriteRefusal(w, refusal(http.StatusForbidden, wire.CodeSenderMismatch, "Chỉ trục liên thông được gửi báo cáo chuyển phát."))
		return
	}
	var rep wire.Report
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&rep); err != nil {
		wire.WriteRefusal(w, refusal(http.StatusBadRequest, wire.CodeInvalid, "Báo cáo không đọc được: "+err.Error()))
		return
	}
	log := slog.With("peer", peer.Name, "document_id", rep.DocumentID, "package_id", rep.PackageID, "recipient", rep.Recipient)
	err := store.InTx(r.Context(), l.Pool, func(tx pgx.Tx) error {
		docID, err := sentDocument(r.Context(), tx, rep.PackageID, rep.Recipient)
		if err != nil {
			return err
		}
		d := delivery{kind: kindPackage, packageID: rep.PackageID, recipient: rep.Recipient, documentID: docID}
		if err := recordOutbound(r.Context(), tx, d, "failed", wire.Receipt{}, rep.Message); err != nil {
			return err
		}
		return l.Docs.MarkFailed(r.Context(), tx, docID, rep.Recipient, rep.Message)
	})
	switch {
	case errors.Is(err, docs.ErrUnknownDocument):
		wire.WriteRefusal(w, refusal(http.StatusBadRequest, wire.CodeUnknownDocument,
			fmt.Sprintf("Nút chưa gửi gói %s cho %s.", rep.PackageID, rep.Recipient)))
	case err != nil:
		unavailable(w, err)
	default:
		log.Warn("exchange: package reported undeliverable", "code", rep.Code, "message", rep.Message, "reported_by", rep.ReportedBy)
		wire.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
	}
}

// sentDocument is the document a package in the sending log carried.
func sentDocument(ctx context.Context, tx pgx.Tx, packageID, recipient string) (int64, error) {
	var docID *int64
	err := tx.QueryRow(ctx, `SELECT document_id FROM exchange_outbound WHERE package_id = $1 AND recipient = $2 AND kind = $3`,
		packageID, recipient, kindPackage).Scan(&docID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && docID == nil) {
		return 0, docs.ErrUnknownDocument
	}
	if err != nil {
		return 0, fmt.Errorf("exchange: unable to read the sending log: %w", err)
	}
	return *docID, nil
}

// serveDirectory lists this node's agencies.
func (l *Link) serveDirectory(w http.ResponseWriter, r *http.Request, _ *Peer) {
	entries, err := l.ownDirectory(r.Context())
	if err != nil {
		unavailable(w, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, entries)
}

// serveTracking tells, for a document one of this node's agencies sent, where it
// stands at each recipient: a hub sees every recipient, a node those it serves.
func (l *Link) serveTracking(w http.ResponseWriter, r *http.Request, peer *Peer) {
	documentID := r.URL.Query().Get("document_id")
	tracking, err := l.tracking(r.Context(), documentID)
	tracking = slices.DeleteFunc(tracking, func(t wire.Tracking) bool { return !peer.serves(t.Recipient) })
	if errors.Is(err, docs.ErrNotFound) || (err == nil && len(tracking) == 0) {
		wire.WriteRefusal(w, refusal(http.StatusNotFound, wire.CodeUnknownDocument, "Không có văn bản "+documentID+"."))
		return
	}
	if err != nil {
		unavailable(w, err)
		return
	}
	wire.WriteJSON(w, http.StatusOK, tracking)
}

func (l *Link) tracking(ctx context.Context, documentID string) ([]wire.Tracking, error) {
	own, err := l.ownAgencies(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(own))
	for i, a := range own {
		ids[i] = a.agencyID
	}
	docID, err := docs.OutgoingIDByExternalID(ctx, l.Pool, ids, documentID)
	if err != nil {
		return nil, err
	}
	recipients, err := docs.Tracking(ctx, l.Pool, docID)
	if err != nil {
		return nil, err
	}
	out := make([]wire.Tracking, 0, len(recipients))
	for _, rc := range recipients {
		t := wire.Tracking{DocumentID: documentID, Recipient: rc.OrganID, State: trackingState(rc.Status), Detail: rc.Note,
			History: make([]wire.TrackingEntry, 0, len(rc.History))}
		for _, h := range rc.History {
			t.History = append(t.History, wire.TrackingEntry{Code: string(h.Code), At: h.At, Stale: h.Stale, Detail: h.Note, ReceiptID: h.ReceiptID})
		}
		out = append(out, t)
	}
	return out, nil
}

// trackingStates names each recipient status as the protocol's tracking does.
var trackingStates = map[docs.RecipientStatus]string{
	docs.RecipientPending: "pending", docs.RecipientSending: "pending", docs.RecipientSent: "pending",
	docs.RecipientFailed: "failed", docs.RecipientArrived: "01",
	docs.RecipientRejected: "02", docs.RecipientRegistered: "03", docs.RecipientAssigned: "04",
	docs.RecipientInProgress: "05", docs.RecipientCompleted: "06", docs.RecipientRecalled: "recalled",
	docs.RecipientRefused: "16",
}

// trackingState is a recipient status as the protocol's tracking names it.
func trackingState(s docs.RecipientStatus) string {
	if state, ok := trackingStates[s]; ok {
		return state
	}
	return "pending"
}

func (l *Link) serveHealth(w http.ResponseWriter, _ *http.Request, _ *Peer) {
	wire.WriteJSON(w, http.StatusOK, wire.Health{Status: "ok", Role: RoleNode, Name: l.NodeName, Version: wire.Version})
}
