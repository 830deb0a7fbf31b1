package web

import (
	"net/http"

	"github.com/gorilla/mux"

	"edms/internal/access"
)

// inboxHorizon is how many days ahead the deadline list looks.
const inboxHorizon = 7

// routeInboxAPI declares the person's work list: what waits for them, by step, with
// counts, and their deadlines.
func (s *Server) routeInboxAPI(api *mux.Router) {
	s.handle(api, "api.me.inbox", "GET", "/me/inbox", need(access.HomeView), asAPI, s.apiMyInbox)
}

func (s *Server) apiMyInbox(w http.ResponseWriter, r *http.Request) error {
	box, err := s.docs.WaitingFor(r.Context(), s.actorOf(r), inboxHorizon)
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, box)
	return nil
}
