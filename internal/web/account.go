package web

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"edms/internal/access"
)

// Every user changes their own password here, with the project's password rules
// (access.CheckPasswordStrength) and argon2id hashing; their other sessions end.

func (s *Server) routeAccount(r *mux.Router) {
	s.handle(r, "account.password.form", "GET", "/account/password", need(access.HomeView), asPage, s.passwordForm)
	s.handle(r, "account.password", "POST", "/account/password", need(access.HomeView), asPage, s.changePassword)
}

func (s *Server) routeAccountAPI(api *mux.Router) {
	s.handle(api, "api.account.password", "POST", "/account/password", need(access.HomeView), asAPI, s.apiChangePassword)
}

type passwordView struct {
	pageBase
	Error string
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) error {
	return s.showPasswordForm(w, r, http.StatusOK, "")
}

func (s *Server) showPasswordForm(w http.ResponseWriter, r *http.Request, status int, message string) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	return s.render(w, status, "account.html", passwordView{pageBase: base, Error: message})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("password") != r.PostFormValue("confirm") {
		return s.showPasswordForm(w, r, http.StatusBadRequest, "Mật khẩu mới nhập lại không khớp.")
	}
	token, err := s.changeOwnPassword(r, r.PostFormValue("current"), r.PostFormValue("password"))
	var e *apiError
	if errors.As(err, &e) && e.Status == http.StatusBadRequest {
		return s.showPasswordForm(w, r, e.Status, e.Message)
	}
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.secure(r), SameSite: http.SameSiteLaxMode, MaxAge: int(access.SessionTTL.Seconds())})
	s.setFlash(w, r, false, "Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc.")
	http.Redirect(w, r, "/account/password", http.StatusSeeOther)
	return nil
}

// changeOwnPassword changes the signed-in person's password and returns their new
// session token.
func (s *Server) changeOwnPassword(r *http.Request, current, password string) (string, error) {
	p := principalOf(r)
	token, err := access.ChangeOwnPassword(r.Context(), s.pool, p.User.ID, p.AgencyID, current, password, s.adminActor(r), r.UserAgent())
	if errors.Is(err, access.ErrBadCredentials) {
		return "", badRequest("password_current_wrong", "Mật khẩu hiện tại không đúng.")
	}
	return token, accountError(err)
}

// passwordRequest is the body of POST /api/v1/account/password.
type passwordRequest struct {
	Current  string `json:"current_password"`
	Password string `json:"new_password"`
}

func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	var req passwordRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	if _, err := s.changeOwnPassword(r, req.Current, req.Password); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"changed": true})
	return nil
}
