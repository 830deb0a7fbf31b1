package docs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// viewer is what the visibility rule needs to know about the person looking: it is
// resolved once (roles from casbin, unit from the membership) and then applied in SQL,
// so lists never load what the user may not see.
type viewer struct {
	userID, agencyID int64
	allOutgoing      bool   // a role covering every outgoing document of the agency
	allIncoming      bool   // a role covering every incoming document of the agency
	ledUnit          *int64 // the unit the viewer heads, if they hold a unit head's permission
}

func (s *Service) viewer(ctx context.Context, db store.DB, a Actor) (viewer, error) {
	v := viewer{userID: a.UserID, agencyID: a.AgencyID,
		allOutgoing: s.Access.Can(a.UserID, a.AgencyID, access.OutgoingReadAll),
		allIncoming: s.Access.Can(a.UserID, a.AgencyID, access.IncomingReadAll)}
	if !s.Access.Can(a.UserID, a.AgencyID, access.DocumentRead) {
		return v, forbidden("Bạn không có quyền xem văn bản của cơ quan này.", "user %d lacks document:read in agency %d", a.UserID, a.AgencyID)
	}
	covered := v.allOutgoing && v.allIncoming // then heading a unit adds nothing
	if !covered && (s.Access.Can(a.UserID, a.AgencyID, access.OutgoingReview) || s.Access.Can(a.UserID, a.AgencyID, access.IncomingAssignUnit)) {
		unit, err := membershipUnit(ctx, db, a)
		if err != nil {
			return v, err
		}
		if unit != 0 {
			v.ledUnit = &unit
		}
	}
	return v, nil
}

// sql is the visibility rule over documents aliased d, written for this viewer. A
// user sees a document of the agency they act in when they drafted or keep it, hold
// an explicit grant, or — for a document that is not secret — hold a role covering
// all documents of its direction, head its unit, or are assigned it (in person, as
// handler, or as head of an assigned unit), were ever handed it (forwarded,
// re-assigned: document_handovers) or were sent it inside the agency
// (internal_recipients: in person or through their unit). Secret documents are seen only by their
// keeper and by grant. The cheap tests come first and the viewer's own assignments
// and grants are read once per query (hashed subplans over index-only scans), not
// once per row, so that a list walking the newest documents stays fast for every role.
func (v viewer) sql() string {
	var covered []string
	if v.allOutgoing {
		covered = append(covered, "d.direction = 'outgoing'")
	}
	if v.allIncoming {
		covered = append(covered, "d.direction = 'incoming'")
	}
	if v.ledUnit != nil {
		covered = append(covered, "d.unit_id = @v_unit")
	}
	if !v.allOutgoing || !v.allIncoming {
		assigned := `SELECT x.document_id FROM assignments x WHERE x.user_id = @v_user
			UNION ALL SELECT x.document_id FROM assignments x WHERE x.handler_id = @v_user
			UNION ALL SELECT h.document_id FROM document_handovers h WHERE h.to_user_id = @v_user
			UNION ALL ` + internalReceived
		if v.ledUnit != nil {
			assigned += ` UNION ALL SELECT x.document_id FROM assignments x WHERE x.unit_id = @v_unit`
		}
		covered = append(covered, `d.id IN (`+assigned+`)`)
	}
	return `(d.agency_id = @v_agency AND d.deleted_at IS NULL AND ((d.secrecy = 'thuong' AND (` + strings.Join(covered, " OR ") + `))
		OR d.created_by = @v_user
		OR d.id IN (SELECT g.document_id FROM document_grants g WHERE g.user_id = @v_user)))`
}

func (v viewer) args(into pgx.NamedArgs) pgx.NamedArgs {
	into["v_agency"], into["v_user"], into["v_unit"] = v.agencyID, v.userID, v.ledUnit
	return into
}

// Get returns a document the actor may see.
func (s *Service) Get(ctx context.Context, a Actor, id int64) (*Record, error) {
	return s.get(ctx, s.Pool, a, id, "")
}

func (s *Service) get(ctx context.Context, db store.DB, a Actor, id int64, lock string) (*Record, error) {
	v, err := s.viewer(ctx, db, a)
	if err != nil {
		return nil, err
	}
	return readDocument(db.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents d WHERE d.id = @id AND `+v.sql()+lock,
		v.args(pgx.NamedArgs{"id": id})), id)
}

// readDocument scans the row of document id, not found when there is none.
func readDocument(row pgx.Row, id int64) (*Record, error) {
	r, err := scanDocument(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read document %d: %w", id, err)
	}
	return r, nil
}

// lockDocument reads a document the actor may see and locks its row until the
// transaction ends, so that two steps on one document are serialised and every write
// goes through the same visibility rule as reads, in the step's transaction: a
// document the actor cannot see is not found. The system (a zero UserID: the exchange,
// a local hand-off) acts on any document of the agency it acts in.
func (s *Service) lockDocument(ctx context.Context, tx pgx.Tx, a Actor, id int64) (*Record, error) {
	if a.UserID != 0 {
		return s.get(ctx, tx, a, id, " FOR UPDATE OF d")
	}
	return readDocument(tx.QueryRow(ctx, `SELECT `+documentColumns+` FROM documents d
		WHERE d.id = $1 AND d.agency_id = $2 FOR UPDATE OF d`, id, a.AgencyID), id)
}
