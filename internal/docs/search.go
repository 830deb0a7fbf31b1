package docs

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Query selects documents: accent-insensitive full text over the type's name and
// abbreviation, the number and symbol ("02/UBND-TCKH", with or without the slash),
// subject, issuer, signer, recipients, file names and content ("quyet dinh" finds
// "Quyết định"; web-search syntax: "quoted phrase", or, -word), combined with
// filters. Results come newest first, ordered by (created_at, id), and are paged by a
// keyset cursor, so a page never repeats or skips a row when documents are added
// meanwhile.
type Query struct {
	Text       string
	Direction  Direction // empty: both
	Types      []TypeCode
	States     []string // outgoing or incoming state names
	From, To   *time.Time
	UnitID     int64  // drafting unit, or assigned unit
	AssigneeID int64  // assigned person or handler
	IssuerID   string // issuing agency's organ code (mã định danh)
	Urgencies  []Urgency
	Deadline   DeadlineFilter
	Limit      int // default 20, at most 200
	After      string
}

// DeadlineFilter selects open documents by their deadline.
type DeadlineFilter string

// The deadline filters.
const (
	DeadlineAny     DeadlineFilter = ""
	DeadlineOverdue DeadlineFilter = "overdue" // still open, deadline passed
	DeadlineSoon    DeadlineFilter = "soon"    // still open, due within DueSoonDays
)

// DueSoonDays is how many days ahead a deadline counts as due soon (as on the home page).
const DueSoonDays = 7

// openIncomingStates are the states of an incoming document still being dealt with.
var openIncomingStates = []string{"received", "registered", "submitted", "assigned", "in_progress"}

// openIncomingSQL is true for an incoming document still being dealt with.
var openIncomingSQL = `d.incoming_state IN ('` + strings.Join(openIncomingStates, "', '") + `')`

// Page is one page of results; Next is the cursor of the following page ("" at the end).
type Page struct {
	Items []*Record
	Next  string
}

// ListColumns are the columns a list page reads (every field but the full text) from
// documents aliased d, in the order the lists scan them.
var ListColumns = strings.Replace(documentColumns, "d.content", "''", 1)

// documentDate is the date a document is filed under: issued, else arrived, else created.
const documentDate = `coalesce(d.issued_date, (d.arrival_date AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
	(d.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date)`

// searchWindow is how many of the newest documents a text search tries first.
// Vietnamese queries are often several frequent syllables that occur together
// ("chuyen doi so"); PostgreSQL multiplies their frequencies, expects few matches and
// would fetch and sort every match through the full-text index. Filtering the newest
// documents first finds a page of a frequent phrase in a few milliseconds; only when
// the window holds less than a page does the query run over all documents, where
// the full-text index is the right path because the phrase is rare.
const searchWindow = 4000

// Search returns the documents matching q that the actor may see.
func (s *Service) Search(ctx context.Context, a Actor, q Query) (Page, error) {
	v, err := s.viewer(ctx, s.Pool, a)
	if err != nil {
		return Page{}, err
	}
	var items []*Record
	if strings.TrimSpace(q.Text) != "" {
		if items, err = s.runQuery(ctx, q, v, searchWindow); err != nil {
			return Page{}, err
		}
	}
	if len(items) <= q.limit() {
		if items, err = s.runQuery(ctx, q, v, 0); err != nil {
			return Page{}, err
		}
	}
	page := Page{Items: items}
	if len(items) > q.limit() {
		page.Items = items[:q.limit()]
		last := page.Items[len(page.Items)-1]
		page.Next = encodeCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// runQuery runs q over all documents (window 0) or over the newest window documents.
func (s *Service) runQuery(ctx context.Context, q Query, v viewer, window int) ([]*Record, error) {
	sql, args, err := q.build(v, window, s.today())
	if err != nil {
		return nil, err
	}
	rows, err := s.Pool.Query(ctx, sql, args)
	if err != nil {
		return nil, fmt.Errorf("docs: search failed: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*Record, error) { return scanDocument(row) })
	if err != nil {
		return nil, fmt.Errorf("docs: unable to read search results: %w", err)
	}
	return items, nil
}

func (q Query) limit() int {
	switch {
	case q.Limit <= 0:
		return 20
	case q.Limit > 200:
		return 200
	}
	return q.Limit
}

// build writes the SQL of the query; the visibility rule is always part of it. With a
// window, only the newest window documents of the agency (after the cursor) are read.
func (q Query) build(v viewer, window int, today time.Time) (string, pgx.NamedArgs, error) {
	args := v.args(pgx.NamedArgs{"limit": q.limit() + 1})
	where := []string{v.sql()}
	add := func(cond, name string, value any) {
		where = append(where, cond)
		args[name] = value
	}
	if t := strings.TrimSpace(q.Text); t != "" {
		add(`d.search @@ websearch_to_tsquery('simple', docs_search_words(@text))`, "text", searchText(t))
	}
	if q.Direction != "" {
		add(`d.direction = @direction`, "direction", q.Direction)
	}
	if len(q.Types) > 0 {
		add(`d.type = ANY(@types)`, "types", q.Types)
	}
	if len(q.States) > 0 {
		add(`coalesce(d.outgoing_state, d.incoming_state) = ANY(@states)`, "states", q.States)
	}
	if q.From != nil {
		add(documentDate+` >= @from`, "from", *q.From)
	}
	if q.To != nil {
		add(documentDate+` <= @to`, "to", *q.To)
	}
	if q.UnitID != 0 {
		add(`(d.unit_id = @unit OR EXISTS (SELECT 1 FROM assignments u WHERE u.document_id = d.id AND u.unit_id = @unit))`, "unit", q.UnitID)
	}
	if q.AssigneeID != 0 {
		add(`EXISTS (SELECT 1 FROM assignments p WHERE p.document_id = d.id AND (p.user_id = @assignee OR p.handler_id = @assignee))`,
			"assignee", q.AssigneeID)
	}
	if q.IssuerID != "" {
		add(`d.issuer_organ_id = @issuer`, "issuer", q.IssuerID)
	}
	if len(q.Urgencies) > 0 {
		add(`d.urgency = ANY(@urgencies)`, "urgencies", q.Urgencies)
	}
	switch q.Deadline {
	case DeadlineOverdue:
		add(openIncomingSQL+` AND d.due_date < @today`, "today", today)
	case DeadlineSoon:
		add(openIncomingSQL+` AND d.due_date BETWEEN @today AND @soon`, "today", today)
		args["soon"] = today.AddDate(0, 0, DueSoonDays)
	case DeadlineAny:
	default:
		return "", nil, invalid("Bộ lọc hạn xử lý không hợp lệ.", "bad deadline filter %q", q.Deadline)
	}
	source, after := "documents d", "true"
	if q.After != "" {
		at, id, err := decodeCursor(q.After)
		if err != nil {
			return "", nil, err
		}
		after = `(w.created_at, w.id) < (@after_at, @after_id)`
		where = append(where, `(d.created_at, d.id) < (@after_at, @after_id)`)
		args["after_at"], args["after_id"] = at, id
	}
	if window > 0 {
		source = `(SELECT * FROM documents w WHERE w.agency_id = @v_agency AND ` + after +
			` ORDER BY w.created_at DESC, w.id DESC LIMIT @window) d`
		args["window"] = window
	}
	sql := `SELECT ` + ListColumns + ` FROM ` + source + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY d.created_at DESC, d.id DESC LIMIT @limit`
	return sql, args, nil
}

// searchText reads a word with a slash, a number and symbol such as "02/UBND-TCKH",
// as the phrase of its parts ("02 UBND-TCKH"), as the index does; inside a query
// that quotes phrases itself the slashes are only read as spaces (by SQL).
func searchText(text string) string {
	if strings.Contains(text, `"`) {
		return text
	}
	words := strings.Fields(text)
	for i, w := range words {
		if strings.Contains(strings.Trim(w, "/"), "/") {
			word, negated := strings.CutPrefix(w, "-")
			words[i] = `"` + strings.ReplaceAll(word, "/", " ") + `"`
			if negated {
				words[i] = "-" + words[i]
			}
		}
	}
	return strings.Join(words, " ")
}

// Inbox is the first page of incoming documents still to be dealt with.
func (s *Service) Inbox(ctx context.Context, a Actor, after string, limit int) (Page, error) {
	return s.Search(ctx, a, Query{Direction: Incoming, States: openIncomingStates, After: after, Limit: limit})
}

func encodeCursor(at time.Time, id int64) string {
	raw := strconv.FormatInt(at.UnixMicro(), 10) + "." + strconv.FormatInt(id, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(c string) (time.Time, int64, error) {
	bad := invalid("Tham số phân trang không hợp lệ.", "bad cursor %q", c)
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, 0, bad
	}
	micros, idText, ok := strings.Cut(string(raw), ".")
	if !ok {
		return time.Time{}, 0, bad
	}
	us, err1 := strconv.ParseInt(micros, 10, 64)
	id, err2 := strconv.ParseInt(idText, 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, bad
	}
	return time.UnixMicro(us), id, nil
}

// StateOption is a state a list can be filtered by, with its Vietnamese name.
type StateOption struct {
	Value, Label string
}

// States lists the states of a lifecycle in order, for a filter.
func States(dir Direction) []StateOption {
	m := machineOf(dir)
	out := make([]StateOption, 0, len(m.states))
	for _, st := range m.states {
		out = append(out, StateOption{st, m.labels[st]})
	}
	return out
}
