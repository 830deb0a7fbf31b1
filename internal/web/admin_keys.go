package web

import (
	"crypto/x509"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/org"
	"edms/internal/signing"
)

// The keys page: the signing keys the current agency and its people hold in the
// node's keyring (edms serve -keys), with their certificates' validity, and the trust
// anchors the node checks signatures against. Keys and anchors are files of the
// keyring folder, placed by the operator; the page shows them and what is missing.

func (s *Server) routeAdminKeys(r *mux.Router) {
	s.handle(r, "admin.keys", "GET", "/admin/keys", need(access.UserRead), asPage, s.adminKeysPage)
}

// personKeys opens the signing key of a user (docsign.Keyring does).
type personKeys interface {
	Person(username string) (*signing.Identity, error)
}

// certRow is one holder's certificate as the page shows it.
type certRow struct {
	Holder    string
	Subject   string
	Issuer    string
	NotBefore time.Time
	NotAfter  time.Time
	State     string // "valid", "expired", "not_yet", "missing"
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
	Agency  certRow
	People  []certRow
	Anchors []certRow
	Skipped []string
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
		for _, c := range s.cfg.Trust.Anchors() {
			view.Anchors = append(view.Anchors, newCertRow(c.Subject.CommonName, c, now))
		}
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
		view.People = append(view.People, row)
	}
	return s.render(w, http.StatusOK, "admin_keys.html", view)
}
