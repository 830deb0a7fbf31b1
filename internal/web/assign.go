package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// routeAssign declares the pages' hand-over forms: forward (chuyển xử lý) and re-assign.
func (s *Server) routeAssign(r *mux.Router) {
	s.handle(r, "document.forward", "POST", "/documents/{id:[0-9]+}/forward", need(access.IncomingHandle), asPage, s.pageForward)
	s.handle(r, "assignment.reassign", "POST", "/assignments/{aid:[0-9]+}/reassign", need(access.IncomingAssign), asPage, s.pageReassign)
}

// routeAssignAPI declares the same operations in the API, with the hand-over history
// and the choices an assignment form offers.
func (s *Server) routeAssignAPI(api *mux.Router) {
	s.handle(api, "api.document.forward", "POST", "/documents/{id:[0-9]+}/forward", need(access.IncomingHandle), asAPI, s.apiForward)
	s.handle(api, "api.assignment.reassign", "POST", "/assignments/{aid:[0-9]+}/reassign", need(access.IncomingAssign), asAPI, s.apiReassign)
	s.handle(api, "api.document.handovers", "GET", "/documents/{id:[0-9]+}/handovers", need(access.DocumentRead), asAPI, s.apiHandovers)
	s.handle(api, "api.document.assignees", "GET", "/documents/{id:[0-9]+}/assignees", need(access.DocumentRead), asAPI, s.apiAssignees)
}

// assignPanel is what the document page shows of hand-overs: the assignment form's
// choices, the forward and re-assign forms, and the history.
type assignPanel struct {
	Choices     *docs.AssignChoices
	Handovers   []docs.Handover
	CanForward  bool // the viewer holds an open line (named, handler, or head of its unit)
	CanReassign bool // the viewer is the leader and the document is being handled
	Open        []docs.Assignment
	DocID       int64
	CSRF        string
	Today       string
	Names       map[int64]string
	UnitNames   map[int64]string
}

// ProposedDeadline is the default deadline of the chủ trì, yyyy-mm-dd ("" for none).
func (p *assignPanel) ProposedDeadline() string {
	if p.Choices.ProposedDeadline == nil {
		return ""
	}
	return p.Choices.ProposedDeadline.Format(time.DateOnly)
}

// assignPanelOf loads the hand-over panel of an incoming document (nil otherwise).
func (s *Server) assignPanelOf(r *http.Request, d *documentDetail, csrf string, viewerUnit int64) (*assignPanel, error) {
	if d.Record.Direction != docs.Incoming {
		return nil, nil
	}
	a := s.actorOf(r)
	p := &assignPanel{DocID: d.Record.ID, CSRF: csrf, Today: time.Now().Format(time.DateOnly), Names: d.Names, UnitNames: d.UnitNames}
	var err error
	if p.Choices, err = s.docs.Choices(r.Context(), a, d.Record.ID); err != nil {
		return nil, docsError(err)
	}
	if p.Handovers, err = s.docs.Handovers(r.Context(), a, d.Record.ID); err != nil {
		return nil, docsError(err)
	}
	handling := d.Record.IncomingState == docs.InAssigned || d.Record.IncomingState == docs.InProgress
	for _, as := range d.Assignments {
		if as.CompletedAt != nil || !handling {
			continue
		}
		p.Open = append(p.Open, as)
		holds := as.HandlerID == a.UserID || as.UserID == a.UserID ||
			(as.UnitID != 0 && as.UnitID == viewerUnit && s.can(r, access.IncomingAssignUnit))
		if as.Role != docs.RoleInformation && holds {
			p.CanForward = s.can(r, access.IncomingHandle)
		}
	}
	p.CanReassign = handling && s.can(r, access.IncomingAssign)
	return p, nil
}

// assigneeOf reads a form's choice of a unit ("VP") or a person ("user:12").
func assigneeOf(value string) docs.AssignmentInput {
	if id, ok := strings.CutPrefix(value, "user:"); ok {
		userID, _ := strconv.ParseInt(id, 10, 64)
		return docs.AssignmentInput{UserID: userID}
	}
	return docs.AssignmentInput{Unit: value}
}

// assignmentForm reads the leader's assignment form: one chủ trì, units or people to
// coordinate and to inform, each group with its deadline, and the bút phê given to
// every line.
func assignmentForm(r *http.Request) []assignmentJSON {
	note := r.FormValue("note")
	line := func(role docs.AssignmentRole, value, deadline string) assignmentJSON {
		to := assigneeOf(value)
		return assignmentJSON{Role: role, Unit: to.Unit, UserID: to.UserID, Deadline: deadline, Note: note}
	}
	var lines []assignmentJSON
	if lead := r.FormValue("lead_unit"); lead != "" {
		lines = append(lines, line(docs.RoleLead, lead, r.FormValue("lead_deadline")))
	}
	for _, v := range r.Form["coordinate_units"] {
		lines = append(lines, line(docs.RoleCoordinate, v, r.FormValue("coordinate_deadline")))
	}
	for _, v := range r.Form["inform_units"] {
		lines = append(lines, line(docs.RoleInformation, v, ""))
	}
	return lines
}

func (s *Server) pageForward(w http.ResponseWriter, r *http.Request) error {
	to, _ := strconv.ParseInt(r.FormValue("user_id"), 10, 64)
	err := s.docs.Forward(r.Context(), s.actorOf(r), documentID(r), to, r.FormValue("note"))
	back := fmt.Sprintf("/documents/%d", documentID(r))
	return s.afterForm(w, r, err, back, "Đã chuyển xử lý văn bản.", back)
}

func (s *Server) pageReassign(w http.ResponseWriter, r *http.Request) error {
	err := s.reassign(r, assigneeOf(r.FormValue("to")), r.FormValue("deadline"), r.FormValue("note"))
	back := "/documents/" + r.FormValue("document_id")
	return s.afterForm(w, r, err, back, "Đã phân công lại.", back)
}

// reassign parses the optional new deadline and gives the line to its new assignee.
func (s *Server) reassign(r *http.Request, to docs.AssignmentInput, deadline, note string) error {
	if deadline != "" {
		d, err := time.Parse(time.DateOnly, deadline)
		if err != nil {
			return badRequest("deadline_invalid", "Hạn xử lý \""+deadline+"\" không đúng dạng năm-tháng-ngày.")
		}
		to.Deadline = &d
	}
	return s.docs.Reassign(r.Context(), s.actorOf(r), assignmentID(r), to, note)
}

func (s *Server) apiForward(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID int64  `json:"user_id"`
		Note   string `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.docs.Forward(r.Context(), s.actorOf(r), documentID(r), in.UserID, in.Note); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã chuyển xử lý văn bản."})
	return nil
}

func (s *Server) apiReassign(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Unit     string `json:"unit"`
		UserID   int64  `json:"user_id"`
		Deadline string `json:"deadline"`
		Note     string `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.reassign(r, docs.AssignmentInput{Unit: in.Unit, UserID: in.UserID}, in.Deadline, in.Note); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã phân công lại."})
	return nil
}

// handoverJSON is one hand-over in the API.
type handoverJSON struct {
	Kind         docs.HandoverKind   `json:"kind"`
	Label        string              `json:"label"`
	AssignmentID int64               `json:"assignment_id,omitempty"`
	Role         docs.AssignmentRole `json:"role,omitempty"`
	From         string              `json:"from"`
	ToUser       string              `json:"to_user,omitempty"`
	ToUnit       string              `json:"to_unit,omitempty"`
	Deadline     string              `json:"deadline,omitempty"`
	Note         string              `json:"note,omitempty"`
	At           time.Time           `json:"at"`
}

func (s *Server) apiHandovers(w http.ResponseWriter, r *http.Request) error {
	a := s.actorOf(r)
	handovers, err := s.docs.Handovers(r.Context(), a, documentID(r))
	if err != nil {
		return docsError(err)
	}
	users, err := userNames(r.Context(), s.pool, a.AgencyID)
	if err != nil {
		return err
	}
	units, err := unitNames(r.Context(), s.pool, a.AgencyID)
	if err != nil {
		return err
	}
	out := make([]handoverJSON, 0, len(handovers))
	for _, h := range handovers {
		out = append(out, handoverJSON{Kind: h.Kind, Label: h.Kind.Label(), AssignmentID: h.AssignmentID, Role: h.Role,
			From: users[h.FromUserID], ToUser: users[h.ToUserID], ToUnit: units[h.ToUnitID], Deadline: dateString(h.Deadline),
			Note: h.Note, At: h.At})
	}
	writeJSON(w, http.StatusOK, map[string]any{"handovers": out})
	return nil
}

func (s *Server) apiAssignees(w http.ResponseWriter, r *http.Request) error {
	choices, err := s.docs.Choices(r.Context(), s.actorOf(r), documentID(r))
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, choices)
	return nil
}

// Checks gives a group of check boxes of the assignment form its field name.
func (p *assignPanel) Checks(field string) map[string]any {
	return map[string]any{"Choices": p.Choices, "Field": field}
}

// offersStep hides the completion from whoever does not lead the document's handling,
// as the service refuses it: leaders may handle documents, but only the chủ trì (the
// person named or the handler) completes one.
func offersStep(action string, assignments []docs.Assignment, userID int64) bool {
	if action != "complete" {
		return true
	}
	for _, as := range assignments {
		if as.Role == docs.RoleLead && (as.UserID == userID || as.HandlerID == userID) {
			return true
		}
	}
	return false
}
