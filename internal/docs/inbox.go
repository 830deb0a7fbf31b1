package docs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
)

// WorkGroup is a kind of step that waits for a person, the heading of a group of their
// work list.
type WorkGroup string

// The groups of a work list, in the order a day's work follows them.
const (
	WorkRegister WorkGroup = "register" // đăng ký: register and submit arrivals (văn thư)
	WorkAssign   WorkGroup = "assign"   // phân công: assign, or name a unit's handler
	WorkHandle   WorkGroup = "handle"   // xử lý: lines one handles
	WorkFile     WorkGroup = "file"     // lập hồ sơ: completed documents one led
	WorkInform   WorkGroup = "inform"   // để biết: open documents sent to one (or one's unit) for information
	WorkRedraft  WorkGroup = "redraft"  // one's own drafts, new or returned
	WorkReview   WorkGroup = "review"   // xem xét, duyệt: drafts of the unit one heads
	WorkSign     WorkGroup = "sign"     // ký: drafts waiting for a signature
	WorkIssue    WorkGroup = "issue"    // phát hành: number and seal signed documents
	WorkSend     WorkGroup = "send"     // gửi: send sealed documents
)

// workGroups are the groups in order, with their Vietnamese headings.
var workGroups = []struct {
	group WorkGroup
	label string
}{
	{WorkRegister, "Đăng ký, trình văn bản đến"},
	{WorkAssign, "Phân công xử lý"},
	{WorkHandle, "Xử lý văn bản đến"},
	{WorkFile, "Lập hồ sơ"},
	{WorkInform, "Văn bản để biết"},
	{WorkRedraft, "Hoàn thiện dự thảo của bạn"},
	{WorkReview, "Xem xét, duyệt dự thảo"},
	{WorkSign, "Ký ban hành"},
	{WorkIssue, "Cấp số, ký số cơ quan"},
	{WorkSend, "Phát hành, gửi văn bản"},
}

// workShown is how many documents a group lists (its count says how many wait).
const workShown = 30

// WorkItem is a document waiting for the person.
type WorkItem struct {
	DocumentID    int64      `json:"document_id"`
	Direction     Direction  `json:"direction"`
	Type          TypeCode   `json:"type"`
	Subject       string     `json:"subject"`
	Urgency       Urgency    `json:"urgency"`
	State         string     `json:"state"`
	StateLabel    string     `json:"state_label"`
	ArrivalNumber int        `json:"arrival_number,omitempty"`
	Deadline      *time.Time `json:"deadline,omitempty"`
}

// WorkList is one group of a person's work list with its count.
type WorkList struct {
	Group WorkGroup  `json:"group"`
	Label string     `json:"label"`
	Count int        `json:"count"`
	Items []WorkItem `json:"items"`
}

// DueItem is a document with the nearest open deadline that concerns the person.
type DueItem struct {
	DocumentID    int64     `json:"document_id"`
	Subject       string    `json:"subject"`
	ArrivalNumber int       `json:"arrival_number,omitempty"`
	Deadline      time.Time `json:"deadline"`
	DaysLeft      int       `json:"days_left"` // negative when overdue
}

// Inbox is what waits for a person: the groups that are not empty, their total, and
// one deadline list (a document once, overdue first).
type Inbox struct {
	Groups    []WorkList `json:"groups"`
	Total     int        `json:"total"`
	Deadlines []DueItem  `json:"deadlines"`
}

// workPart is one group's query part: the documents d (and assignment x, when the part
// joins one) waiting in it, and the permission it needs, if any.
type workPart struct {
	group    WorkGroup
	perm     *access.Permission
	unitHead bool // only for the head of a unit
	from     string
	where    string
	deadline string
}

func perm(p access.Permission) *access.Permission { return &p }

var workParts = []workPart{
	{group: WorkRegister, perm: perm(access.IncomingRegister), from: `documents d`,
		where: `d.direction = 'incoming' AND d.incoming_state IN ('received', 'registered')`, deadline: `NULL::date`},
	{group: WorkAssign, perm: perm(access.IncomingAssign), from: `documents d`,
		where: `d.direction = 'incoming' AND d.incoming_state = 'submitted'`, deadline: `d.requested_deadline`},
	{group: WorkAssign, perm: perm(access.IncomingAssignUnit), unitHead: true, from: `assignments x JOIN documents d ON d.id = x.document_id`,
		where: `x.unit_id = @v_unit AND x.handler_id IS NULL AND x.role <> 'de_biet' AND x.completed_at IS NULL
			AND d.incoming_state IN ('assigned', 'in_progress')`, deadline: `x.deadline`},
	{group: WorkHandle, from: `assignments x JOIN documents d ON d.id = x.document_id`,
		where: `(x.handler_id = @v_user OR (x.user_id = @v_user AND x.handler_id IS NULL)) AND x.role <> 'de_biet'
			AND x.completed_at IS NULL AND d.incoming_state IN ('assigned', 'in_progress')`, deadline: `x.deadline`},
	{group: WorkFile, from: `assignments x JOIN documents d ON d.id = x.document_id`,
		where: `x.role = 'chu_tri' AND (x.handler_id = @v_user OR (x.user_id = @v_user AND x.handler_id IS NULL))
			AND d.incoming_state = 'completed'`, deadline: `NULL::date`},
	{group: WorkInform, from: `assignments x JOIN documents d ON d.id = x.document_id`,
		where: `x.role = 'de_biet' AND (x.user_id = @v_user OR x.handler_id = @v_user OR x.unit_id = @v_unit)
			AND x.completed_at IS NULL AND d.incoming_state IN ('assigned', 'in_progress')`, deadline: `NULL::date`},
	{group: WorkRedraft, perm: perm(access.OutgoingDraft), from: `documents d`,
		where: `d.direction = 'outgoing' AND d.created_by = @v_user AND d.outgoing_state IN ('draft', 'returned')`, deadline: `NULL::date`},
	{group: WorkReview, perm: perm(access.OutgoingReview), unitHead: true, from: `documents d`,
		where: `d.direction = 'outgoing' AND d.unit_id = @v_unit AND d.outgoing_state IN ('in_review', 'approved')`, deadline: `NULL::date`},
	{group: WorkReview, perm: perm(access.OutgoingSign), from: `documents d`,
		where: `d.direction = 'outgoing' AND d.outgoing_state = 'in_review' AND NOT ` + unitHeaded, deadline: `NULL::date`},
	{group: WorkSign, perm: perm(access.OutgoingSign), from: `documents d`,
		where: `d.direction = 'outgoing' AND d.outgoing_state = 'pending_signature'`, deadline: `NULL::date`},
	{group: WorkIssue, perm: perm(access.OutgoingIssue), from: `documents d`,
		where: `d.direction = 'outgoing' AND d.outgoing_state IN ('signed', 'numbered')`, deadline: `NULL::date`},
	{group: WorkSend, perm: perm(access.OutgoingSend), from: `documents d`,
		where: `d.direction = 'outgoing' AND d.outgoing_state = 'sealed'`, deadline: `NULL::date`},
}

// unitHeaded holds when the drafting unit of document d has a member holding the unit
// head's role (the role assignments casbin keeps in casbin_rule); drafts of a unit
// without one, or of no unit, wait for the agency leader's review instead.
var unitHeaded = `EXISTS (SELECT 1 FROM memberships m JOIN casbin_rule r ON r.ptype = 'g'
	AND r.v0 = 'user:' || m.user_id AND r.v1 = '` + string(access.LanhDaoPhong) + `' AND r.v2 = 'agency:' || m.agency_id
	WHERE m.unit_id = d.unit_id AND m.agency_id = d.agency_id)`

// WaitingFor returns the actor's work list: for each step they may take, the visible
// documents waiting for it (a document once per group), and their deadlines within
// `within` days (overdue ones first).
func (s *Service) WaitingFor(ctx context.Context, a Actor, within int) (*Inbox, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, p := range workParts {
		if (p.perm != nil && !s.Access.Can(a.UserID, a.AgencyID, *p.perm)) || (p.unitHead && v.ledUnit == nil) {
			continue
		}
		parts = append(parts, `SELECT '`+string(p.group)+`' AS grp, d.id, d.direction, d.type, d.subject, d.urgency,
			coalesce(d.outgoing_state, d.incoming_state) AS state, coalesce(d.arrival_number, 0) AS arrival, `+p.deadline+` AS deadline,
			d.updated_at FROM `+p.from+` WHERE `+p.where+` AND `+v.sql())
	}
	box := &Inbox{}
	if len(parts) > 0 {
		if err := s.readWork(ctx, v, box, strings.Join(parts, " UNION ALL ")); err != nil {
			return nil, err
		}
	}
	if box.Deadlines, err = s.dueFor(ctx, v, within); err != nil {
		return nil, err
	}
	return box, nil
}

func (s *Service) readWork(ctx context.Context, v viewer, box *Inbox, union string) error {
	rows, err := s.Pool.Query(ctx, `
		WITH work AS (SELECT DISTINCT ON (grp, id) * FROM (`+union+`) w ORDER BY grp, id, deadline NULLS LAST)
		SELECT grp, count(*) OVER (PARTITION BY grp), id, direction, type, subject, urgency, state, arrival, deadline
		FROM (SELECT *, row_number() OVER (PARTITION BY grp ORDER BY deadline NULLS LAST, updated_at DESC, id DESC) AS n FROM work) w
		WHERE n <= @shown ORDER BY grp, n`, v.args(pgx.NamedArgs{"shown": workShown}))
	if err != nil {
		return fmt.Errorf("docs: unable to read the work list: %w", err)
	}
	byGroup := map[WorkGroup]*WorkList{}
	var group WorkGroup
	var count int
	var it WorkItem
	_, err = pgx.ForEachRow(rows, []any{&group, &count, &it.DocumentID, &it.Direction, &it.Type, &it.Subject, &it.Urgency,
		&it.State, &it.ArrivalNumber, &it.Deadline}, func() error {
		l, ok := byGroup[group]
		if !ok {
			l = &WorkList{Group: group, Count: count}
			byGroup[group] = l
		}
		item := it
		item.StateLabel = StateName(item.Direction, item.State)
		l.Items = append(l.Items, item)
		return nil
	})
	if err != nil {
		return fmt.Errorf("docs: unable to read the work list: %w", err)
	}
	for _, g := range workGroups {
		if l, ok := byGroup[g.group]; ok {
			l.Label = g.label
			box.Groups = append(box.Groups, *l)
			box.Total += l.Count
		}
	}
	return nil
}

// dueFor lists, once per document, the nearest deadline of the open lines that
// concern the viewer: named, handling, heading the assigned unit, or having assigned
// them (a leader follows up what they gave).
func (s *Service) dueFor(ctx context.Context, v viewer, within int) ([]DueItem, error) {
	today := s.today()
	rows, err := s.Pool.Query(ctx, `
		SELECT d.id, d.subject, coalesce(d.arrival_number, 0), min(x.deadline), min(x.deadline) - @today::date
		FROM assignments x JOIN documents d ON d.id = x.document_id
		WHERE x.completed_at IS NULL AND x.role <> 'de_biet' AND x.deadline <= @horizon
		  AND (x.handler_id = @v_user OR (x.user_id = @v_user AND x.handler_id IS NULL) OR x.unit_id = @v_unit OR x.assigned_by = @v_user)
		  AND d.incoming_state IN ('assigned', 'in_progress') AND `+v.sql()+`
		GROUP BY d.id ORDER BY min(x.deadline), d.id`,
		v.args(pgx.NamedArgs{"today": today, "horizon": today.AddDate(0, 0, within)}))
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list the deadlines: %w", err)
	}
	due, err := pgx.CollectRows(rows, pgx.RowToStructByPos[DueItem])
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the deadlines: %w", err)
	}
	return due, nil
}
