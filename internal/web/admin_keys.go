package web

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"html/template"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/org"
	"edms/internal/signing"
	"edms/internal/signing/docsign"
)

// The keys page: the signing keys the current agency and its people hold in the
// node's keyring (edms serve -keys), with their certificates' validity, and the trust
// anchors the node checks signatures against. Keys and anchors are files of the
// keyring folder, placed by the operator; the page shows them and what is missing.

func (s *Server) routeAdminKeys(r *mux.Router) {
	s.handle(r, "admin.keys", "GET", "/admin/keys", need(access.UserRead), asPage, s.adminKeysPage)
	upload := uploadBody(docsign.MaxImageSize)
	s.handleUpload(r, "admin.keys.seal", "/admin/keys/seal", need(access.UserAdmin), asPage, upload, s.adminUploadSeal)
	s.handleUpload(r, "admin.keys.signature", "/admin/users/{id:[0-9]+}/signature", need(access.UserAdmin), asPage, upload, s.adminUploadSignature)
}

// signatureImages keeps the images of the visible signatures (docsign.Keyring does).
type signatureImages interface {
	SignatureImage(username string) ([]byte, error)
	SealImage(organID string) ([]byte, error)
	SaveSignatureImage(username string, png []byte) error
	SaveSealImage(organID string, png []byte) error
}

// imageURL shows a PNG inline (the page's policy allows data: images).
func imageURL(png []byte) template.URL {
	if png == nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
}

// personKeys opens the signing key of a user (docsign.Keyring does).
type personKeys interface {
	Person(username string) (*signing.Identity, error)
}

// certRow is one holder's certificate as the page shows it.
type certRow struct {
	Image     template.URL // the seal or signature image; "" for the drawn stand-in
	Upload    string       // where a new image is posted; "" when the viewer may not
	CSRF      string
	Holder    string
	Subject   string
	Issuer    string
	NotBefore time.Time
	NotAfter  time.Time
	State     string // "valid", "expired", "not_yet", "missing"
}

// upload offers the image upload form when the viewer may use it.
func (c *certRow) upload(allowed bool, action, csrf string) {
	if allowed {
		c.Upload, c.CSRF = action, csrf
	}
}

func newCertRow(holder string, c *x509.Certificate, now time.Time) certRow {
	row := certRow{Holder: holder, Subject: c.Subject.CommonName, Issuer: c.Issuer.CommonName, NotBefore: c.NotBefore, NotAfter: c.NotAfter, State: "valid"}
	switch {
	case now.After(c.NotAfter):
		row.State = "expired"
	case now.Before(c.NotBefore):
		row.State = "not_yet"
	}
	return row
}

type adminKeysView struct {
	pageBase
	Signing bool // the node has a keyring
	Images  bool // the viewer may upload signature and seal images
	Agency  certRow
	People  []certRow
	Anchors []anchorRow
	Skipped []string
	Trust   bool // the viewer may add and remove anchors
}

// identityRow opens a holder's identity; a missing key is a row saying so.
func identityRow(holder string, open func() (*signing.Identity, error), now time.Time) (certRow, error) {
	id, err := open()
	if err != nil {
		return certRow{Holder: holder, State: "missing"}, nil
	}
	if id.Certificate == nil {
		return certRow{}, errors.New("web: a signing identity without a certificate")
	}
	return newCertRow(holder, id.Certificate, now), nil
}

func (s *Server) adminKeysPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	view := adminKeysView{pageBase: base, Signing: s.cfg.AgencyKeys != nil}
	now := time.Now()
	if s.cfg.Trust != nil {
		view.Anchors, view.Trust = anchorRows(s.cfg.Trust, now), s.can(r, access.OrgManage)
		view.Skipped = s.cfg.Trust.Skipped()
	}
	if !view.Signing {
		return s.render(w, http.StatusOK, "admin_keys.html", view)
	}
	agency, err := org.AgencyByID(r.Context(), s.pool, principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	if view.Agency, err = identityRow(agency.Name, func() (*signing.Identity, error) { return s.cfg.AgencyKeys.Agency(agency.OrganID) }, now); err != nil {
		return err
	}
	images, hasImages := s.cfg.AgencyKeys.(signatureImages)
	view.Images = hasImages && s.can(r, access.UserAdmin)
	if hasImages {
		img, err := images.SealImage(agency.OrganID)
		if err != nil {
			return err
		}
		view.Agency.Image = imageURL(img)
		view.Agency.upload(view.Images, "/admin/keys/seal", base.CSRF)
	}
	people, ok := s.cfg.AgencyKeys.(personKeys)
	if !ok {
		return s.render(w, http.StatusOK, "admin_keys.html", view)
	}
	members, err := org.AgencyMembers(r.Context(), s.pool, principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	for _, m := range members {
		row, err := identityRow(m.FullName+" ("+m.Username+")", func() (*signing.Identity, error) { return people.Person(m.Username) }, now)
		if err != nil {
			return err
		}
		if hasImages {
			img, err := images.SignatureImage(m.Username)
			if err != nil {
				return err
			}
			row.Image = imageURL(img)
			row.upload(view.Images, "/admin/users/"+strconv.FormatInt(m.ID, 10)+"/signature", base.CSRF)
		}
		view.People = append(view.People, row)
	}
	return s.render(w, http.StatusOK, "admin_keys.html", view)
}

// uploadedImage reads the "image" file of the form and the keyring that keeps it.
func (s *Server) uploadedImage(r *http.Request) (signatureImages, []byte, error) {
	images, ok := s.cfg.AgencyKeys.(signatureImages)
	if !ok {
		return nil, nil, badRequest("signing_off", "Nút này chạy không có thư mục khóa ký số.")
	}
	file, _, err := r.FormFile("image")
	if err != nil {
		return nil, nil, badRequest("image_missing", "Chọn tệp ảnh PNG.")
	}
	defer file.Close()
	png, err := io.ReadAll(io.LimitReader(file, docsign.MaxImageSize+1))
	return images, png, err
}

// imageSaved reports the outcome of an upload on the keys page.
func (s *Server) imageSaved(w http.ResponseWriter, r *http.Request, err error, done string) error {
	if errors.Is(err, docsign.ErrNotPNG) {
		s.setFlash(w, r, true, "Ảnh phải là tệp PNG, không quá 2 MiB.")
	} else if err != nil {
		return err
	} else {
		s.setFlash(w, r, false, done)
	}
	http.Redirect(w, r, "/admin/keys", http.StatusSeeOther)
	return nil
}

func (s *Server) adminUploadSeal(w http.ResponseWriter, r *http.Request) error {
	images, png, err := s.uploadedImage(r)
	if err != nil {
		return err
	}
	agency, err := org.AgencyByID(r.Context(), s.pool, principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	return s.imageSaved(w, r, images.SaveSealImage(agency.OrganID, png), "Đã lưu ảnh con dấu; văn bản đóng dấu từ nay dùng ảnh này.")
}

func (s *Server) adminUploadSignature(w http.ResponseWriter, r *http.Request) error {
	u, _, err := s.member(r)
	if err != nil {
		return err
	}
	images, png, err := s.uploadedImage(r)
	if err != nil {
		return err
	}
	return s.imageSaved(w, r, images.SaveSignatureImage(u.Username, png), "Đã lưu ảnh chữ ký của "+u.FullName+"; văn bản người này ký từ nay dùng ảnh này.")
}
