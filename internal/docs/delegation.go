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
	"edms/internal/audit"
	"edms/internal/store"
)

// DelegationScope is what a leader delegates (ủy quyền): signing or assignment.
type DelegationScope string

// Delegation scopes, each standing for the permission it lends.
const (
	DelegateSigning    DelegationScope = "sign"
	DelegateAssignment DelegationScope = "assign"
)

// delegatedPermission is the permission each scope lends while the delegation holds.
var delegatedPermission = map[DelegationScope]access.Permission{
	DelegateSigning:    access.OutgoingSign,
	DelegateAssignment: access.IncomingAssign,
}

// Delegable reports whether a permission can be held through a delegation: a route
// guarded by it must let the service decide.
func Delegable(p access.Permission) bool {
	for _, lent := range delegatedPermission {
		if lent == p {
			return true
		}
	}
	return false
}

// DelegationPrefixes are the authority prefixes a delegate signs with (Phụ lục I):
// KT. (a deputy signs for the head), TL. (by order of the head), TUQ. (under a
// written delegation).
var DelegationPrefixes = []string{"KT.", "TL.", "TUQ."}

// Delegation is a leader's delegation to a deputy for a period.
type Delegation struct {
	ID                int64
	DelegatorID       int64
	DelegatorName     string
	DelegatorPosition string
	DelegateID        int64
	DelegateName      string
	Scope             DelegationScope
	Prefix            string
	StartsOn, EndsOn  time.Time
	Note              string
	RevokedAt         *time.Time
}

// Competence is the authority line the delegate signs with: "KT. CHỦ TỊCH".
func (d Delegation) Competence() string {
	return d.Prefix + " " + strings.ToUpper(strings.TrimSpace(d.DelegatorPosition))
}

// Holds reports whether the delegation is in force on the day.
func (d Delegation) Holds(day time.Time) bool {
	day = day.Truncate(24 * time.Hour)
	return d.RevokedAt == nil && !day.Before(d.StartsOn) && !day.After(d.EndsOn)
}

// DelegationInput is a new delegation.
type DelegationInput struct {
	DelegateID       int64
	Scope            DelegationScope
	Prefix           string
	StartsOn, EndsOn time.Time
	Note             string
}

// Delegate records that the actor lends a permission they hold by their own role to
// a member of the same agency for a period. A delegate cannot delegate further.
func (s *Service) Delegate(ctx context.Context, a Actor, in DelegationInput) (int64, error) {
	perm, ok := delegatedPermission[in.Scope]
	if !ok {
		return 0, invalid("Chọn nội dung ủy quyền: ký văn bản hoặc phân công xử lý.", "unknown delegation scope %q", in.Scope)
	}
	if err := s.require(a, perm, "người có thẩm quyền này theo chức vụ"); err != nil {
		return 0, err
	}
	if !slices.Contains(DelegationPrefixes, in.Prefix) {
		return 0, invalid("Hình thức ký phải là KT., TL. hoặc TUQ.", "unknown delegation prefix %q", in.Prefix)
	}
	if in.DelegateID == a.UserID {
		return 0, invalidField("delegate_id", "Không thể ủy quyền cho chính mình.", "user %d delegates to themselves", a.UserID)
	}
	if in.EndsOn.Before(in.StartsOn) || in.EndsOn.Before(s.today()) {
		return 0, invalidField("ends_on", "Thời hạn ủy quyền không hợp lệ: ngày kết thúc phải sau ngày bắt đầu và chưa qua.",
			"delegation from %s to %s", in.StartsOn.Format(time.DateOnly), in.EndsOn.Format(time.DateOnly))
	}
	var id int64
	err := store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		var delegate string
		err := tx.QueryRow(ctx, `SELECT u.full_name FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.user_id = $1 AND m.agency_id = $2 AND u.disabled_at IS NULL`, in.DelegateID, a.AgencyID).Scan(&delegate)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid("Người được ủy quyền phải là thành viên của cơ quan.", "user %d is not a member of agency %d", in.DelegateID, a.AgencyID)
		}
		if err != nil {
			return fmt.Errorf("docs: unable to read the delegate: %w", err)
		}
		var overlapping bool
		err = tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM delegations WHERE agency_id = $1 AND delegator_id = $2
			AND delegate_id = $3 AND scope = $4 AND revoked_at IS NULL AND starts_on <= $6 AND ends_on >= $5)`,
			a.AgencyID, a.UserID, in.DelegateID, in.Scope, in.StartsOn, in.EndsOn).Scan(&overlapping)
		if err != nil {
			return fmt.Errorf("docs: unable to read the delegations: %w", err)
		}
		if overlapping {
			return &Error{Kind: ErrDuplicate, Message: "Đã có ủy quyền này cho " + delegate + " trong khoảng thời gian đó.",
				Detail: fmt.Sprintf("an open delegation from %d to %d overlaps", a.UserID, in.DelegateID)}
		}
		err = tx.QueryRow(ctx, `INSERT INTO delegations (agency_id, delegator_id, delegate_id, scope, prefix, starts_on, ends_on, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			a.AgencyID, a.UserID, in.DelegateID, in.Scope, in.Prefix, in.StartsOn, in.EndsOn, strings.TrimSpace(in.Note)).Scan(&id)
		if err != nil {
			return fmt.Errorf("docs: unable to record the delegation: %w", err)
		}
		return s.auditDelegation(ctx, tx, a, "create", id, map[string]any{"delegator_id": a.UserID, "delegate_id": in.DelegateID,
			"delegate": delegate, "scope": in.Scope, "prefix": in.Prefix,
			"from": in.StartsOn.Format(time.DateOnly), "to": in.EndsOn.Format(time.DateOnly)})
	})
	return id, err
}

// RevokeDelegation ends a delegation before its term; only the delegator revokes it.
func (s *Service) RevokeDelegation(ctx context.Context, a Actor, id int64) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE delegations SET revoked_at = now(), revoked_by = $3
			WHERE id = $1 AND agency_id = $2 AND delegator_id = $3 AND revoked_at IS NULL`, id, a.AgencyID, a.UserID)
		if err != nil {
			return fmt.Errorf("docs: unable to revoke delegation %d: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return &Error{Kind: ErrNotFound, Message: "Không tìm thấy ủy quyền còn hiệu lực do bạn giao.",
				Detail: fmt.Sprintf("no open delegation %d by user %d", id, a.UserID)}
		}
		return s.auditDelegation(ctx, tx, a, "revoke", id, map[string]any{"delegator_id": a.UserID})
	})
}

func (s *Service) auditDelegation(ctx context.Context, tx pgx.Tx, a Actor, action string, id int64, detail map[string]any) error {
	e, err := s.auditEntry(ctx, tx, a, action, 0, detail)
	if err != nil {
		return err
	}
	e.Action, e.ObjectType, e.ObjectID = "delegation."+action, "delegation", fmt.Sprint(id)
	return audit.Record(ctx, tx, e)
}

const delegationColumns = `g.id, g.delegator_id, dr.full_name, m.position, g.delegate_id, de.full_name, g.scope, g.prefix,
	g.starts_on, g.ends_on, g.note, g.revoked_at`

const delegationJoins = ` FROM delegations g JOIN users dr ON dr.id = g.delegator_id JOIN users de ON de.id = g.delegate_id
	LEFT JOIN memberships m ON m.user_id = g.delegator_id AND m.agency_id = g.agency_id`

func scanDelegation(row pgx.CollectableRow) (Delegation, error) {
	var d Delegation
	var position *string
	err := row.Scan(&d.ID, &d.DelegatorID, &d.DelegatorName, &position, &d.DelegateID, &d.DelegateName, &d.Scope, &d.Prefix,
		&d.StartsOn, &d.EndsOn, &d.Note, &d.RevokedAt)
	if position != nil {
		d.DelegatorPosition = *position
	}
	return d, err
}

// Delegations lists the delegations the actor gave or received in their agency,
// newest first.
func Delegations(ctx context.Context, db store.DB, a Actor) ([]Delegation, error) {
	rows, err := db.Query(ctx, `SELECT `+delegationColumns+delegationJoins+`
		WHERE g.agency_id = $1 AND (g.delegator_id = $2 OR g.delegate_id = $2) ORDER BY g.id DESC`, a.AgencyID, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to list delegations: %w", err)
	}
	return pgx.CollectRows(rows, scanDelegation)
}

// heldDelegation is the delegation in force today through which the actor holds
// perm, if any, from a delegator who still holds it by their own role.
func (s *Service) heldDelegation(ctx context.Context, db store.DB, a Actor, perm access.Permission) (*Delegation, error) {
	var scope DelegationScope
	for sc, p := range delegatedPermission {
		if p == perm {
			scope = sc
		}
	}
	if scope == "" || a.UserID == 0 {
		return nil, nil
	}
	rows, err := db.Query(ctx, `SELECT `+delegationColumns+delegationJoins+`
		WHERE g.agency_id = $1 AND g.delegate_id = $2 AND g.scope = $3 AND g.revoked_at IS NULL
		  AND $4::date BETWEEN g.starts_on AND g.ends_on ORDER BY g.id DESC`, a.AgencyID, a.UserID, scope, s.today())
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the actor's delegations: %w", err)
	}
	held, err := pgx.CollectRows(rows, scanDelegation)
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read the actor's delegations: %w", err)
	}
	for _, d := range held {
		if s.Access.Can(d.DelegatorID, a.AgencyID, perm) {
			return &d, nil
		}
	}
	return nil, nil
}

// requireOrDelegated is require, also satisfied by a delegation in force, which it
// returns (nil when the actor holds the permission by their own role).
func (s *Service) requireOrDelegated(ctx context.Context, db store.DB, a Actor, perm access.Permission, who string) (*Delegation, error) {
	err := s.require(a, perm, who)
	if err == nil || !Delegable(perm) {
		return nil, err
	}
	held, derr := s.heldDelegation(ctx, db, a, perm)
	if derr != nil {
		return nil, derr
	}
	if held == nil {
		return nil, err
	}
	return held, nil
}

// auditActedOnBehalf names both people of a step taken under a delegation (an
// assignment by a deputy); signatures have their own entry, sign_on_behalf.
func (s *Service) auditActedOnBehalf(ctx context.Context, tx pgx.Tx, a Actor, docID int64, action string, held *Delegation) error {
	if held == nil || held.Scope == DelegateSigning {
		return nil
	}
	return s.audit(ctx, tx, a, "act_on_behalf", docID, map[string]any{"action": action, "delegation_id": held.ID,
		"delegator_id": held.DelegatorID, "delegator": held.DelegatorName, "delegate_id": held.DelegateID,
		"delegate": held.DelegateName, "competence": held.Competence()})
}

// signingDelegation completes the signer's block of a delegate signing under a
// delegation in force: the authority line becomes the delegation's ("KT. CHỦ
// TỊCH"), unless the signer typed their own. It returns the delegation applied.
func (s *Service) signingDelegation(ctx context.Context, tx pgx.Tx, a Actor, signer *SignerInfo) (*Delegation, error) {
	if signer.Competence != "" {
		return nil, nil
	}
	held, err := s.heldDelegation(ctx, tx, a, access.OutgoingSign)
	if err != nil || held == nil {
		return nil, err
	}
	signer.Competence = held.Competence()
	return held, nil
}

// auditSignedOnBehalf names both people of a signature made under a delegation.
func (s *Service) auditSignedOnBehalf(ctx context.Context, tx pgx.Tx, a Actor, docID int64, held *Delegation) error {
	if held == nil {
		return nil
	}
	return s.audit(ctx, tx, a, "sign_on_behalf", docID, map[string]any{"delegation_id": held.ID,
		"delegator_id": held.DelegatorID, "delegator": held.DelegatorName, "delegate_id": held.DelegateID,
		"delegate": held.DelegateName, "competence": held.Competence()})
}
