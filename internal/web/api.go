package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/audit"
	"edms/internal/org"
	"edms/schemas"
)

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r)
	ctx := r.Context()
	memberships, err := org.Memberships(ctx, s.pool, p.User.ID)
	if err != nil {
		return err
	}
	type agencyJSON struct {
		OrganID  string   `json:"organ_id"`
		Name     string   `json:"name"`
		Unit     string   `json:"unit,omitempty"`
		Position string   `json:"position,omitempty"`
		Roles    []string `json:"roles"`
		Current  bool     `json:"current"`
	}
	var agencies []agencyJSON
	for _, m := range memberships {
		roles, err := access.RolesIn(ctx, s.pool, p.User.ID, m.AgencyID)
		if err != nil {
			return err
		}
		a := agencyJSON{OrganID: m.OrganID, Name: m.AgencyName, Unit: m.UnitName, Position: m.Position, Roles: []string{}, Current: m.AgencyID == p.AgencyID}
		for _, role := range roles {
			a.Roles = append(a.Roles, string(role))
		}
		agencies = append(agencies, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"username": p.User.Username, "full_name": p.User.FullName, "agencies": agencies})
	return nil
}

type agencyJSON struct {
	OrganID      string `json:"organ_id"`
	Name         string `json:"name"`
	Abbreviation string `json:"abbreviation"`
	Parent       string `json:"parent_organ_id,omitempty"`
	Depth        int    `json:"depth"`
	Address      string `json:"address,omitempty"`
	Email        string `json:"email,omitempty"`
	Phone        string `json:"phone,omitempty"`
}

func (s *Server) apiAgencies(w http.ResponseWriter, r *http.Request) error {
	tree, err := org.AgencyTree(r.Context(), s.pool)
	if err != nil {
		return err
	}
	organIDs := map[int64]string{}
	for _, e := range tree {
		organIDs[e.ID] = e.OrganID
	}
	out := make([]agencyJSON, 0, len(tree))
	for _, e := range tree {
		a := agencyJSON{OrganID: e.OrganID, Name: e.Name, Abbreviation: e.Abbreviation, Depth: e.Depth, Address: e.Address, Email: e.Email, Phone: e.Phone}
		if e.ParentID != nil {
			a.Parent = organIDs[*e.ParentID]
		}
		out = append(out, a)
	}
	writeJSON(w, http.StatusOK, map[string]any{"agencies": out})
	return nil
}

func (s *Server) apiUnits(w http.ResponseWriter, r *http.Request) error {
	agency, err := org.AgencyByOrganID(r.Context(), s.pool, mux.Vars(r)["organID"])
	if errors.Is(err, org.ErrAgencyNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	units, err := org.Units(r.Context(), s.pool, agency.ID)
	if err != nil {
		return err
	}
	type unitJSON struct {
		Name         string `json:"name"`
		Abbreviation string `json:"abbreviation"`
	}
	out := make([]unitJSON, 0, len(units))
	for _, u := range units {
		out = append(out, unitJSON{u.Name, u.Abbreviation})
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": out})
	return nil
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) error {
	members, err := org.AgencyMembers(r.Context(), s.pool, principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	type userJSON struct {
		ID       int64  `json:"id"`
		Username string `json:"username"`
		FullName string `json:"full_name"`
		Active   bool   `json:"active"`
		Position string `json:"position,omitempty"`
		Unit     string `json:"unit,omitempty"`
	}
	out := make([]userJSON, len(members))
	for i, m := range members {
		out[i] = userJSON{m.ID, m.Username, m.FullName, m.Active(), m.Position, m.UnitName}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// createUserRequest is the body of POST /api/v1/users.
type createUserRequest struct {
	Username string   `json:"username"`
	FullName string   `json:"full_name"`
	Email    string   `json:"email"`
	Password string   `json:"password"`
	Unit     string   `json:"unit"` // abbreviation of a unit of the current agency
	Position string   `json:"position"`
	Roles    []string `json:"roles"`
}

// apiCreateUser creates an account in the administrator's current agency.
func (s *Server) apiCreateUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	p := principalOf(r)
	ctx := r.Context()
	place := access.Placement{AgencyID: p.AgencyID, Position: req.Position}
	if req.Unit != "" {
		unit, err := org.UnitByAbbreviation(ctx, s.pool, p.AgencyID, req.Unit)
		if err != nil {
			return badRequest("unit_unknown", "Không có phòng/đơn vị viết tắt \""+req.Unit+"\" trong cơ quan.")
		}
		place.UnitID = &unit.ID
	}
	for _, name := range req.Roles {
		role, err := access.ParseRole(name)
		if err != nil {
			return badRequest("role_unknown", "Vai trò \""+name+"\" không tồn tại; dùng: van_thu, chuyen_vien, lanh_dao_phong, lanh_dao, quan_tri.")
		}
		place.Roles = append(place.Roles, role)
	}
	u := &org.User{Username: strings.ToLower(strings.TrimSpace(req.Username)), FullName: req.FullName, Email: req.Email}
	err := access.CreateAccount(ctx, s.pool, u, req.Password, []access.Placement{place},
		access.Actor{UserID: &p.User.ID, Name: p.User.Username, ClientIP: s.clientIP(r)})
	if err != nil {
		return accountError(err)
	}
	writeJSON(w, http.StatusCreated, map[string]any{"username": u.Username, "id": u.ID})
	return nil
}

// accountError words a refused account for the API.
func accountError(err error) error {
	switch {
	case errors.Is(err, org.ErrDuplicateUser):
		return &apiError{http.StatusConflict, "username_taken", "Tên đăng nhập đã được dùng."}
	case errors.Is(err, access.ErrWeakPassword):
		return badRequest("password_weak", "Mật khẩu quá yếu: cần ít nhất 10 ký tự, không phổ biến, không chứa tên đăng nhập.")
	case errors.Is(err, org.ErrBadUsername):
		return badRequest("username_invalid", "Tên đăng nhập chỉ gồm 3–64 chữ thường không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang.")
	case errors.Is(err, org.ErrNoFullName):
		return badRequest("full_name_missing", "Cần nhập họ và tên.")
	}
	return err
}

func (s *Server) apiAuditVerify(w http.ResponseWriter, r *http.Request) error {
	n, broken, err := audit.Verify(r.Context(), s.pool)
	if err != nil {
		return err
	}
	body := map[string]any{"entries": n, "intact": broken == nil}
	if broken != nil {
		body["first_broken_id"] = broken.ID
		body["reason"] = broken.Reason
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, err := w.Write(schemas.OpenAPI)
	return err
}
