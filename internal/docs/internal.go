package docs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/notify"
	"edms/internal/store"
)

// Internal documents (văn bản nội bộ) are documents of the agency sent to its own units
// and people. A tờ trình travels the outgoing lifecycle without external recipients
// (the specialist drafts and submits, the unit head approves and forwards it for
// signature, the agency leader approves by signing or returns it); once decided, it —
// or a registered incoming document — is distributed inside the agency, and the sender
// follows who received, read and handled it.

// internalReceived selects, for the visibility rule, the documents sent inside the
// agency to the viewer or to a unit they belong to.
const internalReceived = `SELECT x.document_id FROM internal_recipients x WHERE x.user_id = @v_user
	UNION ALL SELECT x.document_id FROM internal_recipients x
		JOIN memberships m ON m.unit_id = x.unit_id AND m.agency_id = @v_agency WHERE m.user_id = @v_user`

// InternalRecipient is a unit or a person an internal document was sent to, with
// what they did with it.
type InternalRecipient struct {
	ID          int64
	DocumentID  int64
	UnitID      int64 // 0 for a person
	UserID      int64 // 0 for a unit
	Note        string
	SentBy      int64
	SentAt      time.Time
	ReadBy      int64
	ReadAt      *time.Time
	HandledBy   int64
	HandledAt   *time.Time
	HandledNote string
}

// InternalInput names the recipients of an internal distribution.
type InternalInput struct {
	UnitIDs []int64
	UserIDs []int64
	Note    string
}

// Distributable reports whether a document is decided enough to be sent inside the
// agency: an outgoing one signed by the competent person, an incoming one registered.
func Distributable(d *Record) bool {
	if d.Direction == Outgoing {
		return slices.Contains([]OutgoingState{OutSigned, OutNumbered, OutSealed, OutSent}, d.OutgoingState)
	}
	return slices.Contains([]IncomingState{InRegistered, InSubmitted, InAssigned, InProgress, InCompleted, InFiled}, d.IncomingState)
}

// Distribute sends a document the actor may see to units and people of its agency;
// each person (and each member of a unit) is notified. A unit or person already sent
// the document is not sent it twice.
func (s *Service) Distribute(ctx context.Context, a Actor, docID int64, in InternalInput) error {
	note := strings.TrimSpace(in.Note)
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockDocument(ctx, tx, a, docID) // first: a hidden document is not found, whatever the input
		if err != nil {
			return err
		}
		if len(in.UnitIDs)+len(in.UserIDs) == 0 {
			return invalid("Chọn ít nhất một đơn vị hoặc một người nhận.", "internal distribution without recipients")
		}
		if d.Secrecy.Secret() {
			return invalid("Văn bản mật không gửi nội bộ được; hãy cấp quyền xem cho từng người.", "secret document %d", d.ID)
		}
		if !Distributable(d) {
			return invalid("Chỉ gửi nội bộ văn bản đã được người có thẩm quyền ký duyệt hoặc văn bản đến đã vào sổ.",
				"document %d is not decided yet", d.ID)
		}
		notified, err := s.insertRecipients(ctx, tx, a, d, in, note)
		if err != nil {
			return err
		}
		text := fmt.Sprintf("%s gửi bạn văn bản nội bộ: %s", s.userName(ctx, tx, a.UserID), shorten(d.Subject, 200))
		for _, u := range notified {
			if err := s.notifyUser(ctx, tx, u, d, notify.Internal, text); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, a, "internal.send", d.ID, map[string]any{"units": in.UnitIDs, "users": in.UserIDs})
	})
}

// insertRecipients records each recipient of the agency and returns the people to
// notify (the persons, and the members of the units newly sent it), without the sender.
func (s *Service) insertRecipients(ctx context.Context, tx pgx.Tx, a Actor, d *Record, in InternalInput, note string) ([]int64, error) {
	var notified []int64
	add := func(users ...int64) {
		for _, u := range users {
			if u != a.UserID && !slices.Contains(notified, u) {
				notified = append(notified, u)
			}
		}
	}
	for _, unit := range in.UnitIDs {
		var members []int64
		err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(m.user_id ORDER BY m.user_id) FILTER (WHERE m.user_id IS NOT NULL), '{}')
			FROM units u LEFT JOIN memberships m ON m.unit_id = u.id AND m.agency_id = u.agency_id
			WHERE u.id = $1 AND u.agency_id = $2 GROUP BY u.id`, unit, d.AgencyID).Scan(&members)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, invalid("Đơn vị nhận không thuộc cơ quan.", "unit %d not in agency %d", unit, d.AgencyID)
		}
		if err != nil {
			return nil, fmt.Errorf("docs: unable to read unit %d: %w", unit, err)
		}
		added, err := insertRecipient(ctx, tx, d.ID, "unit_id", unit, note, a.UserID, s.now())
		if err != nil {
			return nil, err
		}
		if added {
			add(members...)
		}
	}
	for _, user := range in.UserIDs {
		var member bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND agency_id = $2)`,
			user, d.AgencyID).Scan(&member); err != nil {
			return nil, fmt.Errorf("docs: unable to check user %d: %w", user, err)
		}
		if !member {
			return nil, invalid("Người nhận không thuộc cơ quan.", "user %d not in agency %d", user, d.AgencyID)
		}
		added, err := insertRecipient(ctx, tx, d.ID, "user_id", user, note, a.UserID, s.now())
		if err != nil {
			return nil, err
		}
		if added {
			add(user)
		}
	}
	return notified, nil
}

// insertRecipient adds one recipient (column is unit_id or user_id), once; added is
// false when it had been sent the document already.
func insertRecipient(ctx context.Context, tx pgx.Tx, docID int64, column string, id int64, note string, by int64, at time.Time) (added bool, err error) {
	tag, err := tx.Exec(ctx, `INSERT INTO internal_recipients (document_id, `+column+`, note, sent_by, sent_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, docID, id, note, by, at)
	if err != nil {
		return false, fmt.Errorf("docs: unable to send document %d inside the agency: %w", docID, err)
	}
	return tag.RowsAffected() == 1, nil
}

const internalColumns = `r.id, r.document_id, coalesce(r.unit_id, 0), coalesce(r.user_id, 0), r.note, r.sent_by, r.sent_at,
	coalesce(r.read_by, 0), r.read_at, coalesce(r.handled_by, 0), r.handled_at, r.handled_note`

func scanInternalRecipient(row pgx.CollectableRow) (InternalRecipient, error) {
	var r InternalRecipient
	err := row.Scan(&r.ID, &r.DocumentID, &r.UnitID, &r.UserID, &r.Note, &r.SentBy, &r.SentAt,
		&r.ReadBy, &r.ReadAt, &r.HandledBy, &r.HandledAt, &r.HandledNote)
	return r, err
}

// InternalRecipients lists the internal recipients of a document the actor may see.
func (s *Service) InternalRecipients(ctx context.Context, a Actor, docID int64) ([]InternalRecipient, error) {
	if _, err := s.Get(ctx, a, docID); err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+internalColumns+` FROM internal_recipients r WHERE r.document_id = $1 ORDER BY r.id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the internal recipients of document %d: %w", docID, err)
	}
	return pgx.CollectRows(rows, scanInternalRecipient)
}

// recipientOf matches the rows of a document addressed to the actor or their unit.
const recipientOf = `document_id = @doc AND (user_id = @user OR unit_id IN
	(SELECT m.unit_id FROM memberships m WHERE m.user_id = @user AND m.agency_id = @agency))`

// MarkInternalRead records that the actor opened a document sent to them or their unit
// (the first reader of a unit stands for it). It is a no-op for anyone else.
func (s *Service) MarkInternalRead(ctx context.Context, a Actor, docID int64) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		if _, err := s.get(ctx, tx, a, docID, " FOR SHARE OF d"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE internal_recipients SET read_by = @user, read_at = @at WHERE read_at IS NULL AND `+recipientOf,
			pgx.NamedArgs{"doc": docID, "user": a.UserID, "agency": a.AgencyID, "at": s.now()})
		if err != nil {
			return fmt.Errorf("docs: unable to mark document %d read: %w", docID, err)
		}
		return nil
	})
}

// MarkInternalHandled records that the actor (a recipient, or a member of a recipient
// unit) handled an internal document, with a note; it counts as read too.
func (s *Service) MarkInternalHandled(ctx context.Context, a Actor, docID int64, note string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.get(ctx, tx, a, docID, " FOR SHARE OF d")
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE internal_recipients SET handled_by = @user, handled_at = @at, handled_note = @note,
			read_by = coalesce(read_by, @user), read_at = coalesce(read_at, @at) WHERE handled_at IS NULL AND `+recipientOf,
			pgx.NamedArgs{"doc": docID, "user": a.UserID, "agency": a.AgencyID, "at": s.now(), "note": strings.TrimSpace(note)})
		if err != nil {
			return fmt.Errorf("docs: unable to mark document %d handled: %w", docID, err)
		}
		if tag.RowsAffected() == 0 {
			return invalid("Văn bản không gửi cho bạn hoặc đơn vị của bạn, hoặc đã được báo xử lý.", "user %d has nothing to handle on document %d", a.UserID, docID)
		}
		return s.audit(ctx, tx, a, "internal.handled", d.ID, nil)
	})
}

// InternalItem is a document in an internal list, with its recipients' progress.
type InternalItem struct {
	Document   *Record
	SentBy     int64
	SentAt     time.Time
	Recipients int // how many units and people it was sent to
	Read       int // of which have read it
	Handled    int // of which have handled it
}

// InternalReceived lists the internal documents sent to the actor or their unit that
// they may see, newest first; InternalSent those the actor sent.
func (s *Service) InternalReceived(ctx context.Context, a Actor) ([]InternalItem, error) {
	return s.internalList(ctx, a, `d.id IN (`+internalReceived+`)`)
}

// InternalSent lists the documents the actor sent inside the agency, newest first.
func (s *Service) InternalSent(ctx context.Context, a Actor) ([]InternalItem, error) {
	return s.internalList(ctx, a, `d.id IN (SELECT x.document_id FROM internal_recipients x WHERE x.sent_by = @v_user)`)
}

func (s *Service) internalList(ctx context.Context, a Actor, which string) ([]InternalItem, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT `+ListColumns+`, t.sent_by, t.sent_at, t.n, t.n_read, t.n_handled
		FROM documents d CROSS JOIN LATERAL (SELECT (array_agg(r.sent_by ORDER BY r.sent_at DESC))[1] AS sent_by,
			max(r.sent_at) AS sent_at, count(*) AS n, count(r.read_at) AS n_read, count(r.handled_at) AS n_handled
			FROM internal_recipients r WHERE r.document_id = d.id) t
		WHERE `+which+` AND `+v.sql()+` ORDER BY t.sent_at DESC LIMIT 200`, v.args(pgx.NamedArgs{}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list internal documents: %w", err)
	}
	defer rows.Close()
	var items []InternalItem
	for rows.Next() {
		var it InternalItem
		d, err := scanDocument(internalRow{rows, &it})
		if err != nil {
			return nil, fmt.Errorf("docs: unable to read an internal document: %w", err)
		}
		it.Document = d
		items = append(items, it)
	}
	return items, rows.Err()
}

// internalRow scans a document row followed by the columns of an internal item.
type internalRow struct {
	pgx.Rows
	it *InternalItem
}

func (r internalRow) Scan(dest ...any) error {
	return r.Rows.Scan(append(dest, &r.it.SentBy, &r.it.SentAt, &r.it.Recipients, &r.it.Read, &r.it.Handled)...)
}
