package web

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/signing"
	"edms/internal/trust"
)

// The trust anchors on the keys page: an administrator who manages the directory
// (org:manage, which already changes every agency of the node) uploads a root CA
// certificate, checks what it is, confirms, or removes one. The store is node-wide:
// every agency of the node, and every instance behind its database, trusts the same
// anchors from the moment of the change.

// maxAnchorSize bounds an uploaded certificate.
const maxAnchorSize = 64 << 10

func (s *Server) routeAdminTrust(r *mux.Router) {
	manage := need(access.OrgManage)
	s.handleUpload(r, "admin.trust.upload", "/admin/keys/anchors", manage, asPage, uploadBody(maxAnchorSize), s.adminTrustUpload)
	s.handle(r, "admin.trust.add", "POST", "/admin/keys/anchors/confirm", manage, asPage, s.adminTrustAdd)
	s.handle(r, "admin.trust.remove", "POST", "/admin/keys/anchors/{fp:[0-9a-f]{64}}/remove", manage, asPage, s.adminTrustRemove)
}

func (s *Server) routeAdminTrustAPI(api *mux.Router) {
	s.handle(api, "api.trust.list", "GET", "/trust-anchors", need(access.UserRead), asAPI, s.apiTrustList)
	s.handle(api, "api.trust.add", "POST", "/trust-anchors", need(access.OrgManage), asAPI, s.apiTrustAdd)
	s.handle(api, "api.trust.remove", "DELETE", "/trust-anchors/{fp:[0-9a-f]{64}}", need(access.OrgManage), asAPI, s.apiTrustRemove)
}

// anchorRow is one anchor with what an administrator checks before trusting it.
type anchorRow struct {
	certRow
	Fingerprint string
	SubjectDN   string
	IssuerDN    string
}

func newAnchorRow(c *x509.Certificate, now time.Time) anchorRow {
	return anchorRow{certRow: newCertRow(c.Subject.CommonName, c, now), Fingerprint: trust.Fingerprint(c),
		SubjectDN: c.Subject.String(), IssuerDN: c.Issuer.String()}
}

// trustDir is the keyring's trust folder, where the anchors are cached ("" without one).
func (s *Server) trustDir() string {
	if k, ok := s.cfg.AgencyKeys.(interface{ TrustDir() string }); ok {
		return k.TrustDir()
	}
	return ""
}

// anchorMessage is the Vietnamese refusal of a certificate that cannot be an anchor.
func anchorMessage(err error) string {
	switch {
	case errors.Is(err, trust.ErrNotCA):
		return "Chứng thư này không phải chứng thư của tổ chức cấp chứng thư (CA), nên không thể làm chứng thư gốc tin cậy."
	case errors.Is(err, trust.ErrExpired):
		return "Chứng thư này đã hết hạn hoặc chưa đến thời gian có hiệu lực, nên không thể làm chứng thư gốc tin cậy."
	case errors.Is(err, trust.ErrNotCertificate):
		return "Tệp không phải một chứng thư số dạng PEM hoặc DER."
	case errors.Is(err, trust.ErrNotFound):
		return "Không có chứng thư gốc này trong danh sách tin cậy."
	}
	return ""
}

// trustOff refuses a change on a node that checks no signature.
var trustOff = badRequest("signing_off", "Nút này chạy không có thư mục khóa ký số nên không kiểm tra chữ ký số.")

// addAnchor checks the certificate, trusts it and replaces the running store.
func (s *Server) addAnchor(r *http.Request, data []byte) (*x509.Certificate, error) {
	if s.cfg.Trust == nil {
		return nil, trustOff
	}
	c, err := trust.Parse(data, time.Now())
	if err != nil {
		return nil, err
	}
	if err := trust.Add(r.Context(), s.pool, s.trustActor(r), c); err != nil {
		return nil, err
	}
	return c, trust.Reload(r.Context(), s.pool, s.cfg.Trust, s.trustDir())
}

// removeAnchor stops trusting the anchor of the request's fingerprint.
func (s *Server) removeAnchor(r *http.Request) error {
	if s.cfg.Trust == nil {
		return trustOff
	}
	if err := trust.Remove(r.Context(), s.pool, s.trustActor(r), mux.Vars(r)["fp"], s.cfg.Trust.Anchors()); err != nil {
		return err
	}
	return trust.Reload(r.Context(), s.pool, s.cfg.Trust, s.trustDir())
}

func (s *Server) trustActor(r *http.Request) trust.Actor {
	p := principalOf(r)
	return trust.Actor{UserID: p.User.ID, AgencyID: p.AgencyID, ClientIP: s.clientIP(r)}
}

type trustConfirmView struct {
	pageBase
	Anchor anchorRow
	DER    string // base64, posted back on confirmation
}

// adminTrustUpload shows the uploaded certificate for the administrator to confirm.
func (s *Server) adminTrustUpload(w http.ResponseWriter, r *http.Request) error {
	file, _, err := r.FormFile("certificate")
	if err != nil {
		return s.trustDone(w, r, "", badRequest("certificate_missing", "Chọn tệp chứng thư (.pem, .crt, .cer, .der)."))
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, maxAnchorSize))
	if err != nil {
		return err
	}
	c, err := trust.Parse(data, time.Now())
	if err != nil {
		return s.trustDone(w, r, "", err)
	}
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "admin_trust_confirm.html", trustConfirmView{pageBase: base,
		Anchor: newAnchorRow(c, time.Now()), DER: base64.StdEncoding.EncodeToString(c.Raw)})
}

func (s *Server) adminTrustAdd(w http.ResponseWriter, r *http.Request) error {
	der, err := base64.StdEncoding.DecodeString(r.PostFormValue("der"))
	if err != nil {
		return s.trustDone(w, r, "", trust.ErrNotCertificate)
	}
	c, err := s.addAnchor(r, der)
	if err != nil {
		return s.trustDone(w, r, "", err)
	}
	return s.trustDone(w, r, "Đã thêm chứng thư gốc tin cậy "+c.Subject.CommonName+"; từ nay chữ ký số được kiểm tra theo danh sách mới.", nil)
}

func (s *Server) adminTrustRemove(w http.ResponseWriter, r *http.Request) error {
	if r.PostFormValue("confirm") != "yes" {
		return s.trustDone(w, r, "", badRequest("confirm_missing", "Đánh dấu ô xác nhận để gỡ chứng thư gốc."))
	}
	return s.trustDone(w, r, "Đã gỡ chứng thư gốc; chữ ký số của chứng thư do tổ chức này cấp không còn được tin cậy.", s.removeAnchor(r))
}

// trustDone goes back to the keys page saying what happened: a refusal in a flash,
// any other error as the error page.
func (s *Server) trustDone(w http.ResponseWriter, r *http.Request, done string, err error) error {
	var api *apiError
	switch message := anchorMessage(err); {
	case message != "":
		s.setFlash(w, r, true, message)
	case errors.As(err, &api):
		s.setFlash(w, r, true, api.Message)
	case err != nil:
		return err
	default:
		s.setFlash(w, r, false, done)
	}
	http.Redirect(w, r, "/admin/keys", http.StatusSeeOther)
	return nil
}

// anchorJSON is an anchor in the API.
func anchorJSON(c *x509.Certificate) map[string]any {
	return map[string]any{"fingerprint": trust.Fingerprint(c), "subject": c.Subject.String(), "issuer": c.Issuer.String(),
		"not_before": c.NotBefore, "not_after": c.NotAfter}
}

func (s *Server) apiTrustList(w http.ResponseWriter, r *http.Request) error {
	anchors := []map[string]any{}
	if s.cfg.Trust != nil {
		for _, c := range s.cfg.Trust.Anchors() {
			anchors = append(anchors, anchorJSON(c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"anchors": anchors})
	return nil
}

func (s *Server) apiTrustAdd(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Certificate string `json:"certificate"` // PEM, or base64 DER
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	data := []byte(req.Certificate)
	if der, err := base64.StdEncoding.DecodeString(req.Certificate); err == nil {
		data = der
	}
	c, err := s.addAnchor(r, data)
	if message := anchorMessage(err); message != "" {
		return badRequest("anchor_refused", message)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, anchorJSON(c))
	return nil
}

func (s *Server) apiTrustRemove(w http.ResponseWriter, r *http.Request) error {
	err := s.removeAnchor(r)
	if errors.Is(err, trust.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"removed": mux.Vars(r)["fp"]})
	return nil
}

// anchorRows are the anchors in force as the keys page lists them.
func anchorRows(ts *signing.TrustStore, now time.Time) []anchorRow {
	var rows []anchorRow
	for _, c := range ts.Anchors() {
		rows = append(rows, newAnchorRow(c, now))
	}
	return rows
}
