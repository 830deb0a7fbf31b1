package docs

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"edms/internal/store"
)

// documentColumns is the column list scanDocument reads, in order.
const documentColumns = `d.id, d.agency_id, d.direction, d.type, d.code_number, d.code_notation, d.place,
	d.issued_date, d.subject, d.content, d.issuer_organ_id, d.issuer_name, d.signer_competence,
	d.signer_position, d.signer_name, coalesce(d.signer_user_id, 0), d.to_places, d.urgency, d.secrecy,
	d.page_count, d.issued_amount, d.due_date, d.language, d.external_id, coalesce(d.unit_id, 0),
	coalesce(d.created_by, 0), d.created_at, coalesce(d.outgoing_state, ''), coalesce(d.incoming_state, ''),
	coalesce(d.arrival_number, 0), d.arrival_date, d.paper, coalesce(d.replaces_id, 0),
	coalesce(d.source_document_id, 0), d.leader_signed, d.agency_signed, d.signature_check, d.signature_note,
	coalesce(d.replaced_by_id, 0), coalesce((SELECT o.external_id FROM documents o WHERE o.id = d.replaces_id), '')`

// Record is a document as stored, with the fields only the system sets.
type Record struct {
	Document
	ReplacesID       int64
	SourceDocumentID int64 // the outgoing document this incoming copy was handed off from
	LeaderSigned     bool  // the PDF carries the competent person's digital signature
	AgencySigned     bool  // the PDF carries the agency's digital signature
	// Signature is the check of a received document's signatures.
	Signature SignatureCheck
	// ReplacedByID is, on an incoming copy, the copy of the replacement that
	// superseded it.
	ReplacedByID int64
	// ReplacesExternalID is the edXML DocumentId of the document this one replaces:
	// what a replacement's package (business type 3) names.
	ReplacesExternalID string
}

func scanDocument(row pgx.Row) (*Record, error) {
	var r Record
	d := &r.Document
	err := row.Scan(&d.ID, &d.AgencyID, &d.Direction, &d.Type, &d.CodeNumber, &d.CodeNotation, &d.Place,
		&d.IssuedDate, &d.Subject, &d.Content, &d.IssuerOrganID, &d.IssuerName, &d.Signer.Competence,
		&d.Signer.Position, &d.Signer.FullName, &d.Signer.UserID, &d.ToPlaces, &d.Urgency, &d.Secrecy,
		&d.PageCount, &d.IssuedAmount, &d.DueDate, &d.Language, &d.ExternalID, &d.UnitID,
		&d.CreatedBy, &d.CreatedAt, &d.OutgoingState, &d.IncomingState,
		&d.ArrivalNumber, &d.ArrivalDate, &d.Paper, &r.ReplacesID,
		&r.SourceDocumentID, &r.LeaderSigned, &r.AgencySigned, &r.Signature.Status, &r.Signature.Summary,
		&r.ReplacedByID, &r.ReplacesExternalID)
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// FileInput is an uploaded file.
type FileInput struct {
	Name      string
	MediaType string
	Content   io.Reader
}

// lengthLimits bounds the free-text metadata of a document, in characters.
type lengthLimits struct {
	subject, place int
}

var (
	// draftLimits are the limits of Nghị định 30 and QCVN 102, which what edms writes
	// keeps to.
	draftLimits = lengthLimits{subject: 500, place: 50}
	// receivedLimits keep what other agencies' systems send beyond those limits, up to
	// the hard bounds of the edXML reader (ten times the standard's); the schema's
	// CHECK constraints hold the same numbers.
	receivedLimits = lengthLimits{subject: 5000, place: 500}
)

// validateMetadata checks what the user typed, naming the faulty field in Vietnamese.
func validateMetadata(d *Document, today time.Time, limits lengthLimits) error {
	if _, ok := LookupType(d.Type); !ok {
		return invalidField("type", "Loại văn bản không hợp lệ.", "unknown document type %q", d.Type)
	}
	d.Subject = strings.TrimSpace(d.Subject)
	if d.Subject == "" {
		return invalidField("subject", "Chưa nhập trích yếu nội dung.", "subject is empty")
	}
	if n := utf8.RuneCountInString(d.Subject); n > limits.subject {
		return invalidField("subject", fmt.Sprintf("Trích yếu dài quá %d ký tự.", limits.subject), "subject has %d characters, at most %d", n, limits.subject)
	}
	if n := utf8.RuneCountInString(d.Place); n > limits.place {
		return invalidField("place", fmt.Sprintf("Địa danh dài quá %d ký tự.", limits.place), "place has %d characters, at most %d", n, limits.place)
	}
	if d.Urgency == "" {
		d.Urgency = UrgencyNormal
	}
	if !d.Urgency.valid() {
		return invalidField("urgency", "Độ khẩn không hợp lệ.", "unknown urgency %q", d.Urgency)
	}
	if d.Secrecy == "" {
		d.Secrecy = SecrecyNone
	}
	if !d.Secrecy.valid() {
		return invalidField("secrecy", "Độ mật không hợp lệ.", "unknown secrecy %q", d.Secrecy)
	}
	if d.DueDate != nil && d.DueDate.Before(today) {
		return invalidField("due_date", "Hạn xử lý đã qua; chọn một ngày từ hôm nay trở đi.", "due date %s is in the past", d.DueDate.Format(time.DateOnly))
	}
	if d.PageCount < 0 || d.IssuedAmount < 0 {
		return invalidField("page_count", "Số trang và số lượng bản không được âm.", "negative page count or issued amount")
	}
	if d.Language == "" {
		d.Language = "vi"
	}
	return validateRecipients(d.Recipients)
}

func validateRecipients(rs []Recipient) error {
	seen := map[string]bool{}
	for _, r := range rs {
		if strings.TrimSpace(r.Name) == "" {
			return invalidField("recipients", "Nơi nhận thiếu tên cơ quan.", "recipient without a name")
		}
		if r.OrganID != "" && seen[r.OrganID] {
			return invalidField("recipients", "Nơi nhận bị trùng: "+r.Name+".", "recipient %s listed twice", r.OrganID)
		}
		seen[r.OrganID] = true
	}
	return nil
}

// insertDocument writes a new document row and its recipients.
func insertDocument(ctx context.Context, tx pgx.Tx, d *Document, requestKey string, sourceID int64) error {
	var createdBy, unitID, signerID, source *int64
	if d.CreatedBy != 0 {
		createdBy = &d.CreatedBy
	}
	if d.UnitID != 0 {
		unitID = &d.UnitID
	}
	if d.Signer.UserID != 0 {
		signerID = &d.Signer.UserID
	}
	if sourceID != 0 {
		source = &sourceID
	}
	var outState, inState *string
	if d.Direction == Outgoing {
		s := string(d.OutgoingState)
		outState = &s
	} else {
		s := string(d.IncomingState)
		inState = &s
	}
	if d.ToPlaces == nil {
		d.ToPlaces = []string{}
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO documents (agency_id, direction, type, code_number, code_notation, place, issued_date,
			subject, content, issuer_organ_id, issuer_name, signer_competence, signer_position, signer_name,
			signer_user_id, to_places, urgency, secrecy, page_count, issued_amount, due_date, language,
			external_id, unit_id, created_by, request_key, outgoing_state, incoming_state, paper, digital,
			source_document_id, arrival_date)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
			$21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32)
		RETURNING id, created_at`,
		d.AgencyID, d.Direction, d.Type, d.CodeNumber, d.CodeNotation, d.Place, d.IssuedDate,
		d.Subject, d.Content, d.IssuerOrganID, d.IssuerName, d.Signer.Competence, d.Signer.Position, d.Signer.FullName,
		signerID, d.ToPlaces, d.Urgency, d.Secrecy, d.PageCount, d.IssuedAmount, d.DueDate, d.Language,
		d.ExternalID, unitID, createdBy, requestKey, outState, inState, d.Paper, !d.Paper,
		source, d.ArrivalDate).Scan(&d.ID, &d.CreatedAt)
	if store.IsUniqueViolation(err, "documents_request_key") {
		return &Error{Kind: ErrDuplicate, Message: "Biểu mẫu này đã được gửi; văn bản đã được tạo, không tạo lần thứ hai.",
			Detail: "request key " + requestKey + " already used by this user"}
	}
	if err != nil {
		return fmt.Errorf("docs: unable to create the document: %w", err)
	}
	return insertRecipients(ctx, tx, d.ID, d.Recipients)
}

// insertRecipients appends recipients to a document's list, after those it has.
func insertRecipients(ctx context.Context, tx pgx.Tx, docID int64, rs []Recipient) error {
	for _, r := range rs {
		var agencyID *int64
		if r.AgencyID != 0 {
			agencyID = &r.AgencyID
		}
		_, err := tx.Exec(ctx, `INSERT INTO document_recipients (document_id, ord, agency_id, organ_id, name)
			VALUES ($1, (SELECT coalesce(max(ord), 0) + 1 FROM document_recipients WHERE document_id = $1), $2, $3, $4)`,
			docID, agencyID, r.OrganID, r.Name)
		if store.IsUniqueViolation(err, "document_recipients_organ_key") {
			return invalid("Nơi nhận bị trùng: "+r.Name+".", "recipient %s listed twice", r.OrganID)
		}
		if err != nil {
			return fmt.Errorf("docs: unable to save recipient %q: %w", r.Name, err)
		}
	}
	return nil
}

// Recipients lists the recipients of a document with their delivery status.
func Recipients(ctx context.Context, db store.DB, docID int64) ([]RecipientState, error) {
	rows, err := db.Query(ctx, `SELECT coalesce(agency_id, 0), organ_id, name, status, status_at, status_note, receipt_id
		FROM document_recipients WHERE document_id = $1 ORDER BY ord`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list recipients: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (RecipientState, error) {
		var r RecipientState
		err := row.Scan(&r.AgencyID, &r.OrganID, &r.Name, &r.Status, &r.At, &r.Note, &r.ReceiptID)
		return r, err
	})
}

// RecipientState is a recipient with where delivery stands.
type RecipientState struct {
	Recipient
	Status    RecipientStatus
	At        time.Time
	Note      string // the recipient's note, or why delivery failed
	ReceiptID string // the hub's receipt of the last package sent through the exchange
}

// recordTransition appends a row to the transition log.
func recordTransition(ctx context.Context, tx pgx.Tx, docID int64, from, to, action string, actorID int64, note string) error {
	var actor *int64
	if actorID != 0 {
		actor = &actorID
	}
	_, err := tx.Exec(ctx, `INSERT INTO document_transitions (document_id, from_state, to_state, action, actor_id, note)
		VALUES ($1, $2, $3, $4, $5, $6)`, docID, from, to, action, actor, note)
	if err != nil {
		return fmt.Errorf("docs: unable to log the transition: %w", err)
	}
	return nil
}

// Transition is one entry of a document's history.
type Transition struct {
	From, To, Action string
	ActorID          int64
	At               time.Time
	Note             string
}

// History returns the transitions of a document, oldest first.
func History(ctx context.Context, db store.DB, docID int64) ([]Transition, error) {
	rows, err := db.Query(ctx, `SELECT from_state, to_state, action, coalesce(actor_id, 0), at, note
		FROM document_transitions WHERE document_id = $1 ORDER BY id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the history: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Transition, error) {
		var t Transition
		err := row.Scan(&t.From, &t.To, &t.Action, &t.ActorID, &t.At, &t.Note)
		return t, err
	})
}
