package docs

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// incoming is the incoming state machine (Điều 20–24). "recalled" is made when the
// clerk accepts the sender's recall; "replaced" is the system's step, made when a
// replacement of the document arrives from its sender.
var incoming = newMachine(Incoming, "incoming_state", func(d *Record) IncomingState { return d.IncomingState },
	[]stateLabel[IncomingState]{
		{InReceived, "Mới đến, chờ kiểm tra"}, {InRejected, "Đã trả lại nơi gửi"}, {InRegistered, "Đã vào sổ"},
		{InSubmitted, "Chờ lãnh đạo phân công"}, {InAssigned, "Đã phân công"}, {InProgress, "Đang xử lý"},
		{InCompleted, "Đã hoàn thành"}, {InFiled, "Đã lập hồ sơ"}, {InRecalled, "Đã hủy do nơi gửi thu hồi"},
		{InReplaced, "Đã bị thay thế"},
	},
	[]transition{
		newTransition("reject", []IncomingState{InReceived}, InRejected, access.IncomingReturn, "văn thư", "trả lại nơi gửi"),
		newTransition("register", []IncomingState{InReceived}, InRegistered, access.IncomingRegister, "văn thư", "vào sổ văn bản đến"),
		newTransition("submit", []IncomingState{InRegistered}, InSubmitted, access.IncomingRegister, "văn thư", "trình lãnh đạo"),
		newTransition("assign", []IncomingState{InSubmitted}, InAssigned, access.IncomingAssign, "lãnh đạo cơ quan", "phân công xử lý"),
		newTransition("start", []IncomingState{InAssigned}, InProgress, access.IncomingHandle, "người được giao xử lý", "bắt đầu xử lý"),
		newTransition("complete", []IncomingState{InAssigned, InProgress}, InCompleted, access.IncomingHandle, "người được giao chủ trì", "hoàn thành"),
		newTransition("take_back", []IncomingState{InAssigned, InProgress}, InSubmitted, access.IncomingAssign, "lãnh đạo cơ quan", "thu hồi phân công"),
		newTransition("file", []IncomingState{InCompleted}, InFiled, access.RecordManage, "người xử lý hoặc văn thư", "lập hồ sơ"),
		newTransition("recalled", []IncomingState{InReceived, InRegistered, InSubmitted, InAssigned, InProgress, InCompleted}, InRecalled,
			access.IncomingReceive, "nơi gửi (thu hồi)", "hủy theo yêu cầu thu hồi"),
		newTransition("replaced", []IncomingState{InReceived, InRegistered, InSubmitted, InAssigned, InProgress, InCompleted, InFiled}, InReplaced,
			access.IncomingReceive, "nơi gửi (thay thế)", "thay thế bằng văn bản mới"),
	})

// Label returns the Vietnamese name of the state.
func (s IncomingState) Label() string { return incoming.labels[string(s)] }

// eventRecipientStatus is what each event means for the sender's tracking of a recipient.
var eventRecipientStatus = map[EventCode]RecipientStatus{
	EventArrived: RecipientArrived, EventRejected: RecipientRejected, EventRegistered: RecipientRegistered,
	EventAssigned: RecipientAssigned, EventInProgress: RecipientInProgress, EventCompleted: RecipientCompleted,
}

// emitEvent tells the sender of an electronic incoming document about a lifecycle
// event, in the transaction of the change. When the document was handed off from an
// outgoing document of this same database, the sender's tracking is updated at once;
// when it came from elsewhere (through the exchange, or a package the clerk
// imported), an exchange.send_status job carries the edXML status to its sender.
func (s *Service) emitEvent(ctx context.Context, tx pgx.Tx, d *Record, code EventCode, note string) error {
	if d.SourceDocumentID != 0 {
		_, err := applyRecipientEvent(ctx, tx, recipientEvent{DocumentID: d.SourceDocumentID, AgencyID: d.AgencyID,
			Code: code, At: s.now(), Note: note})
		return err
	}
	if d.ExternalID == "" || d.IssuerOrganID == "" {
		return nil // no sender to answer
	}
	return s.queueExchange(ctx, tx, SendStatusArgs{AgencyID: d.AgencyID, DocumentID: d.ID, To: d.IssuerOrganID,
		ResponseFor: d.ExternalID, Code: string(code), Note: note, At: s.now()})
}

// setRecipientStatus records where sending stands at one recipient of an outgoing
// document (sent, sent on paper), found by local agency id or by organ id; what the
// recipient reports goes through applyRecipientEvent.
func setRecipientStatus(ctx context.Context, tx pgx.Tx, outgoingID, agencyID int64, organID string, st RecipientStatus, note string) error {
	tag, err := tx.Exec(ctx, `UPDATE document_recipients SET status = $1, status_at = now(), status_note = $2
		WHERE document_id = $3 AND ((agency_id IS NOT NULL AND agency_id = $4) OR (organ_id <> '' AND organ_id = $5))`,
		st, note, outgoingID, agencyID, organID)
	if err != nil {
		return fmt.Errorf("docs: unable to update the recipient status: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("docs: document %d has no recipient %d/%q", outgoingID, agencyID, organID)
	}
	return nil
}

// ReceiveInput is a document arriving: from the exchange, by hand-off, or on paper
// (scanned and uploaded by the clerk).
type ReceiveInput struct {
	Document
	Main        FileInput
	Attachments []FileInput
	RequestKey  string
	// ReplacesExternalID is, for a replacement (edXML business type 3), the
	// DocumentId of the document it replaces: our copy of that one moves to replaced.
	ReplacesExternalID string
}

// Receipt is the result of receiving a document.
type Receipt struct {
	DocumentID int64
	Duplicates []Duplicate // the decree's duplicate warnings, for the clerk to decide
}

// Receive records an arriving document in the actor's agency (state received, event
// 01 for an electronic one) and reports possible duplicates. The exchange calls it
// with a zero UserID.
func (s *Service) Receive(ctx context.Context, a Actor, in ReceiveInput) (Receipt, error) {
	var r Receipt
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var err error
		r, err = s.ReceiveTx(ctx, tx, a, in)
		return err
	})
	return r, err
}

// ReceiveTx is Receive inside the caller's transaction (the exchange's inbox).
func (s *Service) ReceiveTx(ctx context.Context, tx pgx.Tx, a Actor, in ReceiveInput) (Receipt, error) {
	if a.UserID != 0 {
		if err := s.require(a, access.IncomingReceive, "văn thư"); err != nil {
			return Receipt{}, err
		}
	}
	d := in.Document
	d.DueDate = nil // the sender's deadline is not ours; the leader sets deadlines when assigning
	if err := validateMetadata(&d, s.today(), receivedLimits); err != nil {
		return Receipt{}, err
	}
	if in.Main.Content == nil && !in.Paper {
		return Receipt{}, invalid("Chưa có tệp văn bản đến.", "electronic incoming document without a file")
	}
	if in.Main.Content != nil && in.Main.MediaType != MediaPDF {
		return Receipt{}, invalid("Văn bản đến phải là tệp PDF.", "incoming main file is %s", in.Main.MediaType)
	}
	now := s.now()
	d.ID, d.AgencyID, d.Direction, d.IncomingState, d.CreatedBy, d.UnitID = 0, a.AgencyID, Incoming, InReceived, a.UserID, 0
	d.ArrivalDate = &now
	if err := insertDocument(ctx, tx, &d, in.RequestKey, 0); err != nil {
		return Receipt{}, err
	}
	if err := s.storeIncomingFiles(ctx, tx, d.ID, a.UserID, in); err != nil {
		return Receipt{}, err
	}
	if err := keepRequestedDeadline(ctx, tx, d.ID, in.Document.DueDate); err != nil {
		return Receipt{}, err
	}
	if in.ReplacesExternalID != "" {
		if err := s.supersede(ctx, tx, &d, `external_id = $2 AND issuer_organ_id = $3`, in.ReplacesExternalID, d.IssuerOrganID); err != nil {
			return Receipt{}, err
		}
	}
	if !d.Paper {
		if err := s.checkSignatures(ctx, tx, d.ID); err != nil {
			return Receipt{}, err
		}
	}
	rec := &Record{Document: d}
	if err := s.arrived(ctx, tx, a, rec); err != nil {
		return Receipt{}, err
	}
	dups, err := FindDuplicates(ctx, tx, a.AgencyID, &d)
	return Receipt{DocumentID: d.ID, Duplicates: dups}, err
}

// storeIncomingFiles stores the main file (a paper document may be registered before
// it is scanned) and the attachments.
func (s *Service) storeIncomingFiles(ctx context.Context, tx pgx.Tx, docID, actorID int64, in ReceiveInput) error {
	if in.Main.Content == nil {
		return nil
	}
	if _, err := addFile(ctx, tx, docID, KindMain, 1, in.Main, actorID, "", s.maxFileSize()); err != nil {
		return err
	}
	for _, f := range in.Attachments {
		if _, err := addFile(ctx, tx, docID, KindAttachment, 1, f, actorID, "", s.maxFileSize()); err != nil {
			return err
		}
	}
	return nil
}

// arrived logs the creation of an incoming document and emits 01 for an electronic one.
func (s *Service) arrived(ctx context.Context, tx pgx.Tx, a Actor, d *Record) error {
	if err := recordTransition(ctx, tx, d.ID, "", string(InReceived), "receive", a.UserID, ""); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, a, "receive", d.ID, map[string]any{"paper": d.Paper}); err != nil {
		return err
	}
	if d.Paper {
		return nil
	}
	return s.emitEvent(ctx, tx, d, EventArrived, "")
}

// Reject returns an incoming document to its sender with a reason (wrong recipient,
// integrity failure...): event 02.
func (s *Service) Reject(ctx context.Context, a Actor, docID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.transition(ctx, a, incoming, docID, "reject", reason, needsText(reason, "Nhập lý do trả lại văn bản.", func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if _, err := tx.Exec(ctx, `UPDATE documents SET reject_reason = $1 WHERE id = $2`, reason, d.ID); err != nil {
			return fmt.Errorf("docs: unable to record the reason: %w", err)
		}
		return s.event(ctx, tx, d, EventRejected, reason)
	}))
}

// event emits an event unless the document arrived on paper (no one to notify).
func (s *Service) event(ctx context.Context, tx pgx.Tx, d *Record, code EventCode, note string) error {
	if d.Paper {
		return nil
	}
	return s.emitEvent(ctx, tx, d, code, note)
}

// Register enters an incoming document in the register with the next incoming number
// (số đến) of the year: event 03. It returns the number.
func (s *Service) Register(ctx context.Context, a Actor, docID int64, note string) (int, error) {
	var n int
	err := s.transition(ctx, a, incoming, docID, "register", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if d.Signature.Status == SignatureInvalid {
			return invalid("Chữ ký số của văn bản không hợp lệ ("+d.Signature.Summary+"); không vào sổ được, hãy trả lại nơi gửi.",
				"document %d failed its signature check: %s", d.ID, d.Signature.Summary)
		}
		year := issueYear(*d.ArrivalDate)
		var err error
		if n, err = nextNumber(ctx, tx, d.AgencyID, year, seriesIncoming); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET arrival_number = $1, arrival_year = $2 WHERE id = $3`, n, year, d.ID); err != nil {
			return fmt.Errorf("docs: unable to record the incoming number: %w", err)
		}
		if d.CreatedBy == 0 { // arrived by the exchange: the registering clerk becomes its keeper
			if _, err := tx.Exec(ctx, `UPDATE documents SET created_by = $1 WHERE id = $2`, a.UserID, d.ID); err != nil {
				return fmt.Errorf("docs: unable to record the clerk: %w", err)
			}
		}
		return s.event(ctx, tx, d, EventRegistered, "")
	})
	return n, err
}

// SubmitToLeader puts a registered document before the agency's leaders.
func (s *Service) SubmitToLeader(ctx context.Context, a Actor, docID int64, note string) error {
	return s.transition(ctx, a, incoming, docID, "submit", note, nil)
}
