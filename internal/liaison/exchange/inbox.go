package exchange

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"edms/internal/docs"
	"edms/internal/liaison"
	"edms/internal/liaison/docmap"
	"edms/internal/liaison/wire"
	"edms/internal/store"
)

// appliedStatuses are the status codes the sender of a document receives back from
// its recipients; 13 (recall) travels the other way.
var appliedStatuses = []string{"01", "02", "03", "04", "05", "06", "15", "16"}

// statusRecall asks the recipient to take a document back.
const statusRecall = "13"

// msgUnknownDocument is the reason of the 16 answering a change for a document this
// node never received.
const msgUnknownDocument = "Không tìm thấy văn bản"

// inboxKey is the protocol's duplicate key of one package at one recipient.
type inboxKey struct {
	from, documentID string
	business         int
	recipient        string
	packageID        string
}

func (k inboxKey) lockID() string {
	return strings.Join([]string{k.from, k.documentID, fmt.Sprint(k.business), k.recipient, k.packageID}, "\x1f")
}

// registration is the inbox row of a key that has arrived before.
type registration struct {
	receiptID  string
	sha256     string
	receivedAt time.Time
}

// register records a verified package exactly once per recipient of this node and
// hands it to the documents in the same transaction. A package whose every key has
// arrived before is answered with the first receipt, marked duplicate.
func (l *Link) register(ctx context.Context, in *incoming, transportRecipient string, peer *Peer) (wire.Receipt, *wire.Refusal, error) {
	local, ref, err := l.addressees(ctx, in, transportRecipient)
	if ref != nil || err != nil {
		return wire.Receipt{}, ref, err
	}
	receipt := wire.Receipt{PackageID: in.packageID, DocumentID: documentIDOf(in), ReceivedBy: l.NodeName}
	err = store.InTx(ctx, l.Pool, func(tx pgx.Tx) error {
		var err error
		ref, err = l.registerTx(ctx, tx, in, local, peer, &receipt)
		if err == nil && ref != nil {
			return errRefused
		}
		return err
	})
	if errors.Is(err, errRefused) {
		return wire.Receipt{}, ref, nil
	}
	if err != nil {
		return wire.Receipt{}, nil, err
	}
	receipt.Hops = append(in.hops, wire.Hop{Name: l.NodeName, OrganID: local[0].organID, ReceiptID: receipt.ReceiptID, ReceivedAt: receipt.ReceivedAt})
	return receipt, nil, nil
}

// errRefused rolls back a registration that the documents refused.
var errRefused = errors.New("exchange: refused")

// localAgency is a recipient this node serves.
type localAgency struct {
	organID  string
	agencyID int64
}

func (l *Link) registerTx(ctx context.Context, tx pgx.Tx, in *incoming, local []localAgency, peer *Peer, receipt *wire.Receipt) (*wire.Refusal, error) {
	keys := make([]inboxKey, len(local))
	for i, a := range local {
		keys[i] = keyOf(in, a.organID)
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, keys[i].lockID()); err != nil {
			return nil, fmt.Errorf("exchange: unable to lock the inbox key: %w", err)
		}
	}
	var fresh []int
	for i, k := range keys {
		reg, found, err := findRegistration(ctx, tx, k)
		if err != nil {
			return nil, err
		}
		if !found {
			fresh = append(fresh, i)
			continue
		}
		if receipt.ReceiptID == "" {
			receipt.ReceiptID, receipt.SHA256, receipt.ReceivedAt = reg.receiptID, reg.sha256, reg.receivedAt
		}
	}
	if len(fresh) == 0 {
		receipt.Duplicate = true
		return nil, nil
	}
	if receipt.ReceiptID == "" {
		receipt.ReceiptID, receipt.SHA256, receipt.ReceivedAt = uuid.NewString(), in.sha256, l.now().UTC().Truncate(time.Microsecond)
	}
	for _, i := range fresh {
		docID, ref, err := l.dispatch(ctx, tx, in, local[i], receipt.ReceiptID)
		if ref != nil || err != nil {
			return ref, err
		}
		if err := insertRegistration(ctx, tx, keys[i], in, docID, peer, *receipt); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func keyOf(in *incoming, recipient string) inboxKey {
	k := inboxKey{from: wire.Sender(in.pkg), documentID: documentIDOf(in), recipient: recipient, packageID: in.packageID}
	switch {
	case in.pkg.Kind == liaison.KindStatus && in.pkg.Status.StatusCode == statusRecall:
		k.business = int(liaison.BusinessRevoke)
	case in.pkg.Business != nil:
		k.business = int(in.pkg.Business.DocType)
	}
	return k
}

func findRegistration(ctx context.Context, tx pgx.Tx, k inboxKey) (registration, bool, error) {
	var reg registration
	err := tx.QueryRow(ctx, `SELECT receipt_id::text, sha256, received_at FROM exchange_inbox
		WHERE from_organ_id = $1 AND document_id = $2 AND business = $3 AND recipient = $4 AND package_id = $5`,
		k.from, k.documentID, k.business, k.recipient, k.packageID).Scan(&reg.receiptID, &reg.sha256, &reg.receivedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return reg, false, nil
	}
	if err != nil {
		return reg, false, fmt.Errorf("exchange: unable to look the inbox up: %w", err)
	}
	return reg, true, nil
}

func insertRegistration(ctx context.Context, tx pgx.Tx, k inboxKey, in *incoming, docID int64, peer *Peer, r wire.Receipt) error {
	var local *int64
	if docID != 0 {
		local = &docID
	}
	_, err := tx.Exec(ctx, `INSERT INTO exchange_inbox (from_organ_id, document_id, business, recipient, package_id,
			kind, receipt_id, sha256, peer, received_at, local_document_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		k.from, k.documentID, k.business, k.recipient, k.packageID, in.pkg.Kind.String(), r.ReceiptID, r.SHA256,
		peer.Name, r.ReceivedAt, local)
	if err != nil {
		return fmt.Errorf("exchange: unable to register package %s: %w", k.packageID, err)
	}
	return nil
}

// addressees are the agencies of this node that a package is for on this request.
// A document package names them (To, or the transport recipient); a status package
// without a transport recipient is for the agency it is about: the document's
// sender for 01–16, the agencies that received the document for a recall (13).
func (l *Link) addressees(ctx context.Context, in *incoming, transportRecipient string) ([]localAgency, *wire.Refusal, error) {
	candidates, ref := recipientsOf(in.pkg, transportRecipient)
	if ref != nil {
		return nil, ref, nil
	}
	if candidates == nil {
		return l.statusAddressees(ctx, in.pkg.Status)
	}
	local, err := l.localAgencies(ctx, candidates)
	if err == nil && len(local) == 0 {
		ref = refusal(http.StatusBadRequest, wire.CodeWrongRecipient,
			fmt.Sprintf("Nút %s không phục vụ nơi nhận nào của gói tin (%s).", l.NodeName, strings.Join(candidates, ", ")))
	}
	return local, ref, err
}

// statusAddressees finds whom an unaddressed status is for; a status about a
// document none of this node's agencies sent or received is an unknown document.
func (l *Link) statusAddressees(ctx context.Context, st *liaison.Status) ([]localAgency, *wire.Refusal, error) {
	candidates := []string{st.ResponseFor.OrganID}
	if st.StatusCode == statusRecall {
		var err error
		if candidates, err = l.holders(ctx, st.From.OrganID, st.ResponseFor.DocumentID); err != nil {
			return nil, nil, err
		}
	}
	local, err := l.localAgencies(ctx, candidates)
	if err != nil || len(local) > 0 {
		return local, nil, err
	}
	if st.StatusCode == statusRecall { // answered 16 by the one agency of this node, if it has only one
		if own, err := l.ownAgencies(ctx); err != nil || len(own) == 1 {
			return own, nil, err
		}
	}
	return nil, refusal(http.StatusBadRequest, wire.CodeUnknownDocument,
		fmt.Sprintf("Không cơ quan nào trên nút %s gửi hay nhận văn bản %s.", l.NodeName, st.ResponseFor.DocumentID)), nil
}

// holders are the recipients for which this node registered a document of sender.
func (l *Link) holders(ctx context.Context, sender, documentID string) ([]string, error) {
	rows, err := l.Pool.Query(ctx, `SELECT DISTINCT recipient FROM exchange_inbox
		WHERE from_organ_id = $1 AND document_id = $2 AND kind = 'document'`, sender, documentID)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to find who received %s: %w", documentID, err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// recipientsOf are the OrganIds a package is addressed to on this request: the
// transport recipient when given (it must be among To), else every To. A status
// package goes to the transport recipient, or nil: to whom it is about.
func recipientsOf(pkg *liaison.Package, transportRecipient string) ([]string, *wire.Refusal) {
	if pkg.Kind == liaison.KindStatus {
		code := pkg.Status.StatusCode
		if code != statusRecall && !slices.Contains(appliedStatuses, code) {
			return nil, refusal(http.StatusBadRequest, wire.CodeInvalid, fmt.Sprintf("Mã trạng thái %q không có trong danh mục.", code))
		}
		if transportRecipient == "" {
			return nil, nil
		}
		return []string{transportRecipient}, nil
	}
	var to []string
	for _, o := range pkg.Header.To {
		if slices.Contains(to, o.OrganID) {
			return nil, refusal(http.StatusBadRequest, wire.CodeInvalid, fmt.Sprintf("Nơi nhận %s xuất hiện hai lần trong To.", o.OrganID))
		}
		to = append(to, o.OrganID)
	}
	if transportRecipient == "" {
		return to, nil
	}
	if !slices.Contains(to, transportRecipient) {
		return nil, refusal(http.StatusBadRequest, wire.CodeWrongRecipient,
			fmt.Sprintf("Nơi nhận %s (%s) không có trong danh sách nơi nhận của gói tin.", transportRecipient, wire.HeaderRecipient))
	}
	return []string{transportRecipient}, nil
}

// localAgencies are the agencies among organIDs that this node serves: those of its
// agency list that the network's directory does not place on another node.
func (l *Link) localAgencies(ctx context.Context, organIDs []string) ([]localAgency, error) {
	rows, err := l.Pool.Query(ctx, `SELECT a.organ_id, a.id FROM agencies a WHERE a.organ_id = ANY($1) AND `+servedHere+`
		ORDER BY a.organ_id`, organIDs)
	if err != nil {
		return nil, fmt.Errorf("exchange: unable to find the local recipients: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (localAgency, error) {
		var a localAgency
		err := row.Scan(&a.organID, &a.agencyID)
		return a, err
	})
}

// dispatch hands a registered package to the documents, in the registration's
// transaction, and returns the local document it created, if any.
func (l *Link) dispatch(ctx context.Context, tx pgx.Tx, in *incoming, to localAgency, receiptID string) (int64, *wire.Refusal, error) {
	docID, ref, err := l.handOver(ctx, tx, in, to, receiptID)
	if permanent(err) {
		return 0, refusal(http.StatusBadRequest, wire.CodeInvalid, docs.UserMessage(err)), nil
	}
	return docID, ref, err
}

// permanent tells a refusal of the documents, which a resend cannot change, from a
// failure of this node.
func permanent(err error) bool {
	for _, kind := range []error{docs.ErrInvalid, docs.ErrDuplicate, docs.ErrIllegalTransition, docs.ErrForbidden,
		docs.ErrFileTooLarge, docs.ErrFileWrongType, docs.ErrFileEmpty, docs.ErrMediaNotAllowed} {
		if errors.Is(err, kind) {
			return true
		}
	}
	return false
}

func (l *Link) handOver(ctx context.Context, tx pgx.Tx, in *incoming, to localAgency, receiptID string) (int64, *wire.Refusal, error) {
	if in.pkg.Kind == liaison.KindStatus {
		ref, err := l.applyStatus(ctx, tx, in.pkg.Status, to, receiptID)
		return 0, ref, err
	}
	business := liaison.BusinessNew
	if in.pkg.Business != nil {
		business = in.pkg.Business.DocType
	}
	switch business {
	case liaison.BusinessNew, liaison.BusinessReplace:
		return l.receiveDocument(ctx, tx, in, to)
	case liaison.BusinessRevoke, liaison.BusinessUpdate:
		return 0, nil, l.receiveChange(ctx, tx, in.pkg, to, receiptID)
	}
	return 0, refusal(http.StatusBadRequest, wire.CodeInvalid, fmt.Sprintf("Loại nghiệp vụ %d không được hỗ trợ.", business)), nil
}

func (l *Link) receiveDocument(ctx context.Context, tx pgx.Tx, in *incoming, to localAgency) (int64, *wire.Refusal, error) {
	input, _, err := docmap.ToReceiveInput(in.pkg, in.open)
	defer closeAll(input)
	if err != nil {
		return 0, refusal(http.StatusBadRequest, wire.CodeInvalid, "Không chuyển được gói thành văn bản đến: "+err.Error()), nil
	}
	if b := in.pkg.Business; b != nil && b.DocType == liaison.BusinessReplace && len(b.Replacements) > 0 {
		input.ReplacesExternalID = b.Replacements[0].DocumentID
	}
	receipt, err := l.Docs.ReceiveTx(ctx, tx, docs.Actor{AgencyID: to.agencyID}, input)
	if err != nil {
		return 0, nil, fmt.Errorf("exchange: unable to receive the document: %w", err)
	}
	return receipt.DocumentID, nil, nil
}

// closeAll closes the attachment files a receive input opened.
func closeAll(in docs.ReceiveInput) {
	for _, f := range append([]docs.FileInput{in.Main}, in.Attachments...) {
		if c, ok := f.Content.(interface{ Close() error }); ok {
			c.Close()
		}
	}
}

// receiveChange applies a recall or an update; a change for a document that never
// arrived is answered with a 16.
func (l *Link) receiveChange(ctx context.Context, tx pgx.Tx, pkg *liaison.Package, to localAgency, receiptID string) error {
	c := docs.ChangeRequest{AgencyID: to.agencyID, ExternalID: pkg.Header.DocumentID, From: pkg.Header.From.OrganID,
		Business: int(pkg.Business.DocType), Reason: pkg.Business.Reason, ReceiptID: receiptID}
	if pkg.Business.DocType == liaison.BusinessUpdate {
		d, _, err := docmap.ToDocument(pkg)
		if err != nil {
			return fmt.Errorf("exchange: unable to read the update: %w", err)
		}
		c.Update = &d
	}
	return l.applyChange(ctx, tx, c)
}

func (l *Link) applyChange(ctx context.Context, tx pgx.Tx, c docs.ChangeRequest) error {
	err := l.Docs.ReceiveChangeTx(ctx, tx, c)
	if !errors.Is(err, docs.ErrUnknownDocument) {
		return err
	}
	if l.Docs.Queue == nil {
		return errors.New("exchange: no job queue to answer a change of an unknown document")
	}
	_, err = l.Docs.Queue.InsertTx(ctx, tx, docs.SendStatusArgs{AgencyID: c.AgencyID, To: c.From, ResponseFor: c.ExternalID,
		Code: "16", Note: msgUnknownDocument, At: l.now(), PackageID: uuid.NewString()},
		&river.InsertOpts{Queue: docs.QueueExchange})
	if err != nil {
		return fmt.Errorf("exchange: unable to queue the answer to a change of an unknown document: %w", err)
	}
	return nil
}

// applyStatus records a status a recipient returned for one of our documents, or a
// recall (13) our agency received.
func (l *Link) applyStatus(ctx context.Context, tx pgx.Tx, st *liaison.Status, to localAgency, receiptID string) (*wire.Refusal, error) {
	if st.StatusCode == statusRecall {
		return nil, l.applyChange(ctx, tx, docs.ChangeRequest{AgencyID: to.agencyID, ExternalID: st.ResponseFor.DocumentID,
			From: st.From.OrganID, Business: int(liaison.BusinessRevoke), Reason: st.Description, ReceiptID: receiptID})
	}
	_, err := l.Docs.ApplyStatusTx(ctx, tx, docs.StatusUpdate{SenderAgencyID: to.agencyID, To: to.organID,
		ExternalID: st.ResponseFor.DocumentID, Recipient: st.From.OrganID, Code: st.StatusCode, Note: st.Description,
		ReceiptID: receiptID, At: st.Timestamp})
	if errors.Is(err, docs.ErrUnknownDocument) {
		return refusal(http.StatusBadRequest, wire.CodeUnknownDocument,
			fmt.Sprintf("Không có văn bản %s của %s để nhận trạng thái.", st.ResponseFor.DocumentID, to.organID)), nil
	}
	return nil, err
}
