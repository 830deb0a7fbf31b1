package docs

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/store"
	"edms/internal/store/storetest"
)

// TestStateMachinesAgree checks that each lifecycle's typed state constants (read from
// model.go's source, so that a new constant cannot be forgotten), its Vietnamese
// labels, its transition table and the database CHECK constraint name the same states.
func TestStateMachinesAgree(t *testing.T) {
	t.Parallel()
	constants := stateConstants(t, "model.go")
	pool := storetest.NewPool(t, storetest.NewDatabaseURL(t))
	for _, c := range []struct {
		typ     string
		m       *machine
		initial string
	}{{"OutgoingState", outgoing, string(OutDraft)}, {"IncomingState", incoming, string(InReceived)}} {
		t.Run(c.typ, func(t *testing.T) {
			if !slices.Equal(constants[c.typ], c.m.states) {
				t.Errorf("constants %v, machine states %v", constants[c.typ], c.m.states)
			}
			if len(c.m.labels) != len(c.m.states) {
				t.Errorf("%d labels for %d states", len(c.m.labels), len(c.m.states))
			}
			reached := map[string]bool{c.initial: true}
			for _, tr := range c.m.transitions {
				reached[tr.to] = true
				for _, s := range append([]string{tr.to}, tr.from...) {
					if !slices.Contains(c.m.states, s) {
						t.Errorf("action %s names the undeclared state %q", tr.action, s)
					}
				}
			}
			for _, s := range c.m.states {
				if c.m.labels[s] == "" {
					t.Errorf("state %s has no label", s)
				}
				if !reached[s] {
					t.Errorf("no transition reaches state %s", s)
				}
			}
			if check := checkedStates(t, pool, c.m.column); !slices.Equal(slices.Sorted(slices.Values(check)), slices.Sorted(slices.Values(c.m.states))) {
				t.Errorf("CHECK constraint allows %v, machine declares %v", check, c.m.states)
			}
		})
	}
}

// stateConstants reads the constants declared with the types OutgoingState,
// IncomingState and RecipientStatus in a source file of the package, in declaration
// order.
func stateConstants(t *testing.T, file string) map[string][]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	must(t, err)
	out := map[string][]string{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			typ, ok := v.Type.(*ast.Ident)
			if !ok || !slices.Contains([]string{"OutgoingState", "IncomingState", "RecipientStatus"}, typ.Name) {
				continue
			}
			for _, value := range v.Values {
				s, err := strconv.Unquote(value.(*ast.BasicLit).Value)
				must(t, err)
				out[typ.Name] = append(out[typ.Name], s)
			}
		}
	}
	return out
}

// checkedStates reads the states the CHECK constraint on column allows.
func checkedStates(t *testing.T, db store.DB, column string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint
		WHERE conrelid = 'documents'::regclass AND contype = 'c'`)
	must(t, err)
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	must(t, err)
	whole := regexp.MustCompile(`^CHECK \(\(` + column + ` = ANY \(ARRAY\[(.*)\]\)\)\)$`)
	for _, def := range defs {
		if m := whole.FindStringSubmatch(def); m != nil {
			var states []string
			for _, s := range regexp.MustCompile(`'([a-z_]+)'::text`).FindAllStringSubmatch(m[1], -1) {
				states = append(states, s[1])
			}
			return states
		}
	}
	t.Fatalf("no CHECK constraint lists the values of %s among %q", column, defs)
	return nil
}

// TestUndeclaredMovesAreRefused checks that no move outside a lifecycle's table is
// made, even by the service's own code, and that a table naming an undeclared state
// is refused when it is built.
func TestUndeclaredMovesAreRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.draft(t, TypeCongVan, "Về việc kiểm tra bảng chuyển trạng thái", nil)
	err := store.InTx(ctx, f.pool, func(tx pgx.Tx) error {
		d, err := f.svc.lockDocument(ctx, tx, f.in(f.specialist), id)
		must(t, err)
		if err := f.svc.moveState(ctx, tx, f.in(f.specialist), outgoing, d, "replace", ""); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("replacing a draft: %v", err)
		}
		if err := f.svc.moveState(ctx, tx, f.in(f.specialist), outgoing, d, "publish", ""); err == nil {
			t.Error("an undeclared action moved the document")
		}
		if err := f.svc.moveState(ctx, tx, f.in(f.specialist), incoming, d, "start", ""); !errors.Is(err, ErrIllegalTransition) {
			t.Errorf("an incoming step on an outgoing document: %v", err)
		}
		return nil
	})
	must(t, err)
	d, err := f.svc.Get(ctx, f.in(f.specialist), id)
	must(t, err)
	if d.OutgoingState != OutDraft {
		t.Fatalf("the draft moved to %s", d.OutgoingState)
	}
	defer func() {
		if recover() == nil {
			t.Error("a table naming an undeclared state was accepted")
		}
	}()
	newMachine(Outgoing, "outgoing_state", func(d *Record) OutgoingState { return d.OutgoingState },
		[]stateLabel[OutgoingState]{{OutDraft, "Dự thảo"}},
		[]transition{newTransition("archive", []OutgoingState{OutDraft}, "archived", access.OutgoingDraft, "văn thư", "lưu trữ")})
}
