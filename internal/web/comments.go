package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
)

// routeComments declares the form that adds a comment (ý kiến) to a document's thread;
// the thread itself is shown on the document page (templates/comments.html).
func (s *Server) routeComments(r *mux.Router) {
	s.handle(r, "document.comment", "POST", "/documents/{id:[0-9]+}/comments", need(access.DocumentRead), asPage, s.pageComment)
}

// routeCommentsAPI declares the JSON API of comment threads.
func (s *Server) routeCommentsAPI(api *mux.Router) {
	s.handle(api, "api.document.comments", "GET", "/documents/{id:[0-9]+}/comments", need(access.DocumentRead), asAPI, s.apiThread)
	s.handle(api, "api.document.comment", "POST", "/documents/{id:[0-9]+}/comments", need(access.DocumentRead), asAPI, s.apiComment)
}

func (s *Server) pageComment(w http.ResponseWriter, r *http.Request) error {
	_, err := s.docs.AddComment(r.Context(), s.actorOf(r), documentID(r), r.FormValue("body"))
	back := fmt.Sprintf("/documents/%d#y-kien", documentID(r))
	return s.afterForm(w, r, err, back, "Đã gửi ý kiến.", back)
}

// threadEntryJSON is one entry of a thread in the API.
type threadEntryJSON struct {
	Kind     docs.ThreadKind `json:"kind"` // comment, direction (bút phê), progress
	AuthorID int64           `json:"author_id"`
	Author   string          `json:"author"`
	At       time.Time       `json:"at"`
	Text     string          `json:"text"`
	Mentions []int64         `json:"mentions,omitempty"`
	Progress int             `json:"progress,omitempty"`
}

func (s *Server) apiThread(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	thread, err := s.docs.Thread(ctx, s.actorOf(r), documentID(r))
	if err != nil {
		return docsError(err)
	}
	names, err := userNames(ctx, s.pool, principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	out := make([]threadEntryJSON, 0, len(thread))
	for _, e := range thread {
		out = append(out, threadEntryJSON{Kind: e.Kind, AuthorID: e.AuthorID, Author: names[e.AuthorID], At: e.At,
			Text: e.Text, Mentions: e.Mentions, Progress: e.Progress})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": out})
	return nil
}

func (s *Server) apiComment(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	id, err := s.docs.AddComment(r.Context(), s.actorOf(r), documentID(r), in.Body)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "message": "Đã gửi ý kiến."})
	return nil
}
