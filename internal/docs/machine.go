package docs

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
)

// transition is one allowed step of a lifecycle.
type transition struct {
	action string
	from   []string
	to     string
	perm   access.Permission
	who    string // who may act, for messages (Vietnamese)
	label  string // the action, for messages (Vietnamese)
}

// machine is a lifecycle: its states (labels), its steps, and the column holding the
// state. The database CHECK constraints hold the same set of states.
type machine struct {
	direction   Direction
	column      string
	state       func(*Record) string
	transitions []transition
	labels      map[string]string
}

func (m *machine) find(action string) transition {
	for _, t := range m.transitions {
		if t.action == action {
			return t
		}
	}
	panic("docs: unknown " + string(m.direction) + " action " + action)
}

// illegal explains why an action cannot happen in a state: it names the state and
// what can happen there, and by whom.
func (m *machine) illegal(t transition, state string) error {
	var next []string
	for _, o := range m.transitions {
		if slices.Contains(o.from, state) {
			next = append(next, o.who+" có thể "+o.label)
		}
	}
	what := "văn bản không còn bước xử lý nào."
	if len(next) > 0 {
		what = "ở trạng thái này, " + strings.Join(next, "; ") + "."
	}
	return &Error{Kind: ErrIllegalTransition,
		Message: fmt.Sprintf("Không thể %s: văn bản đang ở trạng thái «%s»; %s", t.label, m.labels[state], what),
		Detail:  fmt.Sprintf("%s action %s is not allowed in state %s", m.direction, t.action, state)}
}

// stepFunc does the work of one transition inside its transaction.
type stepFunc func(ctx context.Context, tx pgx.Tx, d *Record) error

// transition runs one step of a lifecycle: it locks the document, checks the state,
// the permission and the step's own rules, does the step, moves the state and logs the
// transition with its audit entry, all in one transaction.
func (s *Service) transition(ctx context.Context, a Actor, m *machine, docID int64, action, note string, step stepFunc) error {
	return store.InTx(ctx, s.Pool, func(tx pgx.Tx) error {
		return withDeferredAudit(ctx, tx, func(ctx context.Context) error {
			return s.transitionTx(ctx, tx, a, m, docID, action, note, step)
		})
	})
}

func (s *Service) transitionTx(ctx context.Context, tx pgx.Tx, a Actor, m *machine, docID int64, action, note string, step stepFunc) error {
	d, t, err := s.enter(ctx, tx, a, m, docID, action)
	if err != nil {
		return err
	}
	if step != nil {
		if err := step(ctx, tx, d); err != nil {
			return err
		}
	}
	return s.moveState(ctx, tx, a, m, docID, m.state(d), t.to, action, note)
}

// enter locks the document and checks that the action is allowed in its state and
// that the actor holds the action's permission.
func (s *Service) enter(ctx context.Context, tx pgx.Tx, a Actor, m *machine, docID int64, action string) (*Record, transition, error) {
	t := m.find(action)
	d, err := lockDocument(ctx, tx, a, docID)
	if err != nil {
		return nil, t, err
	}
	if d.Direction != m.direction {
		return nil, t, invalid("Thao tác này không áp dụng cho loại văn bản này.", "document %d is not %s", docID, m.direction)
	}
	if !slices.Contains(t.from, m.state(d)) {
		return nil, t, m.illegal(t, m.state(d))
	}
	if a.UserID != 0 { // the system (the exchange) acts without a user
		if err := s.require(a, t.perm, t.who); err != nil {
			return nil, t, err
		}
	}
	return d, t, nil
}

// moveState sets the state, logs the transition and audits it.
func (s *Service) moveState(ctx context.Context, tx pgx.Tx, a Actor, m *machine, docID int64, from, to, action, note string) error {
	sql := `UPDATE documents SET ` + m.column + ` = $1, updated_at = now() WHERE id = $2`
	if _, err := tx.Exec(ctx, sql, to, docID); err != nil {
		return fmt.Errorf("docs: unable to move document %d to %s: %w", docID, to, err)
	}
	return s.logTransition(ctx, tx, a, docID, from, to, action, note)
}

// logTransition records a state change already written, in the log and the audit trail.
func (s *Service) logTransition(ctx context.Context, tx pgx.Tx, a Actor, docID int64, from, to, action, note string) error {
	if err := recordTransition(ctx, tx, docID, from, to, action, a.UserID, note); err != nil {
		return err
	}
	return s.audit(ctx, tx, a, action, docID, map[string]any{"from": from, "to": to, "note": note})
}
