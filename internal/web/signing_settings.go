package web

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
)

// The settings of personal signatures (issue 14): the agency's rule that everyone
// signs with their own key, a person's account at a remote-signing provider and the
// certificates recorded for them — set by the agency's administrator, and by the
// person for their own account.

func (s *Server) routeSigningSettings(r *mux.Router) {
	s.handle(r, "admin.signing", "GET", "/admin/signing", need(access.OrgManage), asPage, s.agencySigningPage)
	s.handle(r, "admin.signing.policy", "POST", "/admin/signing", need(access.OrgManage), asPage, s.setAgencySigningPolicy)
	s.handle(r, "admin.user.signing", "GET", "/admin/users/{id:[0-9]+}/signing", need(access.UserAdmin), asPage, s.memberSigningPage)
	s.handle(r, "admin.user.signing.account", "POST", "/admin/users/{id:[0-9]+}/signing", need(access.UserAdmin), asPage, s.setMemberSigningAccount)
	s.handle(r, "admin.user.identifier", "POST", "/admin/users/{id:[0-9]+}/identifier", need(access.UserAdmin), asPage, s.setMemberIdentifier)
	s.handleUpload(r, "admin.user.certificate", "/admin/users/{id:[0-9]+}/certificates", need(access.UserAdmin), asPage,
		uploadBody(certificateLimit), s.importMemberCertificate)
	s.handle(r, "account.signing", "GET", "/account/signing", need(access.HomeView), asPage, s.ownSigningPage)
	s.handle(r, "account.signing.account", "POST", "/account/signing", need(access.HomeView), asPage, s.setOwnSigningAccount)
}

// certificateLimit bounds an uploaded certificate file.
const certificateLimit = 64 << 10

// signingSettingsView is the page of one person's signing settings.
type signingSettingsView struct {
	pageBase
	Person       *org.User
	Admin        bool // the administrator's page of a member, not the person's own
	Action       string
	Provider     string
	Account      string
	Identifier   string // mã định danh / CCCD, set by the administrator
	Providers    []providerOption
	Certificates []docs.PersonCertificate
}

type providerOption struct{ ID, Name string }

// agencySigningView is the agency's signing rule.
type agencySigningView struct {
	pageBase
	Required bool
}

func (s *Server) agencySigningPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	required, err := s.docs.PersonalKeysRequired(r.Context(), principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "signing-agency", agencySigningView{pageBase: base, Required: required})
}

func (s *Server) setAgencySigningPolicy(w http.ResponseWriter, r *http.Request) error {
	required := r.PostFormValue("require_personal_keys") == "1"
	err := s.docs.SetPersonalKeysRequired(r.Context(), s.actorOf(r), principalOf(r).AgencyID, required)
	done := "Từ nay mỗi người ký bằng khóa của chính mình (USB token hoặc ký số từ xa)."
	if !required {
		done = "Cơ quan cho phép ký bằng khóa do máy chủ giữ (chỉ nên dùng cho bản trình diễn)."
	}
	return s.afterForm(w, r, err, "/admin/signing", done, "/admin/signing")
}

func (s *Server) memberSigningPage(w http.ResponseWriter, r *http.Request) error {
	u, _, err := s.member(r)
	if err != nil {
		return err
	}
	return s.signingSettings(w, r, u, true)
}

func (s *Server) ownSigningPage(w http.ResponseWriter, r *http.Request) error {
	return s.signingSettings(w, r, principalOf(r).User, false)
}

// signingSettings shows a person's provider account and certificates.
func (s *Server) signingSettings(w http.ResponseWriter, r *http.Request, u *org.User, admin bool) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	view := signingSettingsView{pageBase: base, Person: u, Admin: admin, Action: "/account/signing"}
	if admin {
		view.Action = fmt.Sprintf("/admin/users/%d/signing", u.ID)
	}
	if view.Identifier, err = s.docs.Identifier(r.Context(), s.actorOf(r), u.ID); err != nil {
		return docsError(err)
	}
	if view.Provider, view.Account, err = s.docs.SigningAccount(r.Context(), u.ID); err != nil {
		return docsError(err)
	}
	if view.Certificates, err = s.docs.PersonCertificates(r.Context(), s.actorOf(r), u.ID); err != nil {
		return docsError(err)
	}
	if s.Providers != nil {
		for _, p := range s.Providers.List() {
			view.Providers = append(view.Providers, providerOption{p.ID(), p.Name()})
		}
	}
	return s.render(w, http.StatusOK, "signing-person", view)
}

func (s *Server) setMemberSigningAccount(w http.ResponseWriter, r *http.Request) error {
	u, _, err := s.member(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/admin/users/%d/signing", u.ID)
	err = s.docs.SetSigningAccount(r.Context(), s.actorOf(r), u.ID, r.PostFormValue("provider"), r.PostFormValue("account"))
	return s.afterForm(w, r, err, back, "Đã lưu tài khoản ký số từ xa.", back)
}

func (s *Server) setMemberIdentifier(w http.ResponseWriter, r *http.Request) error {
	u, _, err := s.member(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/admin/users/%d/signing", u.ID)
	err = s.docs.SetIdentifier(r.Context(), s.actorOf(r), u.ID, r.PostFormValue("identifier"))
	return s.afterForm(w, r, err, back, "Đã lưu mã định danh cá nhân của "+u.FullName+".", back)
}

func (s *Server) setOwnSigningAccount(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	err := s.docs.SetSigningAccount(r.Context(), s.actorOf(r), p.User.ID, r.PostFormValue("provider"), r.PostFormValue("account"))
	return s.afterForm(w, r, err, "/account/signing", "Đã lưu tài khoản ký số từ xa của bạn.", "/account/signing")
}

// importMemberCertificate records a member's certificate file (PEM or DER).
func (s *Server) importMemberCertificate(w http.ResponseWriter, r *http.Request) error {
	u, _, err := s.member(r)
	if err != nil {
		return err
	}
	back := "/admin/users/" + strconv.FormatInt(u.ID, 10) + "/signing"
	file, _, err := r.FormFile("certificate")
	if err != nil {
		s.setFlash(w, r, true, "Hãy chọn tệp chứng thư số (.cer, .crt hoặc .pem).")
		http.Redirect(w, r, back, http.StatusSeeOther)
		return nil
	}
	defer file.Close()
	data, err := io.ReadAll(file)
	if err != nil {
		return err
	}
	err = s.docs.ImportPersonCertificate(r.Context(), s.actorOf(r), u.ID, data)
	return s.afterForm(w, r, err, back, "Đã ghi nhận chứng thư số của "+u.FullName+".", back)
}

// certificateSources name where a person's certificate was recorded from.
var certificateSources = map[string]string{
	docs.CertificateFirstUse: "ghi nhận khi ký lần đầu",
	docs.CertificateAdmin:    "quản trị nhập",
}

// CertificateSource words a certificate's source.
func (v signingSettingsView) CertificateSource(source string) string {
	if label, ok := certificateSources[source]; ok {
		return label
	}
	return source
}
