package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/audit"
)

// The audit-log page, for those holding access.AuditRead: the current agency's
// entries and the node-wide ones, newest first, filtered by person, dates and object,
// a page at a time.

// auditPageSize is how many entries a page shows.
const auditPageSize = 50

func (s *Server) routeAuditPage(r *mux.Router) {
	s.handle(r, "admin.audit", "GET", "/admin/audit", need(access.AuditRead), asPage, s.auditPage)
}

func (s *Server) routeAuditAPI(api *mux.Router) {
	s.handle(api, "api.audit", "GET", "/audit", need(access.AuditRead), asAPI, s.apiAudit)
}

// auditFilter reads the filter of the query string; bad dates are ignored.
func auditFilter(r *http.Request) audit.Filter {
	q := r.URL.Query()
	f := audit.Filter{AgencyID: principalOf(r).AgencyID, Actor: strings.TrimSpace(q.Get("actor")),
		ObjectType: strings.TrimSpace(q.Get("object_type")), ObjectID: strings.TrimSpace(q.Get("object_id")), Limit: auditPageSize}
	f.From, _ = time.Parse(time.DateOnly, q.Get("from"))
	f.To, _ = time.Parse(time.DateOnly, q.Get("to"))
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	return f
}

type auditView struct {
	pageBase
	Query   url.Values
	Entries []audit.Entry
	Next    string // the query string of the next page, "" on the last
	Tabs    bool   // the administrator's tabs are shown
	Objects []auditObject
}

// auditObject is a kind of object the filter offers.
type auditObject struct{ Type, Label string }

var auditObjects = []auditObject{{"document", "Văn bản"}, {"user", "Người dùng"}, {"agency", "Cơ quan"}, {"record", "Hồ sơ"}}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) error {
	entries, more, err := audit.List(r.Context(), s.pool, auditFilter(r))
	if err != nil {
		return err
	}
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	view := auditView{pageBase: base, Query: r.URL.Query(), Entries: entries, Tabs: s.can(r, access.UserRead),
		Objects: auditObjects}
	if more {
		next := r.URL.Query()
		next.Set("before", strconv.FormatInt(entries[len(entries)-1].ID, 10))
		view.Next = next.Encode()
	}
	return s.render(w, http.StatusOK, "admin_audit.html", view)
}

// auditJSON is an audit entry in the API.
type auditJSON struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	Actor      string         `json:"actor"`
	Action     string         `json:"action"`
	ObjectType string         `json:"object_type"`
	ObjectID   string         `json:"object_id"`
	ClientIP   string         `json:"client_ip,omitempty"`
	Detail     map[string]any `json:"detail,omitempty"`
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	entries, more, err := audit.List(r.Context(), s.pool, auditFilter(r))
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(entries))
	for i, e := range entries {
		out[i] = auditJSON{e.ID, e.At, e.Actor, e.Action, e.ObjectType, e.ObjectID, e.ClientIP, e.Detail}
	}
	body := map[string]any{"entries": out}
	if more {
		body["next_before"] = entries[len(entries)-1].ID
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}
