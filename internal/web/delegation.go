package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// routeDelegation declares the delegation (ủy quyền) page and its forms.
func (s *Server) routeDelegation(r *mux.Router) {
	s.handle(r, "delegations", "GET", "/delegations", need(access.HomeView), asPage, s.delegationsPage)
	s.handle(r, "delegation.create", "POST", "/delegations", need(access.HomeView), asPage, s.pageDelegate)
	s.handle(r, "delegation.revoke", "POST", "/delegations/{did:[0-9]+}/revoke", need(access.HomeView), asPage, s.pageRevokeDelegation)
}

// routeDelegationAPI declares the same operations in the JSON API.
func (s *Server) routeDelegationAPI(api *mux.Router) {
	s.handle(api, "api.delegations", "GET", "/delegations", need(access.HomeView), asAPI, s.apiDelegations)
	s.handle(api, "api.delegations.create", "POST", "/delegations", need(access.HomeView), asAPI, s.apiDelegate)
	s.handle(api, "api.delegations.revoke", "POST", "/delegations/{did:[0-9]+}/revoke", need(access.HomeView), asAPI, s.apiRevokeDelegation)
}

// delegationIn is a new delegation, from the form or JSON.
type delegationIn struct {
	DelegateID int64                `json:"delegate_id"`
	Scope      docs.DelegationScope `json:"scope"`  // sign, assign
	Prefix     string               `json:"prefix"` // KT., TL., TUQ.
	StartsOn   string               `json:"starts_on"`
	EndsOn     string               `json:"ends_on"`
	Note       string               `json:"note"`
}

func (s *Server) delegate(r *http.Request, in delegationIn) (int64, error) {
	starts, err := parseDate("từ ngày (starts_on)", in.StartsOn)
	if err != nil {
		return 0, err
	}
	ends, err := parseDate("đến ngày (ends_on)", in.EndsOn)
	if err != nil {
		return 0, err
	}
	if starts == nil || ends == nil {
		return 0, badRequest("date_invalid", "Nhập thời hạn ủy quyền: từ ngày, đến ngày.")
	}
	id, err := s.docs.Delegate(r.Context(), s.actorOf(r), docs.DelegationInput{DelegateID: in.DelegateID, Scope: in.Scope,
		Prefix: in.Prefix, StartsOn: *starts, EndsOn: *ends, Note: in.Note})
	return id, err // the docs error itself: the form names the field at fault
}

func delegationID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["did"], 10, 64)
	return id
}

// delegationsView is the delegation page.
type delegationsView struct {
	pageBase
	Delegations []docs.Delegation
	Members     []memberView
	Today       time.Time
	Form        formValues
	Errors      fieldErrors
}

func (s *Server) delegationsView(w http.ResponseWriter, r *http.Request) (delegationsView, error) {
	base, err := s.base(w, r)
	if err != nil {
		return delegationsView{}, err
	}
	list, err := docs.Delegations(r.Context(), s.pool, s.actorOf(r))
	if err != nil {
		return delegationsView{}, err
	}
	members, err := s.members(r, principalOf(r).AgencyID)
	if err != nil {
		return delegationsView{}, err
	}
	today := time.Now()
	return delegationsView{pageBase: base, Delegations: list, Members: members,
		Today: time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)}, nil
}

func (s *Server) delegationsPage(w http.ResponseWriter, r *http.Request) error {
	view, err := s.delegationsView(w, r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "delegation.html", view)
}

func (s *Server) pageDelegate(w http.ResponseWriter, r *http.Request) error {
	delegate, _ := strconv.ParseInt(r.FormValue("delegate_id"), 10, 64)
	_, err := s.delegate(r, delegationIn{DelegateID: delegate, Scope: docs.DelegationScope(r.FormValue("scope")),
		Prefix: r.FormValue("prefix"), StartsOn: r.FormValue("starts_on"), EndsOn: r.FormValue("ends_on"), Note: r.FormValue("note")})
	if err == nil {
		s.setFlash(w, r, false, "Đã ủy quyền.")
		http.Redirect(w, r, "/delegations", http.StatusSeeOther)
		return nil
	}
	problems, err := formProblems(err)
	if err != nil {
		return err
	}
	view, err := s.delegationsView(w, r)
	if err != nil {
		return err
	}
	view.Form, view.Errors = formValues(r.Form), problems
	return s.render(w, http.StatusUnprocessableEntity, "delegation.html", view)
}

func (s *Server) pageRevokeDelegation(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.RevokeDelegation(r.Context(), s.actorOf(r), delegationID(r))
	return s.afterForm(w, r, err, "/delegations", "Đã thu hồi ủy quyền.", "/delegations")
}

// delegationJSON is a delegation in the API.
type delegationJSON struct {
	ID          int64                `json:"id"`
	DelegatorID int64                `json:"delegator_id"`
	Delegator   string               `json:"delegator"`
	DelegateID  int64                `json:"delegate_id"`
	Delegate    string               `json:"delegate"`
	Scope       docs.DelegationScope `json:"scope"`
	Prefix      string               `json:"prefix"`
	Competence  string               `json:"competence"`
	StartsOn    string               `json:"starts_on"`
	EndsOn      string               `json:"ends_on"`
	Note        string               `json:"note"`
	RevokedAt   *time.Time           `json:"revoked_at,omitempty"`
}

func (s *Server) apiDelegations(w http.ResponseWriter, r *http.Request) error {
	list, err := docs.Delegations(r.Context(), s.pool, s.actorOf(r))
	if err != nil {
		return err
	}
	out := make([]delegationJSON, 0, len(list))
	for _, d := range list {
		out = append(out, delegationJSON{ID: d.ID, DelegatorID: d.DelegatorID, Delegator: d.DelegatorName, DelegateID: d.DelegateID,
			Delegate: d.DelegateName, Scope: d.Scope, Prefix: d.Prefix, Competence: d.Competence(),
			StartsOn: d.StartsOn.Format(time.DateOnly), EndsOn: d.EndsOn.Format(time.DateOnly), Note: d.Note, RevokedAt: d.RevokedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"delegations": out})
	return nil
}

func (s *Server) apiDelegate(w http.ResponseWriter, r *http.Request) error {
	var in delegationIn
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	id, err := s.delegate(r, in)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id})
	return nil
}

func (s *Server) apiRevokeDelegation(w http.ResponseWriter, r *http.Request) error {
	if err := s.docs.RevokeDelegation(r.Context(), s.actorOf(r), delegationID(r)); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã thu hồi ủy quyền."})
	return nil
}
