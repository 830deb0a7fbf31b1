package hub

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"edms/internal/liaison"
	"edms/internal/liaison/wire"
)

// incoming is one package arriving, over HTTP or from the uplink.
type incoming struct {
	from      peer
	body      io.Reader // bounded by the caller (http.MaxBytesReader)
	packageID string    // the sender's id; "": the SHA-256 of the body
	recipient string    // Edms-Recipient, or "" for every To
	hops      []wire.Hop
}

// accepted is what the hub read from a package that passed its checks.
type accepted struct {
	staged     *stagingWriter
	sha256     string
	size       int64
	packageID  string
	from       string
	documentID string
	business   int
	kind       liaison.Kind
	routes     map[string]hop // next hop by recipient
	recipients []string
}

// accept stages, reads, judges, routes and stores one package and returns the
// receipt to answer. The error is a *wire.Refusal when the package is refused for
// good (nothing is kept), anything else when the hub cannot store it now.
func (h *Hub) accept(ctx context.Context, in incoming) (wire.Receipt, error) {
	staged := newStagingWriter(ctx, h.Pool)
	hash := sha256.New()
	body := io.TeeReader(in.body, io.MultiWriter(hash, staged))
	pkg, readErr := liaison.Read(body, liaison.Options{Roots: h.Trust, RequireSignature: true})
	if readErr == nil {
		_, readErr = io.Copy(io.Discard, body) // what follows the root element is stored too
	}
	if staged.err != nil { // the hub could not stage: not the package's fault
		return wire.Receipt{}, errors.Join(staged.err, staged.discard(ctx))
	}
	a := accepted{staged: staged, sha256: hex.EncodeToString(hash.Sum(nil)), size: staged.size}
	a.packageID = cmp.Or(in.packageID, a.sha256)
	if err := h.judge(ctx, in, pkg, readErr, &a); err != nil {
		var ref *wire.Refusal
		if errors.As(err, &ref) {
			slog.Info("hub: package refused", "document_id", a.documentID, "package_id", a.packageID, "peer", in.from.Name,
				"code", ref.Code, "reason", ref.Message)
		}
		return wire.Receipt{}, errors.Join(err, staged.discard(ctx))
	}
	receipt, err := h.store(ctx, in, a)
	if err != nil || receipt.Duplicate {
		err = errors.Join(err, staged.discard(ctx))
	}
	return receipt, err
}

// judge applies the protocol's checks in order: the package itself (wire.Judge),
// the sender binding, the recipients and their routes. It fills a on success.
func (h *Hub) judge(ctx context.Context, in incoming, pkg *liaison.Package, readErr error, a *accepted) error {
	if pkg != nil {
		a.documentID, a.business = documentKey(pkg)
	}
	if refusal := wire.Judge(pkg, readErr); refusal != nil {
		return refusal
	}
	if st, revoked := h.Revocation.RevokedInChain(pkg.Signature.Chain); revoked {
		return wire.RevokedSigner(st.Subject)
	}
	a.from, a.kind = wire.Sender(pkg), pkg.Kind
	ok, err := h.serves(ctx, in.from, a.from)
	if err != nil {
		return err
	}
	if !ok {
		return &wire.Refusal{Status: http.StatusForbidden, ErrorBody: wire.ErrorBody{Code: wire.CodeSenderMismatch,
			Message: fmt.Sprintf("Gói tin gửi từ %s nhưng %s không phục vụ cơ quan này.", a.from, in.from.Name)}}
	}
	to := recipients(pkg) // one OrganId twice in To was refused by the reader (CodeInvalid)
	a.recipients = to
	if in.recipient != "" {
		if !slices.Contains(to, in.recipient) {
			return refusal(wire.CodeWrongRecipient, fmt.Sprintf("Nơi nhận %s không có trong danh sách nơi nhận của gói tin.", in.recipient))
		}
		a.recipients = []string{in.recipient}
	}
	a.routes = make(map[string]hop, len(a.recipients))
	for _, r := range a.recipients {
		next, err := h.route(ctx, r, in.from.Name)
		if errors.Is(err, errUnroutable) {
			return refusal(wire.CodeWrongRecipient, fmt.Sprintf("Không tìm thấy nơi nhận %s trong mạng liên thông.", r))
		}
		if err != nil {
			return err
		}
		a.routes[r] = next
	}
	return nil
}

// documentKey is the DocumentId and business type of the duplicate key; a status
// package answers the document it names.
func documentKey(pkg *liaison.Package) (string, int) {
	switch {
	case pkg.Kind == liaison.KindStatus && pkg.Status != nil:
		return pkg.Status.ResponseFor.DocumentID, 0
	case pkg.Header == nil:
		return "", 0
	case pkg.Business != nil:
		return pkg.Header.DocumentID, int(pkg.Business.DocType)
	}
	return pkg.Header.DocumentID, 0
}

// recipients are the OrganIds a package is for: a document's To, a status's
// original sender.
func recipients(pkg *liaison.Package) []string {
	if pkg.Kind == liaison.KindStatus {
		return []string{pkg.Status.ResponseFor.OrganID}
	}
	to := make([]string, len(pkg.Header.To))
	for i, o := range pkg.Header.To {
		to[i] = o.OrganID
	}
	return to
}

func refusal(code, message string) *wire.Refusal {
	return &wire.Refusal{Status: http.StatusBadRequest, ErrorBody: wire.ErrorBody{Code: code, Message: message}}
}

// store records the package and one delivery per new recipient, with their
// forwarding jobs, in one short transaction serialised on the duplicate key. When
// every recipient had it already, the receipt is the first one, marked Duplicate.
func (h *Hub) store(ctx context.Context, in incoming, a accepted) (wire.Receipt, error) {
	if h.jobs == nil {
		return wire.Receipt{}, errNoQueue
	}
	var receipt wire.Receipt
	err := pgx.BeginFunc(ctx, h.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
			fmt.Sprintf("hub|%s|%s|%d|%s", a.from, a.documentID, a.business, a.packageID)); err != nil {
			return err
		}
		first, fresh, err := knownRecipients(ctx, tx, a)
		if err != nil || len(fresh) == 0 {
			receipt = first
			return err
		}
		receipt, err = h.insertPackage(ctx, tx, in, a, fresh)
		return err
	})
	if err != nil {
		return wire.Receipt{}, fmt.Errorf("hub: unable to store package %s: %w", a.packageID, err)
	}
	receipt.ReceivedBy = h.Name
	h.metrics.in.WithLabelValues(in.from.Name).Inc()
	slog.Info("hub: package accepted", "document_id", a.documentID, "package_id", a.packageID,
		"from", a.from, "peer", in.from.Name, "receipt_id", receipt.ReceiptID, "duplicate", receipt.Duplicate)
	return receipt, nil
}

// knownRecipients returns the first receipt of the package when some recipient had
// it already (Duplicate set), and the recipients that had not.
func knownRecipients(ctx context.Context, tx pgx.Tx, a accepted) (wire.Receipt, []string, error) {
	rows, err := tx.Query(ctx, `
		SELECT d.recipient, p.receipt_id, p.sha256, p.received_at, p.hops
		FROM hub_deliveries d JOIN hub_packages p ON p.id = d.package
		WHERE d.from_organ = $1 AND d.document_id = $2 AND d.business = $3 AND d.package_id = $4 AND d.recipient = ANY($5)
		ORDER BY p.id`, a.from, a.documentID, a.business, a.packageID, a.recipients)
	if err != nil {
		return wire.Receipt{}, nil, err
	}
	defer rows.Close()
	var first wire.Receipt
	known := map[string]bool{}
	for rows.Next() {
		var r wire.Receipt
		var recipient string
		if err := rows.Scan(&recipient, &r.ReceiptID, &r.SHA256, &r.ReceivedAt, &r.Hops); err != nil {
			return wire.Receipt{}, nil, err
		}
		if first.ReceiptID == "" {
			first = r
		}
		known[recipient] = true
	}
	if err := rows.Err(); err != nil {
		return wire.Receipt{}, nil, err
	}
	first.Duplicate = len(known) > 0
	first.PackageID, first.DocumentID = a.packageID, a.documentID
	var fresh []string
	for _, r := range a.recipients {
		if !known[r] {
			fresh = append(fresh, r)
		}
	}
	return first, fresh, nil
}

// insertPackage inserts the package, its last staged chunk, its deliveries to the
// fresh recipients and their forwarding jobs.
func (h *Hub) insertPackage(ctx context.Context, tx pgx.Tx, in incoming, a accepted, fresh []string) (wire.Receipt, error) {
	now := time.Now().UTC()
	receipt := wire.Receipt{ReceiptID: uuid.NewString(), SHA256: a.sha256, PackageID: a.packageID, DocumentID: a.documentID, ReceivedAt: now}
	receipt.Hops = append(slices.Clone(in.hops), wire.Hop{Name: h.Name, ReceiptID: receipt.ReceiptID, ReceivedAt: now})
	hops, _ := json.Marshal(receipt.Hops)
	if err := a.staged.storeTail(ctx, tx); err != nil {
		return receipt, err
	}
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO hub_packages (receipt_id, staging_id, package_id, sha256, from_organ, document_id, business, kind, size, received_at, came_from, hops)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		receipt.ReceiptID, a.staged.id, a.packageID, a.sha256, a.from, a.documentID, a.business, a.kind.String(), a.size, now, in.from.Name, hops).Scan(&id)
	if err != nil {
		return receipt, err
	}
	for _, recipient := range fresh {
		var delivery int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO hub_deliveries (package, from_organ, document_id, business, recipient, package_id, next_hop)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			id, a.from, a.documentID, a.business, recipient, a.packageID, a.routes[recipient].Name).Scan(&delivery); err != nil {
			return receipt, err
		}
		if _, err := h.jobs.InsertTx(ctx, tx, ForwardArgs{Delivery: delivery}, nil); err != nil {
			return receipt, err
		}
	}
	return receipt, nil
}
