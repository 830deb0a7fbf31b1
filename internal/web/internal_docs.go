package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
)

// routeInternal declares the pages of internal documents (văn bản nội bộ): the lists
// of what was sent to the user and what they sent, and per document the form that
// sends it inside the agency with the tracking of its recipients.
func (s *Server) routeInternal(r *mux.Router) {
	read := need(access.DocumentRead)
	s.handle(r, "internal", "GET", "/internal", read, asPage, s.internalPage)
	s.handle(r, "internal.document", "GET", "/internal/documents/{id:[0-9]+}", read, asPage, s.internalDocumentPage)
	s.handle(r, "internal.send", "POST", "/internal/documents/{id:[0-9]+}/send", read, asPage, s.pageDistribute)
	s.handle(r, "internal.handled", "POST", "/internal/documents/{id:[0-9]+}/handled", read, asPage, s.pageInternalHandled)
}

// routeInternalAPI declares the JSON API of internal documents.
func (s *Server) routeInternalAPI(api *mux.Router) {
	read := need(access.DocumentRead)
	s.handle(api, "api.internal", "GET", "/internal", read, asAPI, s.apiInternalList)
	s.handle(api, "api.internal.recipients", "GET", "/documents/{id:[0-9]+}/internal", read, asAPI, s.apiInternalRecipients)
	s.handle(api, "api.internal.send", "POST", "/documents/{id:[0-9]+}/internal", read, asAPI, s.apiDistribute)
	s.handle(api, "api.internal.read", "POST", "/documents/{id:[0-9]+}/internal/read", read, asAPI, s.apiInternalRead)
	s.handle(api, "api.internal.handled", "POST", "/documents/{id:[0-9]+}/internal/handled", read, asAPI, s.apiInternalHandled)
}

// internalView is the internal documents page: received and sent.
type internalView struct {
	pageBase
	Received, Sent []docs.InternalItem
	Names          map[int64]string
}

// internalList is one list of the internal documents page.
type internalList struct {
	Box   string // received or sent
	Items []docs.InternalItem
	Names map[int64]string
}

// ReceivedList is the list of what was sent to the viewer or their unit.
func (v internalView) ReceivedList() internalList {
	return internalList{"received", v.Received, v.Names}
}

// SentList is the list of what the viewer sent.
func (v internalView) SentList() internalList { return internalList{"sent", v.Sent, v.Names} }

func (s *Server) internalPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	view := internalView{pageBase: base}
	a := s.actorOf(r)
	if view.Received, err = s.docs.InternalReceived(r.Context(), a); err != nil {
		return docsError(err)
	}
	if view.Sent, err = s.docs.InternalSent(r.Context(), a); err != nil {
		return docsError(err)
	}
	if view.Names, err = userNames(r.Context(), s.pool, a.AgencyID); err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "internal.html", view)
}

// internalDocumentView is one document's internal distribution.
type internalDocumentView struct {
	pageBase
	Record     *docs.Record
	Recipients []docs.InternalRecipient
	CanSend    bool // decided: may be sent inside the agency
	IsReceiver bool // sent to the viewer or their unit, not yet reported handled
	Units      []org.Unit
	Members    []memberView
	Names      map[int64]string
	UnitNames  map[int64]string
}

// internalDocumentPage shows who was sent a document and what they did with it; a
// recipient opening it is recorded as having read it.
func (s *Server) internalDocumentPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	ctx, a, id := r.Context(), s.actorOf(r), documentID(r)
	if err := s.docs.MarkInternalRead(ctx, a, id); err != nil {
		return docsError(err)
	}
	rec, err := s.docs.Get(ctx, a, id)
	if err != nil {
		return docsError(err)
	}
	view := internalDocumentView{pageBase: base, Record: rec, CanSend: docs.Distributable(rec) && !rec.Secrecy.Secret()}
	if view.Recipients, err = s.docs.InternalRecipients(ctx, a, id); err != nil {
		return docsError(err)
	}
	if view.Units, err = org.Units(ctx, s.pool, rec.AgencyID); err != nil {
		return err
	}
	if view.Members, err = s.members(r, rec.AgencyID); err != nil {
		return err
	}
	if view.Names, err = userNames(ctx, s.pool, rec.AgencyID); err != nil {
		return err
	}
	if view.UnitNames, err = unitNames(ctx, s.pool, rec.AgencyID); err != nil {
		return err
	}
	view.IsReceiver = view.pendingReceiver(base.User.ID)
	return s.render(w, http.StatusOK, "internal_document.html", view)
}

// pendingReceiver reports whether the viewer, in person or through their unit, was
// sent the document and has not reported it handled.
func (v internalDocumentView) pendingReceiver(userID int64) bool {
	var unit int64
	for _, m := range v.Members {
		if m.ID == userID {
			unit = m.UnitID
		}
	}
	for _, rc := range v.Recipients {
		if rc.HandledAt == nil && (rc.UserID == userID || (rc.UnitID != 0 && rc.UnitID == unit)) {
			return true
		}
	}
	return false
}

func internalPath(r *http.Request) string {
	return fmt.Sprintf("/internal/documents/%d", documentID(r))
}

// formIDs reads the ids a multiple-choice field sent.
func formIDs(r *http.Request, field string) []int64 {
	var ids []int64
	for _, v := range r.Form[field] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Server) pageDistribute(w http.ResponseWriter, r *http.Request) error {
	in := docs.InternalInput{UnitIDs: formIDs(r, "unit_id"), UserIDs: formIDs(r, "user_id"), Note: r.FormValue("note")}
	err := s.docs.Distribute(r.Context(), s.actorOf(r), documentID(r), in)
	return s.afterForm(w, r, err, internalPath(r), "Đã gửi văn bản nội bộ.", internalPath(r))
}

func (s *Server) pageInternalHandled(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.MarkInternalHandled(r.Context(), s.actorOf(r), documentID(r), r.FormValue("note"))
	return s.afterForm(w, r, err, internalPath(r), "Đã báo xử lý xong.", internalPath(r))
}

// internalItemJSON is an internal document in a list of the API.
type internalItemJSON struct {
	Document   documentOut `json:"document"`
	SentBy     int64       `json:"sent_by"`
	SentAt     time.Time   `json:"sent_at"`
	Recipients int         `json:"recipients"`
	Read       int         `json:"read"`
	Handled    int         `json:"handled"`
}

func (s *Server) apiInternalList(w http.ResponseWriter, r *http.Request) error {
	list := s.docs.InternalReceived
	switch r.URL.Query().Get("box") {
	case "", "received":
	case "sent":
		list = s.docs.InternalSent
	default:
		return badRequest("box_invalid", "Tham số box phải là received hoặc sent.")
	}
	items, err := list(r.Context(), s.actorOf(r))
	if err != nil {
		return docsError(err)
	}
	out := make([]internalItemJSON, 0, len(items))
	for _, it := range items {
		out = append(out, internalItemJSON{Document: toDocumentOut(it.Document), SentBy: it.SentBy, SentAt: it.SentAt,
			Recipients: it.Recipients, Read: it.Read, Handled: it.Handled})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

// internalRecipientJSON is a recipient of an internal document in the API.
type internalRecipientJSON struct {
	UnitID      int64      `json:"unit_id,omitempty"`
	UserID      int64      `json:"user_id,omitempty"`
	Note        string     `json:"note"`
	SentBy      int64      `json:"sent_by"`
	SentAt      time.Time  `json:"sent_at"`
	ReadBy      int64      `json:"read_by,omitempty"`
	ReadAt      *time.Time `json:"read_at"`
	HandledBy   int64      `json:"handled_by,omitempty"`
	HandledAt   *time.Time `json:"handled_at"`
	HandledNote string     `json:"handled_note"`
}

func (s *Server) apiInternalRecipients(w http.ResponseWriter, r *http.Request) error {
	recipients, err := s.docs.InternalRecipients(r.Context(), s.actorOf(r), documentID(r))
	if err != nil {
		return docsError(err)
	}
	out := make([]internalRecipientJSON, 0, len(recipients))
	for _, rc := range recipients {
		out = append(out, internalRecipientJSON{UnitID: rc.UnitID, UserID: rc.UserID, Note: rc.Note, SentBy: rc.SentBy, SentAt: rc.SentAt,
			ReadBy: rc.ReadBy, ReadAt: rc.ReadAt, HandledBy: rc.HandledBy, HandledAt: rc.HandledAt, HandledNote: rc.HandledNote})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiDistribute(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UnitIDs []int64 `json:"unit_ids"`
		UserIDs []int64 `json:"user_ids"`
		Note    string  `json:"note"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	err := s.docs.Distribute(r.Context(), s.actorOf(r), documentID(r), docs.InternalInput{UnitIDs: in.UnitIDs, UserIDs: in.UserIDs, Note: in.Note})
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã gửi văn bản nội bộ."})
	return nil
}

func (s *Server) apiInternalRead(w http.ResponseWriter, r *http.Request) error {
	if err := s.docs.MarkInternalRead(r.Context(), s.actorOf(r), documentID(r)); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã ghi nhận đã đọc."})
	return nil
}

func (s *Server) apiInternalHandled(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Note string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	if err := s.docs.MarkInternalHandled(r.Context(), s.actorOf(r), documentID(r), in.Note); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã báo xử lý xong."})
	return nil
}
