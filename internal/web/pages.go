package web

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"edms/internal/access"
	"edms/internal/audit"
	"edms/internal/docs"
	"edms/internal/org"
)

// render executes a page template into a buffer first, so a template error never sends
// half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("web: template %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := buf.WriteTo(w)
	return err
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	e := responseFor(w, r, err)
	if rerr := s.errorPage(w, r, e); rerr != nil {
		http.Error(w, e.Message, e.Status)
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if err := s.pool.Ping(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
	return nil
}

const loginCSRFCookie = "edms_login_csrf"

// loginForm shows the sign-in form with a double-submit CSRF token (no session yet).
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) error {
	return s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, message string) error {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: token, Path: "/login", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	return s.render(w, status, "login.html", map[string]any{
		"CSRF": token, "Next": safeNext(r.FormValue("next")), "Message": message, "Username": r.PostFormValue("username"),
	})
}

// safeNext keeps a redirect target only when it is a clean path on this site: one
// leading slash, no "//" (browsers read "/\t/evil.com" as "//evil.com"), no
// backslash, no control character, no scheme or host.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.Contains(next, "//") || strings.ContainsRune(next, '\\') ||
		strings.ContainsFunc(next, unicode.IsControl) {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !validCSRF(r, c.Value) {
		return s.showLogin(w, r, http.StatusForbidden, errBadCSRF.Message)
	}
	ctx := r.Context()
	ip := s.clientIP(r)
	user, err := access.Authenticate(ctx, s.pool, r.PostFormValue("username"), r.PostFormValue("password"), ip)
	switch {
	case errors.Is(err, access.ErrBadCredentials):
		return s.showLogin(w, r, http.StatusUnauthorized, "Tên đăng nhập hoặc mật khẩu không đúng.")
	case errors.Is(err, access.ErrThrottled):
		wait := access.ThrottleWindow
		var throttled *access.ThrottledError
		if errors.As(err, &throttled) {
			wait = throttled.Wait
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		return s.showLogin(w, r, http.StatusTooManyRequests, "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau "+waitText(wait)+".")
	case errors.Is(err, access.ErrDisabled):
		return s.showLogin(w, r, http.StatusForbidden, "Tài khoản đã bị khóa; liên hệ quản trị cơ quan.")
	case err != nil:
		return err
	}
	memberships, err := org.Memberships(ctx, s.pool, user.ID)
	if err != nil {
		return err
	}
	if len(memberships) == 0 {
		return s.showLogin(w, r, http.StatusForbidden, "Tài khoản chưa thuộc cơ quan nào; liên hệ quản trị.")
	}
	token, _, err := access.CreateSession(ctx, s.pool, user.ID, memberships[0].AgencyID, ip, r.UserAgent())
	if err != nil {
		return err
	}
	if err := audit.RecordNow(ctx, s.pool, audit.Entry{ActorID: &user.ID, Actor: user.Username, AgencyID: &memberships[0].AgencyID,
		Action: "session.login", ObjectType: "user", ObjectID: strconv.FormatInt(user.ID, 10), ClientIP: ip}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: int(access.SessionTTL.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Path: "/login", MaxAge: -1})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

// waitText words a wait for people: seconds under a minute, else minutes rounded up.
func waitText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d giây", int(d.Seconds()+0.999))
	}
	return fmt.Sprintf("%d phút", int(d.Minutes()+0.999))
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := access.EndSession(r.Context(), s.pool, c.Value); err != nil {
			return err
		}
	}
	p := principalOf(r)
	if err := audit.RecordNow(r.Context(), s.pool, audit.Entry{ActorID: &p.User.ID, Actor: p.User.Username, AgencyID: &p.AgencyID,
		Action: "session.logout", ObjectType: "user", ObjectID: strconv.FormatInt(p.User.ID, 10), ClientIP: s.clientIP(r)}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r)})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

func (s *Server) switchAgency(w http.ResponseWriter, r *http.Request) error {
	agencyID, err := strconv.ParseInt(r.PostFormValue("agency_id"), 10, 64)
	if err != nil {
		return badRequest("agency_invalid", "Cơ quan được chọn không hợp lệ.")
	}
	c, _ := r.Cookie(sessionCookie)
	if err := access.SwitchAgency(r.Context(), s.pool, c.Value, agencyID); errors.Is(err, access.ErrNotMember) {
		return errForbidden
	} else if err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// homeView is what the signed-in home page shows.
type homeView struct {
	pageBase
	Agency      *org.Agency
	Memberships []org.MembershipView
	Current     org.MembershipView
	Roles       []access.Role
	Can         []string
	Inbox       *docs.Inbox     // what waits for the user, by step, and their deadlines
	Reminders   []docs.Reminder // deadline reminders not yet dismissed
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	if !s.can(r, access.DocumentRead) && s.can(r, access.UserRead) { // the administrator sees no documents
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
		return nil
	}
	ctx := r.Context()
	agency, err := org.AgencyByID(ctx, s.pool, p.AgencyID)
	if err != nil {
		return err
	}
	memberships, err := org.Memberships(ctx, s.pool, p.User.ID)
	if err != nil {
		return err
	}
	roles, err := access.RolesIn(ctx, s.pool, p.User.ID, p.AgencyID)
	if err != nil {
		return err
	}
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	inbox, err := s.docs.WaitingFor(ctx, s.actorOf(r), inboxHorizon)
	if err != nil {
		return docsError(err)
	}
	reminders, err := s.docs.Reminders(ctx, s.actorOf(r))
	if err != nil {
		return docsError(err)
	}
	view := homeView{pageBase: base, Agency: agency, Memberships: memberships, Roles: roles, Inbox: inbox,
		Reminders: reminders}
	for _, m := range memberships {
		if m.AgencyID == p.AgencyID {
			view.Current = m
		}
	}
	for _, perm := range access.AllPermissions() {
		if label, ok := permissionLabels[perm]; ok && s.enforcer.Can(p.User.ID, p.AgencyID, perm) {
			view.Can = append(view.Can, label)
		}
	}
	return s.render(w, http.StatusOK, "home.html", view)
}

// permissionLabels words permissions for the home page.
var permissionLabels = map[access.Permission]string{
	access.OutgoingDraft:      "Soạn thảo văn bản đi",
	access.OutgoingReview:     "Kiểm tra, cho ý kiến dự thảo",
	access.OutgoingApprove:    "Duyệt dự thảo",
	access.OutgoingSign:       "Ký số văn bản (người có thẩm quyền)",
	access.OutgoingIssue:      "Cấp số, ngày văn bản đi",
	access.OutgoingSeal:       "Ký số của cơ quan (văn thư)",
	access.OutgoingSend:       "Phát hành, gửi văn bản đi",
	access.OutgoingRecall:     "Thu hồi văn bản đi",
	access.IncomingReceive:    "Tiếp nhận văn bản đến",
	access.IncomingRegister:   "Vào sổ văn bản đến",
	access.IncomingReturn:     "Trả lại văn bản đến",
	access.IncomingAssign:     "Phân công xử lý văn bản đến",
	access.IncomingAssignUnit: "Giao xử lý trong phòng",
	access.IncomingHandle:     "Xử lý văn bản được giao",
	access.RegisterPrint:      "In sổ đăng ký văn bản",
	access.RecordManage:       "Lập hồ sơ",
	access.ReportRead:         "Xem thống kê, báo cáo",
	access.UserAdmin:          "Quản lý người dùng",
	access.OrgManage:          "Quản lý danh mục cơ quan",
	access.AuditRead:          "Xem nhật ký hệ thống",
}
