package docs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// HandoverKind says how an incoming document changed hands.
type HandoverKind string

// The hand-overs of an incoming document.
const (
	HandoverAssign   HandoverKind = "assign"    // a line of the leader's assignment
	HandoverHandler  HandoverKind = "handler"   // a unit head names the handler
	HandoverForward  HandoverKind = "forward"   // a holder forwards it (chuyển xử lý)
	HandoverReassign HandoverKind = "reassign"  // a leader gives a line to someone else
	HandoverTakeBack HandoverKind = "take_back" // a leader takes the assignment back
)

// Label is the Vietnamese name of a hand-over.
func (k HandoverKind) Label() string {
	return map[HandoverKind]string{HandoverAssign: "Phân công", HandoverHandler: "Giao người xử lý",
		HandoverForward: "Chuyển xử lý", HandoverReassign: "Phân công lại", HandoverTakeBack: "Thu hồi phân công"}[k]
}

// Handover is one entry of a document's hand-over history: who gave it, to whom (a
// person or a unit), when, in which role, with which deadline and note.
type Handover struct {
	ID           int64
	DocumentID   int64
	AssignmentID int64
	Kind         HandoverKind
	Role         AssignmentRole
	FromUserID   int64
	ToUserID     int64
	ToUnitID     int64
	Deadline     *time.Time
	Note         string
	At           time.Time
}

// recordHandover records one hand-over of a document and notifies the person it names.
func (s *Service) recordHandover(ctx context.Context, tx pgx.Tx, d *Record, h Handover) error {
	var role *AssignmentRole
	if h.Role != "" {
		role = &h.Role
	}
	if _, err := tx.Exec(ctx, `INSERT INTO document_handovers (document_id, assignment_id, kind, role, from_user_id, to_user_id,
			to_unit_id, deadline, note, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		h.DocumentID, nullID(h.AssignmentID), h.Kind, role, nullID(h.FromUserID), nullID(h.ToUserID), nullID(h.ToUnitID),
		h.Deadline, strings.TrimSpace(h.Note), s.now()); err != nil {
		return fmt.Errorf("docs: unable to record the hand-over: %w", err)
	}
	return s.notifyAssigned(ctx, tx, h.ToUserID, d)
}

// Handovers lists the hand-overs of a document the actor may see, oldest first.
func (s *Service) Handovers(ctx context.Context, a Actor, docID int64) ([]Handover, error) {
	if _, err := s.Get(ctx, a, docID); err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, document_id, coalesce(assignment_id, 0), kind, coalesce(role, ''),
			coalesce(from_user_id, 0), coalesce(to_user_id, 0), coalesce(to_unit_id, 0), deadline, note, at
		FROM document_handovers WHERE document_id = $1 ORDER BY id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the hand-overs: %w", err)
	}
	handovers, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Handover])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the hand-overs: %w", err)
	}
	return handovers, nil
}

// openIncoming refuses a hand-over of a document that is not being handled.
func openIncoming(d *Record) error {
	if d.Direction != Incoming || (d.IncomingState != InAssigned && d.IncomingState != InProgress) {
		return invalid("Văn bản không ở bước xử lý; không chuyển hoặc phân công lại được.", "document %d is %s %s", d.ID, d.Direction, d.IncomingState)
	}
	return nil
}

// Forward hands a document the actor holds (named in an open chủ trì or phối hợp line,
// its handler, or the head of its unit) to another person of the agency, who becomes the line's handler and
// can open and handle it (chuyển xử lý). Someone who merely sees the document cannot.
func (s *Service) Forward(ctx context.Context, a Actor, docID, toUserID int64, note string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockDocument(ctx, tx, a, docID)
		if err != nil {
			return err
		}
		if err := openIncoming(d); err != nil {
			return err
		}
		as, err := s.heldAssignment(ctx, tx, a, d.ID)
		if err != nil {
			return err
		}
		if strings.TrimSpace(note) == "" {
			return invalid("Nhập ý kiến khi chuyển xử lý.", "forward of document %d without a note", d.ID)
		}
		if toUserID == a.UserID {
			return invalid("Chọn một người khác để chuyển xử lý.", "user %d forwards document %d to themselves", a.UserID, d.ID)
		}
		target := AssignmentInput{UserID: toUserID}
		if err := s.checkAssignee(ctx, tx, d, &target); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET handler_id = $1, handler_assigned_by = $2 WHERE id = $3`,
			toUserID, a.UserID, as.ID); err != nil {
			return fmt.Errorf("docs: unable to forward assignment %d: %w", as.ID, err)
		}
		if err := s.grantIfSecret(ctx, tx, d, toUserID, a.UserID); err != nil {
			return err
		}
		if err := s.recordHandover(ctx, tx, d, Handover{DocumentID: d.ID, AssignmentID: as.ID, Kind: HandoverForward, Role: as.Role,
			FromUserID: a.UserID, ToUserID: toUserID, Deadline: as.Deadline, Note: note}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "forward", d.ID, map[string]any{"assignment": as.ID, "to": toUserID, "note": note})
	})
}

// heldAssignment is the open line (chủ trì first, then phối hợp) that names the actor,
// has them as its handler, or is given to the unit they head.
func (s *Service) heldAssignment(ctx context.Context, tx pgx.Tx, a Actor, docID int64) (*Assignment, error) {
	var ledUnit int64
	if s.Access.Can(a.UserID, a.AgencyID, access.IncomingAssignUnit) {
		unit, err := membershipUnit(ctx, tx, a)
		if err != nil {
			return nil, err
		}
		ledUnit = unit
	}
	var as Assignment
	err := tx.QueryRow(ctx, `SELECT id, role, deadline FROM assignments
		WHERE document_id = $1 AND role <> 'de_biet' AND completed_at IS NULL
		  AND (user_id = $2 OR handler_id = $2 OR unit_id = $3)
		ORDER BY array_position(ARRAY['chu_tri', 'phoi_hop'], role), id LIMIT 1`, docID, a.UserID, nullID(ledUnit)).Scan(&as.ID, &as.Role, &as.Deadline)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, forbidden("Chỉ người đang giữ văn bản (được giao chủ trì hoặc phối hợp, hoặc lãnh đạo đơn vị được giao) mới chuyển xử lý được.",
			"user %d holds no open assignment of document %d", a.UserID, docID)
	}
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the held assignment: %w", err)
	}
	return &as, nil
}

func (s *Service) grantIfSecret(ctx context.Context, tx pgx.Tx, d *Record, userID, by int64) error {
	if !d.Secrecy.Secret() || userID == 0 {
		return nil
	}
	return grant(ctx, tx, d.ID, userID, by)
}

// Reassign lets the leader give an open line of the assignment to another unit or
// person (its handler is cleared), optionally with a new deadline (nil keeps it); the
// chủ trì's deadline stays the document's.
func (s *Service) Reassign(ctx context.Context, a Actor, assignmentID int64, to AssignmentInput, note string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		as, d, err := s.lockAssignment(ctx, tx, a, assignmentID)
		if err != nil {
			return err
		}
		if err := s.require(a, access.IncomingAssign, "lãnh đạo cơ quan"); err != nil {
			return err
		}
		if err := openIncoming(d); err != nil {
			return err
		}
		if as.CompletedAt != nil {
			return invalid("Phần việc này đã hoàn thành; không phân công lại được.", "assignment %d is completed", as.ID)
		}
		if (to.UnitID == 0 && to.Unit == "") == (to.UserID == 0) {
			return invalid("Chọn một đơn vị hoặc một người để phân công lại.", "reassignment needs exactly one of unit and user")
		}
		if to.Deadline != nil && to.Deadline.Before(s.today()) {
			return invalid("Hạn xử lý đã qua; chọn một ngày từ hôm nay trở đi.", "deadline %s is in the past", to.Deadline.Format(time.DateOnly))
		}
		if err := s.checkAssignee(ctx, tx, d, &to); err != nil {
			return err
		}
		deadline := as.Deadline
		if to.Deadline != nil {
			deadline = to.Deadline
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET unit_id = $1, user_id = $2, deadline = $3, handler_id = NULL,
			handler_assigned_by = NULL WHERE id = $4`, nullID(to.UnitID), nullID(to.UserID), deadline, as.ID); err != nil {
			return fmt.Errorf("docs: unable to reassign assignment %d: %w", as.ID, err)
		}
		if as.Role == RoleLead {
			if _, err := tx.Exec(ctx, `UPDATE documents SET due_date = $1 WHERE id = $2`, deadline, d.ID); err != nil {
				return fmt.Errorf("docs: unable to set the deadline: %w", err)
			}
		}
		if err := s.grantIfSecret(ctx, tx, d, to.UserID, a.UserID); err != nil {
			return err
		}
		if err := s.recordHandover(ctx, tx, d, Handover{DocumentID: d.ID, AssignmentID: as.ID, Kind: HandoverReassign, Role: as.Role,
			FromUserID: a.UserID, ToUserID: to.UserID, ToUnitID: to.UnitID, Deadline: deadline, Note: note}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "reassign", d.ID, map[string]any{"assignment": as.ID, "unit": to.UnitID, "user": to.UserID, "note": note})
	})
}

// TakeBack lets the leader take the whole assignment back (thu hồi phân công): its
// lines and their reminders are removed and the document waits for a new assignment.
// The people it was handed to keep seeing it; the hand-over history keeps every line.
func (s *Service) TakeBack(ctx context.Context, a Actor, docID int64, note string) error {
	return s.transition(ctx, a, incoming, docID, "take_back", note, needsText(note, "Nhập lý do thu hồi phân công.",
		func(ctx context.Context, tx pgx.Tx, d *Record) error {
			if _, err := tx.Exec(ctx, `DELETE FROM document_reminders WHERE assignment_id IN
				(SELECT id FROM assignments WHERE document_id = $1)`, d.ID); err != nil {
				return fmt.Errorf("docs: unable to drop the reminders: %w", err)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM assignments WHERE document_id = $1`, d.ID); err != nil {
				return fmt.Errorf("docs: unable to take the assignment back: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE documents SET due_date = NULL WHERE id = $1`, d.ID); err != nil {
				return fmt.Errorf("docs: unable to clear the deadline: %w", err)
			}
			return s.recordHandover(ctx, tx, d, Handover{DocumentID: d.ID, Kind: HandoverTakeBack, FromUserID: a.UserID, Note: note})
		}))
}

// keepRequestedDeadline stores the deadline the sender asked for on an arriving
// document; it is proposed to the leader who assigns it.
func keepRequestedDeadline(ctx context.Context, tx pgx.Tx, docID int64, requested *time.Time) error {
	if requested == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE documents SET requested_deadline = $1 WHERE id = $2`, requested, docID); err != nil {
		return fmt.Errorf("docs: unable to keep the requested deadline: %w", err)
	}
	return nil
}

// Assignee is a unit or a person a document can be assigned or forwarded to.
type Assignee struct {
	UnitID   int64  `json:"unit_id,omitempty"`
	Unit     string `json:"unit,omitempty"` // the unit's abbreviation
	UserID   int64  `json:"user_id,omitempty"`
	Name     string `json:"name"`
	Position string `json:"position,omitempty"`
}

// AssignChoices is what the assignment and forward forms of a document offer.
type AssignChoices struct {
	Units  []Assignee `json:"units"`  // units with a head who can name their handler
	People []Assignee `json:"people"` // members who may handle documents, the actor excepted
	// RequestedDeadline is the sender's requested deadline; ProposedDeadline is it when
	// it has not passed, the default deadline of the chủ trì.
	RequestedDeadline *time.Time `json:"requested_deadline,omitempty"`
	ProposedDeadline  *time.Time `json:"proposed_deadline,omitempty"`
}

// Choices lists the units and people a document the actor may see can go to, and the
// deadline to propose.
func (s *Service) Choices(ctx context.Context, a Actor, docID int64) (*AssignChoices, error) {
	d, err := s.Get(ctx, a, docID)
	if err != nil {
		return nil, err
	}
	c := &AssignChoices{}
	if err := s.Pool.QueryRow(ctx, `SELECT requested_deadline FROM documents WHERE id = $1`, d.ID).Scan(&c.RequestedDeadline); err != nil {
		return nil, fmt.Errorf("docs: unable to read the requested deadline: %w", err)
	}
	if c.RequestedDeadline != nil && !c.RequestedDeadline.Before(s.today()) {
		c.ProposedDeadline = c.RequestedDeadline
	}
	rows, err := s.Pool.Query(ctx, `SELECT coalesce(m.unit_id, 0), coalesce(n.abbreviation, ''), u.id, u.full_name, m.position
		FROM memberships m JOIN users u ON u.id = m.user_id LEFT JOIN units n ON n.id = m.unit_id
		WHERE m.agency_id = $1 AND u.disabled_at IS NULL ORDER BY u.full_name, u.id`, d.AgencyID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the members: %w", err)
	}
	members, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Assignee])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the members: %w", err)
	}
	for _, m := range members {
		if m.UserID != a.UserID && s.Access.Can(m.UserID, d.AgencyID, access.IncomingHandle) {
			c.People = append(c.People, Assignee{UserID: m.UserID, Name: m.Name, Position: m.Position})
		}
	}
	c.Units, err = s.headedUnits(ctx, d.AgencyID, members)
	return c, err
}

// headedUnits lists the units of the agency that have a head among the members.
func (s *Service) headedUnits(ctx context.Context, agencyID int64, members []Assignee) ([]Assignee, error) {
	var headed []int64
	for _, m := range members {
		if m.UnitID != 0 && s.Access.Can(m.UserID, agencyID, access.IncomingAssignUnit) {
			headed = append(headed, m.UnitID)
		}
	}
	rows, err := s.Pool.Query(ctx, `SELECT id, abbreviation, name FROM units WHERE agency_id = $1 ORDER BY name`, agencyID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the units: %w", err)
	}
	var units []Assignee
	var u Assignee
	_, err = pgx.ForEachRow(rows, []any{&u.UnitID, &u.Unit, &u.Name}, func() error {
		if slices.Contains(headed, u.UnitID) {
			units = append(units, u)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the units: %w", err)
	}
	return units, nil
}
