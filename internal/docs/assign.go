package docs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// AssignmentInput is one line of the leader's distribution: a unit (by id, or by its
// abbreviation in the document's agency) or a person, its role, deadline and
// direction note (bút phê).
type AssignmentInput struct {
	Role     AssignmentRole
	UnitID   int64
	Unit     string // the unit's abbreviation, when UnitID is not given
	UserID   int64
	Deadline *time.Time // required for chủ trì and phối hợp
	Note     string
}

// Assignment is a stored assignment.
type Assignment struct {
	ID         int64
	DocumentID int64
	AssignmentInput
	AssignedBy   int64
	AssignedAt   time.Time
	HandlerID    int64
	Progress     int
	ProgressNote string
	CompletedAt  *time.Time
}

// Assign records the leader's distribution of a submitted document: exactly one chủ
// trì, any number of phối hợp and để biết (event 04). The document's deadline becomes
// the chủ trì's. A secret document must be assigned to named people, who receive an
// explicit grant to see it. The lines are checked once the document is known to be
// visible, so that a hidden document is not found whatever they say.
func (s *Service) Assign(ctx context.Context, a Actor, docID int64, lines []AssignmentInput, note string) error {
	return s.transition(ctx, a, incoming, docID, "assign", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if err := s.checkAssignments(lines); err != nil {
			return err
		}
		for _, l := range lines {
			if err := s.insertAssignment(ctx, tx, a, d, l); err != nil {
				return err
			}
			if l.Role == RoleLead {
				if _, err := tx.Exec(ctx, `UPDATE documents SET due_date = $1 WHERE id = $2`, l.Deadline, d.ID); err != nil {
					return fmt.Errorf("docs: unable to set the deadline: %w", err)
				}
			}
		}
		return s.event(ctx, tx, d, EventAssigned, note)
	})
}

func (s *Service) checkAssignments(lines []AssignmentInput) error {
	leads := 0
	today := s.today()
	for _, l := range lines {
		switch l.Role {
		case RoleLead:
			leads++
		case RoleCoordinate, RoleInformation:
		default:
			return invalid("Vai trò phân công không hợp lệ.", "unknown assignment role %q", l.Role)
		}
		if (l.UnitID == 0 && l.Unit == "") == (l.UserID == 0) {
			return invalid("Mỗi dòng phân công phải chọn một đơn vị hoặc một người.", "assignment needs exactly one of unit and user")
		}
		if l.Deadline == nil && l.Role != RoleInformation {
			return invalid("Chưa nhập hạn xử lý cho đơn vị, người chủ trì hoặc phối hợp.", "assignment %s without a deadline", l.Role)
		}
		if l.Deadline != nil && l.Deadline.Before(today) {
			return invalid("Hạn xử lý đã qua; chọn một ngày từ hôm nay trở đi.", "deadline %s is in the past", l.Deadline.Format(time.DateOnly))
		}
	}
	if leads != 1 {
		return invalid("Phải giao đúng một đơn vị hoặc một người chủ trì.", "%d lead assignments, need exactly one", leads)
	}
	return nil
}

func (s *Service) insertAssignment(ctx context.Context, tx pgx.Tx, a Actor, d *Record, l AssignmentInput) error {
	if err := s.checkAssignee(ctx, tx, d, &l); err != nil {
		return err
	}
	var id int64
	if err := tx.QueryRow(ctx, `INSERT INTO assignments (document_id, role, unit_id, user_id, deadline, direction_note, assigned_by, assigned_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, d.ID, l.Role, nullID(l.UnitID), nullID(l.UserID), l.Deadline, l.Note,
		a.UserID, s.now()).Scan(&id); err != nil {
		return fmt.Errorf("docs: unable to save the assignment: %w", err)
	}
	if d.Secrecy.Secret() {
		if err := grant(ctx, tx, d.ID, l.UserID, a.UserID); err != nil {
			return err
		}
	}
	return s.recordHandover(ctx, tx, d, Handover{DocumentID: d.ID, AssignmentID: id, Kind: HandoverAssign, Role: l.Role,
		FromUserID: a.UserID, ToUserID: l.UserID, ToUnitID: l.UnitID, Deadline: l.Deadline, Note: l.Note})
}

// checkAssignee resolves a line's unit abbreviation and checks that its unit or person
// belongs to the document's agency, that a unit has a head who can name its handler
// (otherwise nobody could: the document would be stuck), and that a secret document
// goes to a named person.
func (s *Service) checkAssignee(ctx context.Context, tx pgx.Tx, d *Record, l *AssignmentInput) error {
	if l.UnitID == 0 && l.Unit != "" {
		err := tx.QueryRow(ctx, `SELECT id FROM units WHERE agency_id = $1 AND abbreviation = $2`, d.AgencyID, l.Unit).Scan(&l.UnitID)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("Không có đơn vị viết tắt \""+l.Unit+"\" trong cơ quan.", "no unit %q in agency %d", l.Unit, d.AgencyID)
		}
		if err != nil {
			return fmt.Errorf("docs: unable to find unit %q: %w", l.Unit, err)
		}
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT CASE WHEN $1::bigint IS NOT NULL
			THEN EXISTS (SELECT 1 FROM units WHERE id = $1 AND agency_id = $3)
			ELSE EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.user_id = $2 AND m.agency_id = $3 AND u.disabled_at IS NULL) END`,
		nullID(l.UnitID), nullID(l.UserID), d.AgencyID).Scan(&ok); err != nil {
		return fmt.Errorf("docs: unable to check the assignee: %w", err)
	}
	if !ok {
		return invalid("Đơn vị hoặc người được giao không thuộc cơ quan.", "assignee unit %d / user %d not in agency %d", l.UnitID, l.UserID, d.AgencyID)
	}
	if d.Secrecy.Secret() && l.UserID == 0 {
		return invalid("Văn bản mật phải giao cho cá nhân cụ thể.", "secret document %d assigned to a unit", d.ID)
	}
	if l.UnitID == 0 {
		return nil
	}
	heads, err := s.unitHeads(ctx, tx, d.AgencyID, l.UnitID)
	if err != nil {
		return err
	}
	if len(heads) == 0 {
		return invalid("Đơn vị được giao chưa có lãnh đạo đơn vị để giao người xử lý; hãy giao trực tiếp cho cá nhân.",
			"unit %d has no head who can name a handler", l.UnitID)
	}
	return nil
}

// unitHeads lists the active members of a unit who may name its handlers.
func (s *Service) unitHeads(ctx context.Context, db store.DB, agencyID, unitID int64) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.agency_id = $1 AND m.unit_id = $2 AND u.disabled_at IS NULL ORDER BY m.user_id`, agencyID, unitID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the members of unit %d: %w", unitID, err)
	}
	members, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the members of unit %d: %w", unitID, err)
	}
	var heads []int64
	for _, m := range members {
		if s.Access.Can(m, agencyID, access.IncomingAssignUnit) {
			heads = append(heads, m)
		}
	}
	return heads, nil
}

func grant(ctx context.Context, tx pgx.Tx, docID, userID, by int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO document_grants (document_id, user_id, granted_by) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING`, docID, userID, by)
	if err != nil {
		return fmt.Errorf("docs: unable to grant access: %w", err)
	}
	return nil
}

// Grant gives a member of the document's agency explicit access to a document. The
// granter must see the document and either keep it (its drafter, or the clerk who
// received it: so that the drafter of a secret draft can hand it to its reviewer,
// signer and clerk) or hold the secret-reading permission.
func (s *Service) Grant(ctx context.Context, a Actor, docID, userID int64) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		d, err := s.lockDocument(ctx, tx, a, docID)
		if err != nil {
			return err
		}
		if d.CreatedBy != a.UserID {
			if err := s.require(a, access.SecretRead, "người giữ văn bản hoặc người được phép quản lý văn bản mật"); err != nil {
				return err
			}
		}
		var member bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND agency_id = $2)`,
			userID, d.AgencyID).Scan(&member); err != nil {
			return fmt.Errorf("docs: unable to check the grantee: %w", err)
		}
		if !member {
			return invalid("Chỉ cấp quyền xem cho người thuộc cơ quan.", "user %d is not a member of agency %d", userID, d.AgencyID)
		}
		if err := grant(ctx, tx, docID, userID, a.UserID); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "grant", docID, map[string]any{"user_id": userID})
	})
}

// lockAssignment reads an assignment and locks its document, if the actor may see it:
// an assignment of a document one cannot see is not found, like the document.
func (s *Service) lockAssignment(ctx context.Context, tx pgx.Tx, a Actor, id int64) (*Assignment, *Record, error) {
	var as Assignment
	var unitID, userID, handlerID *int64
	err := tx.QueryRow(ctx, `SELECT id, document_id, role, unit_id, user_id, deadline, direction_note, assigned_by, assigned_at,
			handler_id, progress, progress_note, completed_at
		FROM assignments WHERE id = $1`, id).Scan(&as.ID, &as.DocumentID, &as.Role, &unitID, &userID, &as.Deadline, &as.Note,
		&as.AssignedBy, &as.AssignedAt, &handlerID, &as.Progress, &as.ProgressNote, &as.CompletedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, &Error{Kind: ErrNotFound, Message: "Không tìm thấy phân công hoặc bạn không có quyền xem văn bản của phân công này.",
			Detail: fmt.Sprintf("assignment %d does not exist", id)}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("docs: unable to read assignment %d: %w", id, err)
	}
	as.UnitID, as.UserID, as.HandlerID = deref(unitID), deref(userID), deref(handlerID)
	d, err := s.lockDocument(ctx, tx, a, as.DocumentID)
	if err != nil {
		return nil, nil, err
	}
	return &as, d, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// AssignHandler lets the head of an assigned unit name the person who handles it.
func (s *Service) AssignHandler(ctx context.Context, a Actor, assignmentID, handlerID int64) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		as, d, err := s.lockAssignment(ctx, tx, a, assignmentID)
		if err != nil {
			return err
		}
		if err := s.require(a, access.IncomingAssignUnit, "lãnh đạo đơn vị được giao"); err != nil {
			return err
		}
		if d.IncomingState != InAssigned && d.IncomingState != InProgress {
			return invalid("Văn bản không ở bước xử lý; không giao người xử lý được.", "document %d is %s", d.ID, d.IncomingState)
		}
		unit, err := membershipUnit(ctx, tx, a)
		if err != nil {
			return err
		}
		if as.UnitID == 0 || unit != as.UnitID {
			return forbidden("Chỉ lãnh đạo đơn vị được giao mới giao người xử lý.", "user %d does not lead unit %d", a.UserID, as.UnitID)
		}
		var member bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND agency_id = $2 AND unit_id = $3)`,
			handlerID, d.AgencyID, as.UnitID).Scan(&member); err != nil {
			return fmt.Errorf("docs: unable to check the handler: %w", err)
		}
		if !member {
			return invalid("Người xử lý phải thuộc đơn vị được giao.", "user %d is not in unit %d", handlerID, as.UnitID)
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET handler_id = $1, handler_assigned_by = $2 WHERE id = $3`,
			handlerID, a.UserID, as.ID); err != nil {
			return fmt.Errorf("docs: unable to save the handler: %w", err)
		}
		if err := s.recordHandover(ctx, tx, d, Handover{DocumentID: d.ID, AssignmentID: as.ID, Kind: HandoverHandler, Role: as.Role,
			FromUserID: a.UserID, ToUserID: handlerID, Deadline: as.Deadline}); err != nil {
			return err
		}
		return s.audit(ctx, tx, a, "assign_handler", d.ID, map[string]any{"assignment": as.ID, "handler": handlerID})
	})
}

// isHandler reports whether the actor handles the assignment: named in it, or named
// by the unit head as its handler.
func (as *Assignment) isHandler(userID int64) bool {
	return as.UserID == userID || as.HandlerID == userID
}

// ReportProgress records the progress of an assignment (percent and note). The first
// report on a document moves it to in progress (event 05).
func (s *Service) ReportProgress(ctx context.Context, a Actor, assignmentID int64, percent int, note string) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		as, d, err := s.lockAssignment(ctx, tx, a, assignmentID)
		if err != nil {
			return err
		}
		if err := s.require(a, access.IncomingHandle, "người được giao xử lý"); err != nil {
			return err
		}
		if percent < 0 || percent > 100 {
			return invalid("Tiến độ phải từ 0 đến 100%.", "progress %d out of range", percent)
		}
		if !as.isHandler(a.UserID) {
			return forbidden("Chỉ người được giao xử lý cập nhật tiến độ.", "user %d does not handle assignment %d", a.UserID, as.ID)
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET progress = $1, progress_note = $2,
			completed_at = CASE WHEN $1 = 100 THEN coalesce(completed_at, $4) ELSE NULL END WHERE id = $3`,
			percent, strings.TrimSpace(note), as.ID, s.now()); err != nil {
			return fmt.Errorf("docs: unable to save progress: %w", err)
		}
		if d.IncomingState == InProgress {
			return s.audit(ctx, tx, a, "progress", d.ID, map[string]any{"assignment": as.ID, "progress": percent})
		}
		if err := s.moveState(ctx, tx, a, incoming, d, "start", note); err != nil {
			return err
		}
		return s.event(ctx, tx, d, EventInProgress, note)
	})
}

// Complete records that the lead handler finished the document (event 06), optionally
// with the outgoing reply.
func (s *Service) Complete(ctx context.Context, a Actor, docID int64, note string, replyID int64) error {
	return s.transition(ctx, a, incoming, docID, "complete", note, func(ctx context.Context, tx pgx.Tx, d *Record) error {
		var leadID int64
		err := tx.QueryRow(ctx, `SELECT id FROM assignments WHERE document_id = $1 AND role = 'chu_tri'
			AND (user_id = $2 OR handler_id = $2)`, d.ID, a.UserID).Scan(&leadID)
		if errors.Is(err, pgx.ErrNoRows) {
			return forbidden("Chỉ người chủ trì xử lý được báo hoàn thành.", "user %d does not lead document %d", a.UserID, d.ID)
		}
		if err != nil {
			return fmt.Errorf("docs: unable to read the lead assignment: %w", err)
		}
		if replyID != 0 {
			reply, err := s.get(ctx, tx, a, replyID, "")
			if err != nil {
				return err
			}
			if reply.Direction != Outgoing {
				return invalid("Văn bản trả lời phải là văn bản đi của cơ quan.", "reply %d is not an outgoing document", replyID)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE assignments SET progress = 100, completed_at = $3, reply_document_id = $1 WHERE id = $2`,
			nullID(replyID), leadID, s.now()); err != nil {
			return fmt.Errorf("docs: unable to complete the assignment: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE documents SET completed_at = $2 WHERE id = $1`, d.ID, s.now()); err != nil {
			return fmt.Errorf("docs: unable to complete the document: %w", err)
		}
		return s.event(ctx, tx, d, EventCompleted, note)
	})
}

// Assignments lists the assignments of a document.
func Assignments(ctx context.Context, db store.DB, docID int64) ([]Assignment, error) {
	rows, err := db.Query(ctx, `SELECT id, document_id, role, coalesce(unit_id, 0), coalesce(user_id, 0), deadline, direction_note,
			assigned_by, assigned_at, coalesce(handler_id, 0), progress, progress_note, completed_at
		FROM assignments WHERE document_id = $1 ORDER BY array_position(ARRAY['chu_tri', 'phoi_hop', 'de_biet'], role), id`, docID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list assignments: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (Assignment, error) {
		var as Assignment
		err := row.Scan(&as.ID, &as.DocumentID, &as.Role, &as.UnitID, &as.UserID, &as.Deadline, &as.Note,
			&as.AssignedBy, &as.AssignedAt, &as.HandlerID, &as.Progress, &as.ProgressNote, &as.CompletedAt)
		return as, err
	})
}
