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

// transition is one declared step of a lifecycle. Tables are written with the typed
// state constants (newTransition) and kept as strings, the form the database stores.
type transition struct {
	action string
	from   []string
	to     string
	perm   access.Permission
	who    string // who may act, for messages (Vietnamese)
	label  string // the action, for messages (Vietnamese)
}

// newTransition declares the step action from the states from to the state to.
func newTransition[S ~string](action string, from []S, to S, perm access.Permission, who, label string) transition {
	t := transition{action: action, to: string(to), perm: perm, who: who, label: label}
	for _, f := range from {
		t.from = append(t.from, string(f))
	}
	return t
}

// stateLabel is a state of a lifecycle with its Vietnamese name.
type stateLabel[S ~string] struct {
	state S
	label string
}

// machine is a lifecycle: its states (in lifecycle order, with their labels), its
// steps, and the column holding the state. The database CHECK constraints hold the
// same set of states (TestStateMachinesAgree); no move outside the table is made.
type machine struct {
	direction   Direction
	column      string
	state       func(*Record) string
	states      []string
	labels      map[string]string
	transitions []transition
}

// newMachine builds a lifecycle from its typed states and its table, refusing (at
// start-up) a table that names an undeclared state or declares an action twice.
func newMachine[S ~string](dir Direction, column string, current func(*Record) S, states []stateLabel[S], transitions []transition) *machine {
	m := &machine{direction: dir, column: column, state: func(d *Record) string { return string(current(d)) },
		labels: map[string]string{}, transitions: transitions}
	for _, s := range states {
		m.states = append(m.states, string(s.state))
		m.labels[string(s.state)] = s.label
	}
	seen := map[string]bool{}
	for _, t := range transitions {
		for _, st := range append([]string{t.to}, t.from...) {
			if _, ok := m.labels[st]; !ok {
				panic(fmt.Sprintf("docs: %s action %s names the undeclared state %q", dir, t.action, st))
			}
		}
		if seen[t.action] {
			panic(fmt.Sprintf("docs: %s action %s is declared twice", dir, t.action))
		}
		seen[t.action] = true
	}
	return m
}

// find returns the declared step named action.
func (m *machine) find(action string) (transition, error) {
	for _, t := range m.transitions {
		if t.action == action {
			return t, nil
		}
	}
	return transition{}, fmt.Errorf("docs: the %s lifecycle declares no action %q", m.direction, action)
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

// needsText refuses an empty comment or reason, once the step has found the document
// visible (a hidden document is not found, whatever the form says), then runs then.
func needsText(text, message string, then stepFunc) stepFunc {
	return func(ctx context.Context, tx pgx.Tx, d *Record) error {
		if strings.TrimSpace(text) == "" {
			return invalid(message, "a step on document %d without its comment", d.ID)
		}
		if then == nil {
			return nil
		}
		return then(ctx, tx, d)
	}
}

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
	d, _, err := s.enter(ctx, tx, a, m, docID, action)
	if err != nil {
		return err
	}
	if step != nil {
		if err := step(ctx, tx, d); err != nil {
			return err
		}
	}
	if err := s.moveState(ctx, tx, a, m, d, action, note); err != nil {
		return err
	}
	return s.notifyStep(ctx, tx, d, action, note)
}

// enter locks the document, if the actor may see it, and checks that the action is
// allowed in its state and that the actor holds the action's permission. Visibility
// comes first: a document the actor cannot see is not found, whatever its state.
func (s *Service) enter(ctx context.Context, tx pgx.Tx, a Actor, m *machine, docID int64, action string) (*Record, transition, error) {
	t, err := m.find(action)
	if err != nil {
		return nil, t, err
	}
	d, err := s.lockDocument(ctx, tx, a, docID)
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
		held, err := s.requireOrDelegated(ctx, tx, a, t.perm, t.who)
		if err != nil {
			return nil, t, err
		}
		if err := s.auditActedOnBehalf(ctx, tx, a, d.ID, action, held); err != nil {
			return nil, t, err
		}
	}
	return d, t, nil
}

// moveState makes the declared step action of the document d, locked by the caller:
// it refuses a step the table does not allow from d's state, sets the state, logs the
// transition and audits it.
func (s *Service) moveState(ctx context.Context, tx pgx.Tx, a Actor, m *machine, d *Record, action, note string) error {
	t, err := m.find(action)
	if err != nil {
		return err
	}
	from := m.state(d)
	if d.Direction != m.direction || !slices.Contains(t.from, from) {
		return m.illegal(t, from)
	}
	sql := `UPDATE documents SET ` + m.column + ` = $1, updated_at = now() WHERE id = $2`
	if _, err := tx.Exec(ctx, sql, t.to, d.ID); err != nil {
		return fmt.Errorf("docs: unable to move document %d to %s: %w", d.ID, t.to, err)
	}
	return s.logTransition(ctx, tx, a, d.ID, from, t.to, action, note)
}

// logTransition records a state change already written, in the log and the audit trail.
func (s *Service) logTransition(ctx context.Context, tx pgx.Tx, a Actor, docID int64, from, to, action, note string) error {
	if err := recordTransition(ctx, tx, docID, from, to, action, a.UserID, note); err != nil {
		return err
	}
	return s.audit(ctx, tx, a, action, docID, map[string]any{"from": from, "to": to, "note": note})
}
