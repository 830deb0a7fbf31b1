package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/notify"
)

// The notifications page: what waits for the signed-in person, marked read one by
// one or all at once, and how they want to hear of it by e-mail. The top bar shows
// the unread count (pageBase.Unread).

// notificationsShown is how many notifications the page and the API list.
const notificationsShown = 100

func (s *Server) routeNotifications(r *mux.Router) {
	s.handle(r, "notifications", "GET", "/notifications", need(access.HomeView), asPage, s.notificationsPage)
	s.handle(r, "notifications.read", "POST", "/notifications/{nid:[0-9]+}/read", need(access.HomeView), asPage, s.readNotification)
	s.handle(r, "notifications.read_all", "POST", "/notifications/read-all", need(access.HomeView), asPage, s.readAllNotifications)
	s.handle(r, "notifications.settings", "POST", "/notifications/settings", need(access.HomeView), asPage, s.saveNotificationSettings)
}

func (s *Server) routeNotificationsAPI(api *mux.Router) {
	s.handle(api, "api.notifications", "GET", "/notifications", need(access.HomeView), asAPI, s.apiNotifications)
	s.handle(api, "api.notifications.read", "POST", "/notifications/{nid:[0-9]+}/read", need(access.HomeView), asAPI, s.apiReadNotification)
	s.handle(api, "api.notifications.settings", "POST", "/notifications/settings", need(access.HomeView), asAPI, s.apiNotificationSettings)
}

type notificationsView struct {
	pageBase
	Items []notify.Notification
	Mode  notify.Mode
	Modes []modeChoice
}

type modeChoice struct {
	Mode  notify.Mode
	Label string
}

var modeChoices = []modeChoice{
	{notify.Immediate, "Gửi thư ngay khi có việc"},
	{notify.Daily, "Chỉ thư tóm tắt hằng ngày (7 giờ sáng)"},
	{notify.Off, "Không gửi thư"},
}

func (s *Server) notificationsPage(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	userID := principalOf(r).User.ID
	items, err := notify.List(ctx, s.pool, userID, notificationsShown)
	if err != nil {
		return err
	}
	mode, err := notify.EmailMode(ctx, s.pool, userID)
	if err != nil {
		return err
	}
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "notifications.html", notificationsView{pageBase: base, Items: items, Mode: mode, Modes: modeChoices})
}

// markRead marks the notification of the URL read, if it is the person's.
func (s *Server) markRead(r *http.Request) error {
	id, _ := strconv.ParseInt(mux.Vars(r)["nid"], 10, 64)
	err := notify.MarkRead(r.Context(), s.pool, principalOf(r).User.ID, id)
	if errors.Is(err, notify.ErrNotFound) {
		return errNotFound
	}
	return err
}

func (s *Server) readNotification(w http.ResponseWriter, r *http.Request) error {
	if err := s.markRead(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

func (s *Server) readAllNotifications(w http.ResponseWriter, r *http.Request) error {
	if err := notify.MarkAllRead(r.Context(), s.pool, principalOf(r).User.ID); err != nil {
		return err
	}
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

// setMode saves the person's e-mail preference.
func (s *Server) setMode(r *http.Request, name string) error {
	mode, err := notify.ParseMode(name)
	if err != nil {
		return badRequest("email_mode_unknown", "Cách nhận thư không hợp lệ: chọn immediate, daily hoặc off.")
	}
	return notify.SetEmailMode(r.Context(), s.pool, principalOf(r).User.ID, mode)
}

func (s *Server) saveNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	if err := s.setMode(r, r.PostFormValue("email_mode")); err != nil {
		return err
	}
	s.setFlash(w, r, false, "Đã lưu cách nhận thông báo qua thư điện tử.")
	http.Redirect(w, r, "/notifications", http.StatusSeeOther)
	return nil
}

// notificationJSON is a notification in the API.
type notificationJSON struct {
	ID         int64   `json:"id"`
	DocumentID *int64  `json:"document_id,omitempty"`
	Kind       string  `json:"kind"`
	Text       string  `json:"text"`
	CreatedAt  string  `json:"created_at"`
	ReadAt     *string `json:"read_at,omitempty"`
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	userID := principalOf(r).User.ID
	items, err := notify.List(ctx, s.pool, userID, notificationsShown)
	if err != nil {
		return err
	}
	unread, err := notify.Unread(ctx, s.pool, userID)
	if err != nil {
		return err
	}
	mode, err := notify.EmailMode(ctx, s.pool, userID)
	if err != nil {
		return err
	}
	out := make([]notificationJSON, len(items))
	for i, n := range items {
		out[i] = notificationJSON{ID: n.ID, DocumentID: n.DocumentID, Kind: string(n.Kind), Text: n.Text, CreatedAt: n.CreatedAt.Format(timeJSON)}
		if n.ReadAt != nil {
			at := n.ReadAt.Format(timeJSON)
			out[i].ReadAt = &at
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"unread": unread, "email_mode": mode, "notifications": out})
	return nil
}

// timeJSON is how the notifications API writes times.
const timeJSON = time.RFC3339

func (s *Server) apiReadNotification(w http.ResponseWriter, r *http.Request) error {
	if err := s.markRead(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"read": true})
	return nil
}

func (s *Server) apiNotificationSettings(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		EmailMode string `json:"email_mode"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if err := s.setMode(r, req.EmailMode); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"email_mode": req.EmailMode})
	return nil
}
