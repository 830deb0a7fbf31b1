package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/docs"
)

// statisticsView is the handling report page.
type statisticsView struct {
	pageBase
	From, To  string
	Stats     docs.Statistics
	Names     map[int64]string
	UnitNames map[int64]string
}

// statisticsPage shows the figures a district reports: on-time, online and digitised
// shares, in total, per unit and per person, for a period (this year by default).
func (s *Server) statisticsPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	now := time.Now().In(vietnam)
	from, to := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC), time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for field, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		d, err := parseDate(field, r.URL.Query().Get(field))
		if err != nil {
			return err
		}
		if d != nil {
			*dst = *d
		}
	}
	stats, err := s.docs.Statistics(r.Context(), s.actorOf(r), from, to)
	if err != nil {
		return docsError(err)
	}
	agencyID := principalOf(r).AgencyID
	names, err := userNames(r.Context(), s.pool, agencyID)
	if err != nil {
		return err
	}
	units, err := unitNames(r.Context(), s.pool, agencyID)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "statistics.html", statisticsView{pageBase: base, From: from.Format("2006-01-02"),
		To: to.Format("2006-01-02"), Stats: stats, Names: names, UnitNames: units})
}

func reminderID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["rid"], 10, 64)
	return id
}

func (s *Server) apiReminders(w http.ResponseWriter, r *http.Request) error {
	reminders, err := s.docs.Reminders(r.Context(), s.actorOf(r))
	if err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"reminders": reminders})
	return nil
}

func (s *Server) apiDismissReminder(w http.ResponseWriter, r *http.Request) error {
	if err := s.docs.DismissReminder(r.Context(), s.actorOf(r), reminderID(r)); err != nil {
		return docsError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Đã đánh dấu đã xem."})
	return nil
}

func (s *Server) pageDismissReminder(w http.ResponseWriter, r *http.Request) error {
	err := s.docs.DismissReminder(r.Context(), s.actorOf(r), reminderID(r))
	return s.afterForm(w, r, err, "/", "Đã đánh dấu nhắc việc là đã xem.", "/")
}
