package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/org"
)

// guard is the permission rule of a route.
type guard struct {
	kind       guardKind
	permission access.Permission
}

type guardKind int

const (
	guardPublic    guardKind = iota + 1 // no sign-in (health, sign-in page, static files)
	guardPermitted                      // signed in, and the permission in the current agency
)

var public = guard{kind: guardPublic}

// need is the guard of a route that requires a permission in the current agency.
func need(p access.Permission) guard { return guard{kind: guardPermitted, permission: p} }

// principal is who makes a request and the agency they act in.
type principal struct {
	User       *org.User
	AgencyID   int64
	CSRFToken  string // empty for API-token requests, which carry no cookies
	viaSession bool
}

type principalKey struct{}

func principalOf(r *http.Request) *principal {
	p, _ := r.Context().Value(principalKey{}).(*principal)
	return p
}

// responder says how a route reports refusals: pages redirect to sign-in and show
// messages, API routes answer JSON.
type responder int

const (
	asAPI responder = iota
	asPage
)

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers a route with its guard and the body its method and style take;
// every route goes through here or through handleUpload.
func (s *Server) handle(r *mux.Router, name, method, path string, g guard, as responder, h handlerFunc) {
	s.handleBody(r, name, method, path, g, as, defaultBody(method, as), h)
}

// handleUpload registers a route that receives files, with its body rule.
func (s *Server) handleUpload(r *mux.Router, name, path string, g guard, as responder, body bodyRule, h handlerFunc) {
	s.handleBody(r, name, http.MethodPost, path, g, as, body, h)
}

func (s *Server) handleBody(r *mux.Router, name, method, path string, g guard, as responder, body bodyRule, h handlerFunc) {
	if g.kind == 0 {
		panic("web: route " + name + " has no permission rule")
	}
	s.guards[name] = g
	methods := []string{method}
	if method == http.MethodGet {
		methods = append(methods, http.MethodHead) // a page that answers GET answers HEAD
	}
	r.Handle(path, s.guarded(g, as, body, h)).Methods(methods...).Name(name)
}

func (s *Server) guarded(g guard, as responder, body bodyRule, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, err := s.authorize(w, r, g, body)
		defer release(r)
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			s.fail(w, r, as, err)
		}
	})
}

// authorize bounds the body, authenticates the request when the guard needs it,
// enforces the permission, reads the form only then, and checks CSRF on
// state-changing session requests. An anonymous caller never gets a body parsed,
// except the small forms of public routes (sign-in).
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, g guard, body bodyRule) (*http.Request, error) {
	if err := body.bound(w, r); err != nil {
		return r, err
	}
	if g.kind == guardPublic {
		return r, body.read(r)
	}
	p, err := s.authenticate(r)
	if err != nil {
		return r, err
	}
	r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	if !s.enforcer.Can(p.User.ID, p.AgencyID, g.permission) {
		return r, errForbidden
	}
	if err := body.read(r); err != nil {
		return r, err
	}
	if p.viaSession && r.Method != http.MethodGet && r.Method != http.MethodHead && !body.validCSRF(r, p.CSRFToken) {
		return r, errBadCSRF
	}
	return r, nil
}

func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf_token")
	}
	return sameToken(got, want)
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

const sessionCookie = "edms_session"

// authenticate finds the principal from an API token or the session cookie.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	ctx := r.Context()
	if auth := r.Header.Get("Authorization"); auth != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return nil, errUnauthenticated
		}
		userID, err := access.UserByAPIToken(ctx, s.pool, token)
		if err != nil {
			return nil, authError(err)
		}
		return s.tokenPrincipal(r, userID)
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errUnauthenticated
	}
	sess, err := access.SessionByToken(ctx, s.pool, c.Value)
	if err != nil {
		return nil, authError(err)
	}
	user, err := org.UserByID(ctx, s.pool, sess.UserID)
	if err != nil {
		return nil, err
	}
	return &principal{User: user, AgencyID: sess.AgencyID, CSRFToken: sess.CSRFToken, viaSession: true}, nil
}

// tokenPrincipal picks the agency of an API request: the X-EDMS-Agency header, or the
// user's only agency.
func (s *Server) tokenPrincipal(r *http.Request, userID int64) (*principal, error) {
	ctx := r.Context()
	user, err := org.UserByID(ctx, s.pool, userID)
	if err != nil {
		return nil, err
	}
	memberships, err := org.Memberships(ctx, s.pool, userID)
	if err != nil {
		return nil, err
	}
	want := r.Header.Get("X-EDMS-Agency")
	for _, m := range memberships {
		if m.OrganID == want || (want == "" && len(memberships) == 1) {
			return &principal{User: user, AgencyID: m.AgencyID}, nil
		}
	}
	if want == "" {
		return nil, errNoAgency
	}
	return nil, errForbidden
}

func authError(err error) error {
	if errors.Is(err, access.ErrNoSession) {
		return errUnauthenticated
	}
	return err
}

// fail reports a refusal or error in the route's style.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, as responder, err error) {
	if r.Context().Err() != nil { // the client went away: nobody reads an answer
		slog.Debug("web: request abandoned by the client", "method", r.Method, "path", r.URL.Path, "err", err)
		return
	}
	if as == asAPI {
		writeError(w, r, err)
		return
	}
	if errors.Is(err, errUnauthenticated) {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.renderError(w, r, err)
}
