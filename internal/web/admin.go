package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5"

	"edms/internal/access"
	"edms/internal/org"
)

// The administration pages of quan_tri: the people of the current agency (add,
// place in a unit with roles, disable and enable, reset a password), and the agency
// directory with its units. They do from the browser what `edms user` and `edms org`
// do from the command line, through the same functions of internal/access and
// internal/org.

func (s *Server) routeAdmin(r *mux.Router) {
	s.handle(r, "admin.users", "GET", "/admin", need(access.UserRead), asPage, s.adminUsersPage)
	s.handle(r, "admin.users.create", "POST", "/admin/users", need(access.UserAdmin), asPage, s.adminCreateUser)
	s.handle(r, "admin.user", "GET", "/admin/users/{id:[0-9]+}", need(access.UserRead), asPage, s.adminUserPage)
	s.handle(r, "admin.user.placement", "POST", "/admin/users/{id:[0-9]+}/placement", need(access.UserAdmin), asPage, s.adminSetPlacement)
	s.handle(r, "admin.user.state", "POST", "/admin/users/{id:[0-9]+}/state", need(access.UserAdmin), asPage, s.adminSetState)
	s.handle(r, "admin.user.password", "POST", "/admin/users/{id:[0-9]+}/password", need(access.UserAdmin), asPage, s.adminResetPassword)
	s.handle(r, "admin.user.token", "POST", "/admin/users/{id:[0-9]+}/token", need(access.UserAdmin), asPage, s.adminIssueToken)
	s.handleUpload(r, "admin.agencies.import", "/admin/agencies/import", need(access.OrgManage), asPage, uploadBody(directoryLimit), s.adminImportDirectory)
	s.handle(r, "admin.agencies", "GET", "/admin/agencies", need(access.OrgManage), asPage, s.adminAgenciesPage)
	s.handle(r, "admin.agencies.save", "POST", "/admin/agencies", need(access.OrgManage), asPage, s.adminSaveAgency)
	s.handle(r, "admin.agency", "GET", "/admin/agencies/{id:[0-9]+}", need(access.OrgManage), asPage, s.adminAgencyPage)
	s.handle(r, "admin.agency.unit", "POST", "/admin/agencies/{id:[0-9]+}/units", need(access.OrgManage), asPage, s.adminSaveUnit)
}

// memberRow is a person on the administrator's list.
type memberRow struct {
	org.AgencyMember
	Roles []access.Role
}

// userForm is what the add-user form sent, kept to show it again after an error.
type userForm struct {
	Username, FullName, Email, Position string
	UnitID                              int64
	Roles                               map[access.Role]bool
}

type adminUsersView struct {
	pageBase
	Agency    *org.Agency
	Members   []memberRow
	Units     []org.Unit
	AllRoles  []access.Role
	Form      userForm
	Error     string
	CanManage bool
	CanAudit  bool
}

func allRoles() []access.Role {
	roles := make([]access.Role, len(access.Roles))
	for i, r := range access.Roles {
		roles[i] = r.Role
	}
	return roles
}

func (s *Server) adminUsersPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAdminUsers(w, r, http.StatusOK, userForm{Roles: map[access.Role]bool{access.ChuyenVien: true}}, "")
}

func (s *Server) showAdminUsers(w http.ResponseWriter, r *http.Request, status int, form userForm, message string) error {
	ctx := r.Context()
	p := principalOf(r)
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	agency, err := org.AgencyByID(ctx, s.pool, p.AgencyID)
	if err != nil {
		return err
	}
	members, err := org.AgencyMembers(ctx, s.pool, p.AgencyID)
	if err != nil {
		return err
	}
	rows := make([]memberRow, len(members))
	for i, m := range members {
		rows[i].AgencyMember = m
		if rows[i].Roles, err = access.RolesIn(ctx, s.pool, m.ID, p.AgencyID); err != nil {
			return err
		}
	}
	units, err := org.Units(ctx, s.pool, p.AgencyID)
	if err != nil {
		return err
	}
	return s.render(w, status, "admin_users.html", adminUsersView{pageBase: base, Agency: agency, Members: rows, Units: units,
		AllRoles: allRoles(), Form: form, Error: message, CanManage: s.can(r, access.UserAdmin), CanAudit: s.can(r, access.AuditRead)})
}

// placementForm reads the unit, position and roles of a form into a placement in the
// current agency.
func placementForm(r *http.Request) (access.Placement, map[access.Role]bool) {
	p := access.Placement{AgencyID: principalOf(r).AgencyID, Position: strings.TrimSpace(r.PostFormValue("position"))}
	if id, err := strconv.ParseInt(r.PostFormValue("unit_id"), 10, 64); err == nil && id > 0 {
		p.UnitID = &id
	}
	checked := map[access.Role]bool{}
	for _, name := range r.PostForm["role"] {
		if role, err := access.ParseRole(name); err == nil {
			p.Roles = append(p.Roles, role)
			checked[role] = true
		}
	}
	return p, checked
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request) error {
	place, checked := placementForm(r)
	form := userForm{Username: strings.TrimSpace(r.PostFormValue("username")), FullName: strings.TrimSpace(r.PostFormValue("full_name")),
		Email: strings.TrimSpace(r.PostFormValue("email")), Position: place.Position, Roles: checked}
	if place.UnitID != nil {
		form.UnitID = *place.UnitID
	}
	if len(place.Roles) == 0 {
		return s.showAdminUsers(w, r, http.StatusBadRequest, form, "Chọn ít nhất một vai trò.")
	}
	u := &org.User{Username: strings.ToLower(form.Username), FullName: form.FullName, Email: form.Email}
	err := access.CreateAccount(r.Context(), s.pool, u, r.PostFormValue("password"), []access.Placement{place}, s.adminActor(r))
	if message := adminMessage(err); message != "" {
		return s.showAdminUsers(w, r, http.StatusBadRequest, form, message)
	}
	if err == nil {
		err = s.enforcer.Reload() // this node applies the roles at once; the others on their policy notification
	}
	if err != nil {
		return err
	}
	s.setFlash(w, r, false, "Đã tạo tài khoản "+u.Username+" ("+u.FullName+").")
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}

// adminMessage words a refused administrative change for the page ("" when err is
// not a refusal).
func adminMessage(err error) string {
	var e *apiError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, org.ErrUnitNotFound):
		return "Phòng/đơn vị được chọn không thuộc cơ quan."
	case errors.Is(err, access.ErrOwnAdminRole):
		return "Bạn không thể tự bỏ vai trò Quản trị của mình."
	case errors.As(accountError(err), &e):
		return e.Message
	}
	return ""
}

func (s *Server) adminActor(r *http.Request) access.Actor {
	p := principalOf(r)
	return access.Actor{UserID: &p.User.ID, Name: p.User.Username, ClientIP: s.clientIP(r)}
}

type adminUserView struct {
	pageBase
	Member    *org.User
	Current   org.MembershipView
	UnitID    int64 // the member's unit in the agency, 0 for none
	Units     []org.Unit
	AllRoles  []access.Role
	Checked   map[access.Role]bool
	CanManage bool
	Self      bool
	Token     string // an API token just issued, shown once
}

// member finds the person of the URL among the current agency's members.
func (s *Server) member(r *http.Request) (*org.User, org.MembershipView, error) {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	memberships, err := org.Memberships(r.Context(), s.pool, id)
	if err != nil {
		return nil, org.MembershipView{}, err
	}
	for _, m := range memberships {
		if m.AgencyID == principalOf(r).AgencyID {
			u, err := org.UserByID(r.Context(), s.pool, id)
			return u, m, err
		}
	}
	return nil, org.MembershipView{}, errNotFound
}

func (s *Server) adminUserPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAdminUser(w, r, "")
}

func (s *Server) showAdminUser(w http.ResponseWriter, r *http.Request, token string) error {
	u, m, err := s.member(r)
	if err != nil {
		return err
	}
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	roles, err := access.RolesIn(r.Context(), s.pool, u.ID, m.AgencyID)
	if err != nil {
		return err
	}
	units, err := org.Units(r.Context(), s.pool, m.AgencyID)
	if err != nil {
		return err
	}
	checked := map[access.Role]bool{}
	for _, role := range roles {
		checked[role] = true
	}
	var unitID int64
	if m.UnitID != nil {
		unitID = *m.UnitID
	}
	return s.render(w, http.StatusOK, "admin_user.html", adminUserView{pageBase: base, Member: u, Current: m, UnitID: unitID, Units: units,
		AllRoles: allRoles(), Checked: checked, CanManage: s.can(r, access.UserAdmin), Self: u.ID == principalOf(r).User.ID, Token: token})
}

// adminUserDone reports the outcome of a change to a member on their page.
func (s *Server) adminUserDone(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if message := adminMessage(err); message != "" {
		s.setFlash(w, r, true, message)
	} else if errors.Is(err, org.ErrUserNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	} else {
		s.setFlash(w, r, false, done)
	}
	http.Redirect(w, r, "/admin/users/"+mux.Vars(r)["id"], http.StatusSeeOther)
	return nil
}

func memberID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(mux.Vars(r)["id"], 10, 64)
	return id
}

func (s *Server) adminSetPlacement(w http.ResponseWriter, r *http.Request) error {
	place, _ := placementForm(r)
	err := s.setPlacement(r, place)
	return s.adminUserDone(w, r, err, "Đã lưu phòng/đơn vị, chức vụ và vai trò.")
}

// setPlacement saves a member's placement and roles and applies the roles on this
// node at once (the others reload on the policy notification).
func (s *Server) setPlacement(r *http.Request, place access.Placement) error {
	if err := access.SetPlacement(r.Context(), s.pool, memberID(r), place, s.adminActor(r)); err != nil {
		return err
	}
	return s.enforcer.Reload()
}

func (s *Server) adminSetState(w http.ResponseWriter, r *http.Request) error {
	disable := r.PostFormValue("disabled") == "1"
	if disable && memberID(r) == principalOf(r).User.ID {
		s.setFlash(w, r, true, "Bạn không thể tự khóa tài khoản của mình.")
		http.Redirect(w, r, "/admin/users/"+mux.Vars(r)["id"], http.StatusSeeOther)
		return nil
	}
	err := access.SetDisabled(r.Context(), s.pool, memberID(r), principalOf(r).AgencyID, disable, s.adminActor(r))
	done := "Đã mở khóa tài khoản."
	if disable {
		done = "Đã khóa tài khoản; các phiên đăng nhập của người này đã kết thúc."
	}
	return s.adminUserDone(w, r, err, done)
}

func (s *Server) adminResetPassword(w http.ResponseWriter, r *http.Request) error {
	err := access.ResetPassword(r.Context(), s.pool, memberID(r), principalOf(r).AgencyID, r.PostFormValue("password"), s.adminActor(r))
	return s.adminUserDone(w, r, err, "Đã đặt mật khẩu mới; hãy báo cho người dùng và đề nghị họ đổi mật khẩu khi đăng nhập.")
}

type adminAgenciesView struct {
	pageBase
	Tree   []org.TreeEntry
	Form   org.Agency
	Parent int64 // the form's parent agency, 0 for none
	Units  []org.Unit
	Error  string
	Import *org.ImportReport // the outcome of a directory just imported
}

func (s *Server) adminAgenciesPage(w http.ResponseWriter, r *http.Request) error {
	return s.showAgencies(w, r, http.StatusOK, org.Agency{}, "", nil)
}

func (s *Server) adminAgencyPage(w http.ResponseWriter, r *http.Request) error {
	a, err := org.AgencyByID(r.Context(), s.pool, memberID(r))
	if errors.Is(err, org.ErrAgencyNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return s.showAgencies(w, r, http.StatusOK, *a, "", nil)
}

func (s *Server) showAgencies(w http.ResponseWriter, r *http.Request, status int, form org.Agency, message string, report *org.ImportReport) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	tree, err := org.AgencyTree(r.Context(), s.pool)
	if err != nil {
		return err
	}
	view := adminAgenciesView{pageBase: base, Tree: tree, Form: form, Error: message, Import: report}
	if form.ParentID != nil {
		view.Parent = *form.ParentID
	}
	if form.ID != 0 {
		if view.Units, err = org.Units(r.Context(), s.pool, form.ID); err != nil {
			return err
		}
	}
	return s.render(w, status, "admin_agencies.html", view)
}

func (s *Server) adminSaveAgency(w http.ResponseWriter, r *http.Request) error {
	a := org.Agency{OrganID: r.PostFormValue("organ_id"), Name: r.PostFormValue("name"), Abbreviation: r.PostFormValue("abbreviation"),
		Address: r.PostFormValue("address"), Email: r.PostFormValue("email"), Phone: r.PostFormValue("phone")}
	if parent, err := strconv.ParseInt(r.PostFormValue("parent_id"), 10, 64); err == nil && parent > 0 {
		a.ParentID = &parent
	}
	if _, err := a.Validate(); err != nil {
		return s.showAgencies(w, r, http.StatusBadRequest, a, "Kiểm tra mã định danh (dạng 000.00.00.H00), tên cơ quan và tên viết tắt (1–20 chữ cái hoặc chữ số, không dấu cách).", nil)
	}
	change, err := s.saveAgency(r, &a)
	if err != nil {
		return err
	}
	s.setFlash(w, r, false, map[org.Change]string{org.ChangeCreated: "Đã thêm cơ quan ", org.ChangeUpdated: "Đã cập nhật cơ quan ",
		org.ChangeNone: "Không có thay đổi: "}[change]+a.Name+".")
	http.Redirect(w, r, "/admin/agencies/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) adminSaveUnit(w http.ResponseWriter, r *http.Request) error {
	a, err := org.AgencyByID(r.Context(), s.pool, memberID(r))
	if errors.Is(err, org.ErrAgencyNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	u := org.Unit{AgencyID: a.ID, Name: r.PostFormValue("name"), Abbreviation: r.PostFormValue("abbreviation")}
	if _, err := org.SaveUnit(r.Context(), s.pool, &u); err != nil {
		s.setFlash(w, r, true, "Không lưu được phòng/đơn vị: cần tên, tên viết tắt 1–20 chữ cái hoặc chữ số không dấu cách, và tên chưa dùng cho phòng khác.")
	} else {
		s.setFlash(w, r, false, "Đã lưu phòng/đơn vị "+u.Name+" ("+u.Abbreviation+").")
	}
	http.Redirect(w, r, "/admin/agencies/"+strconv.FormatInt(a.ID, 10), http.StatusSeeOther)
	return nil
}

// saveAgency creates or updates the agency in one transaction (the parent chain is
// checked in it).
func (s *Server) saveAgency(r *http.Request, a *org.Agency) (change org.Change, err error) {
	err = pgx.BeginFunc(r.Context(), s.pool, func(tx pgx.Tx) error {
		change, _, err = org.SaveAgency(r.Context(), tx, a)
		return err
	})
	return change, err
}

// The same administration in the JSON API.
func (s *Server) routeAdminAPI(api *mux.Router) {
	s.handle(api, "api.user.placement", "POST", "/users/{id:[0-9]+}/placement", need(access.UserAdmin), asAPI, s.apiSetPlacement)
	s.handle(api, "api.user.disable", "POST", "/users/{id:[0-9]+}/disable", need(access.UserAdmin), asAPI, s.apiSetState(true))
	s.handle(api, "api.user.enable", "POST", "/users/{id:[0-9]+}/enable", need(access.UserAdmin), asAPI, s.apiSetState(false))
	s.handle(api, "api.user.password", "POST", "/users/{id:[0-9]+}/password", need(access.UserAdmin), asAPI, s.apiResetPassword)
	s.handle(api, "api.user.token", "POST", "/users/{id:[0-9]+}/token", need(access.UserAdmin), asAPI, s.apiIssueToken)
	s.handle(api, "api.agencies.save", "POST", "/agencies", need(access.OrgManage), asAPI, s.apiSaveAgency)
	s.handle(api, "api.units.save", "POST", "/agencies/{organID}/units", need(access.OrgManage), asAPI, s.apiSaveUnit)
}

// apiAdminDone answers an administrative change to a member.
func apiAdminDone(w http.ResponseWriter, err error) error {
	switch message := adminMessage(err); {
	case message != "":
		return badRequest("refused", message)
	case errors.Is(err, org.ErrUserNotFound):
		return errNotFound
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"done": true})
	return nil
}

// placementRequest is the body of POST /api/v1/users/{id}/placement.
type placementRequest struct {
	Unit     string   `json:"unit"` // abbreviation of a unit of the current agency; "" for none
	Position string   `json:"position"`
	Roles    []string `json:"roles"`
}

func (s *Server) apiSetPlacement(w http.ResponseWriter, r *http.Request) error {
	var req placementRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	place, err := s.memberPlacementFromAPI(r, req.Unit, req.Position, req.Roles)
	if err != nil {
		return err
	}
	return apiAdminDone(w, s.setPlacement(r, place))
}

// memberPlacementFromAPI reads a member's placement in the current agency from the API's names.
func (s *Server) memberPlacementFromAPI(r *http.Request, unit, position string, roles []string) (access.Placement, error) {
	p := principalOf(r)
	place := access.Placement{AgencyID: p.AgencyID, Position: position}
	if unit != "" {
		u, err := org.UnitByAbbreviation(r.Context(), s.pool, p.AgencyID, unit)
		if err != nil {
			return place, badRequest("unit_unknown", "Không có phòng/đơn vị viết tắt \""+unit+"\" trong cơ quan.")
		}
		place.UnitID = &u.ID
	}
	for _, name := range roles {
		role, err := access.ParseRole(name)
		if err != nil {
			return place, badRequest("role_unknown", "Vai trò \""+name+"\" không tồn tại; dùng: van_thu, chuyen_vien, lanh_dao_phong, lanh_dao, quan_tri.")
		}
		place.Roles = append(place.Roles, role)
	}
	return place, nil
}

func (s *Server) apiSetState(disable bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if disable && memberID(r) == principalOf(r).User.ID {
			return badRequest("refused", "Bạn không thể tự khóa tài khoản của mình.")
		}
		return apiAdminDone(w, access.SetDisabled(r.Context(), s.pool, memberID(r), principalOf(r).AgencyID, disable, s.adminActor(r)))
	}
}

func (s *Server) apiResetPassword(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	return apiAdminDone(w, access.ResetPassword(r.Context(), s.pool, memberID(r), principalOf(r).AgencyID, req.Password, s.adminActor(r)))
}

// agencyRequest is the body of POST /api/v1/agencies.
type agencyRequest struct {
	OrganID      string `json:"organ_id"`
	Name         string `json:"name"`
	Abbreviation string `json:"abbreviation"`
	Parent       string `json:"parent_organ_id"`
	Address      string `json:"address"`
	Email        string `json:"email"`
	Phone        string `json:"phone"`
}

func (s *Server) apiSaveAgency(w http.ResponseWriter, r *http.Request) error {
	var req agencyRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	a := org.Agency{OrganID: req.OrganID, Name: req.Name, Abbreviation: req.Abbreviation, Address: req.Address, Email: req.Email, Phone: req.Phone}
	if req.Parent != "" {
		parent, err := org.AgencyByOrganID(r.Context(), s.pool, req.Parent)
		if err != nil {
			return badRequest("parent_unknown", "Không có cơ quan cấp trên mã "+req.Parent+".")
		}
		a.ParentID = &parent.ID
	}
	if _, err := a.Validate(); err != nil {
		return badRequest("agency_invalid", "Kiểm tra mã định danh (dạng 000.00.00.H00), tên cơ quan và tên viết tắt (1–20 chữ cái hoặc chữ số, không dấu cách).")
	}
	change, err := s.saveAgency(r, &a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"organ_id": a.OrganID, "id": a.ID, "change": change.String()})
	return nil
}

func (s *Server) apiSaveUnit(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name         string `json:"name"`
		Abbreviation string `json:"abbreviation"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	a, err := org.AgencyByOrganID(r.Context(), s.pool, mux.Vars(r)["organID"])
	if errors.Is(err, org.ErrAgencyNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	u := org.Unit{AgencyID: a.ID, Name: req.Name, Abbreviation: req.Abbreviation}
	change, err := org.SaveUnit(r.Context(), s.pool, &u)
	if err != nil {
		return badRequest("unit_invalid", "Không lưu được phòng/đơn vị: cần tên, tên viết tắt 1–20 chữ cái hoặc chữ số không dấu cách, và tên chưa dùng cho phòng khác.")
	}
	writeJSON(w, http.StatusOK, map[string]any{"abbreviation": u.Abbreviation, "change": change.String()})
	return nil
}

func (s *Server) adminIssueToken(w http.ResponseWriter, r *http.Request) error {
	token, err := s.issueToken(r, r.PostFormValue("name"))
	if err != nil {
		return s.adminUserDone(w, r, err, "")
	}
	return s.showAdminUser(w, r, token)
}

func (s *Server) apiIssueToken(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	token, err := s.issueToken(r, req.Name)
	if err != nil {
		return apiAdminDone(w, err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"token": token})
	return nil
}

func (s *Server) issueToken(r *http.Request, name string) (string, error) {
	token, err := access.IssueToken(r.Context(), s.pool, memberID(r), principalOf(r).AgencyID, name, s.adminActor(r))
	if errors.Is(err, access.ErrNoTokenName) {
		return "", badRequest("token_name_missing", "Nhập tên phần mềm sẽ dùng mã API (ví dụ: cổng dịch vụ công tỉnh).")
	}
	return token, err
}

// directoryLimit bounds an uploaded agency directory.
const directoryLimit = 4 << 20

// adminImportDirectory loads a province's agency directory (CSV or JSON, as `edms org
// import` reads it) and shows what was created, updated and rejected.
func (s *Server) adminImportDirectory(w http.ResponseWriter, r *http.Request) error {
	file, header, err := r.FormFile("file")
	if err != nil {
		return s.showAgencies(w, r, http.StatusBadRequest, org.Agency{}, "Chọn tệp danh mục (CSV hoặc JSON).", nil)
	}
	defer file.Close()
	read := org.ReadDirectoryCSV
	if strings.HasSuffix(strings.ToLower(header.Filename), ".json") {
		read = org.ReadDirectoryJSON
	}
	entries, err := read(file)
	if err != nil {
		return s.showAgencies(w, r, http.StatusBadRequest, org.Agency{},
			"Không đọc được tệp danh mục: CSV cần dòng tiêu đề organ_id, name, abbreviation, parent_organ_id; JSON là mảng các đối tượng có các khóa đó.", nil)
	}
	var report *org.ImportReport
	err = pgx.BeginFunc(r.Context(), s.pool, func(tx pgx.Tx) error {
		report, err = org.ImportDirectory(r.Context(), tx, entries)
		return err
	})
	if err != nil {
		return err
	}
	return s.showAgencies(w, r, http.StatusOK, org.Agency{}, "", report)
}
