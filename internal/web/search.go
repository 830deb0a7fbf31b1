package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"

	"edms/internal/docs"
	"edms/internal/org"
)

// allDirections is the tab of documents in and out.
const allDirections = "all"

// readFindFilters reads the filters search adds to the list's: issuing agency,
// urgency and deadline; "all" asks for both directions.
func readFindFilters(v url.Values, q *docs.Query) {
	if q.Direction == allDirections {
		q.Direction = ""
	}
	q.IssuerID = v.Get("issuer")
	for _, u := range v["urgency"] {
		q.Urgencies = append(q.Urgencies, docs.Urgency(u))
	}
	q.Deadline = docs.DeadlineFilter(v.Get("deadline"))
	// A filter form sends its selects' "all" choice as an empty value.
	q.Types = slices.DeleteFunc(q.Types, func(t docs.TypeCode) bool { return t == "" })
	q.States = slices.DeleteFunc(q.States, func(s string) bool { return s == "" })
	q.Urgencies = slices.DeleteFunc(q.Urgencies, func(u docs.Urgency) bool { return u == "" })
}

// listFilters are the tab and filters of a list as its URL query says them, without
// the page cursor; every link of the page (tabs, next page, export) carries them.
type listFilters struct {
	values url.Values
}

func filtersOf(r *http.Request, tab string) listFilters {
	v := url.Values{}
	for name, values := range r.URL.Query() {
		if name == "after" {
			continue
		}
		for _, value := range values {
			if value != "" {
				v.Add(name, value)
			}
		}
	}
	v.Set("direction", tab)
	return listFilters{v}
}

// Get is a filter's value ("" when unset).
func (f listFilters) Get(name string) string { return f.values.Get(name) }

// Has tells whether a filter has a value (for selects).
func (f listFilters) Has(name, value string) bool { return slices.Contains(f.values[name], value) }

// Narrowed tells whether any filter other than the tab is set.
func (f listFilters) Narrowed() bool { return len(f.values) > 1 }

// With is the URL query of these filters with one of them set (a URL for the
// templates, which would otherwise escape its '=' and '&').
func (f listFilters) With(name, value string) template.URL {
	v := url.Values{}
	for k, values := range f.values {
		v[k] = values
	}
	v.Set(name, value)
	return template.URL(v.Encode())
}

// Query is the URL query of these filters.
func (f listFilters) Query() template.URL { return template.URL(f.values.Encode()) }

// documentsView is the list page: a tab (incoming, outgoing or all), the filters and
// a page, with the choices the filter form offers.
type documentsView struct {
	pageBase
	Tab       string
	Filters   listFilters
	Items     []*docs.Record
	Next      string
	Types     []docs.DocType
	Agencies  []org.TreeEntry
	Units     []org.Unit
	States    []docs.StateOption
	Urgencies []urgencyOption
}

func (s *Server) documentsPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	q, err := queryFromRequest(r)
	if err != nil {
		return err
	}
	tab := string(q.Direction)
	switch {
	case tab == "" && r.URL.Query().Get("direction") == "" && q.Text == "":
		tab, q.Direction = string(docs.Incoming), docs.Incoming
	case tab == "":
		tab = allDirections
	}
	page, err := s.docs.Search(r.Context(), s.actorOf(r), q)
	if err != nil {
		return docsError(err)
	}
	view := documentsView{pageBase: base, Tab: tab, Filters: filtersOf(r, tab), Items: page.Items, Next: page.Next,
		Types: docs.Types, Urgencies: urgencies, States: statesOf(q.Direction)}
	if view.Agencies, err = org.AgencyTree(r.Context(), s.pool); err != nil {
		return err
	}
	if view.Units, err = org.Units(r.Context(), s.pool, principalOf(r).AgencyID); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "documents.html", view)
}

// statesOf lists the states of a direction, or of both.
func statesOf(dir docs.Direction) []docs.StateOption {
	if dir != "" {
		return docs.States(dir)
	}
	out := docs.States(docs.Incoming)
	for _, st := range docs.States(docs.Outgoing) {
		if !slices.ContainsFunc(out, func(o docs.StateOption) bool { return o.Value == st.Value }) {
			out = append(out, st)
		}
	}
	return out
}
