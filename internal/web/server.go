package web

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5/pgxpool"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/signing"
	"edms/internal/signing/remote"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what a node needs to serve.
type Config struct {
	// TrustProxy makes the server believe X-Forwarded-For and X-Forwarded-Proto, when
	// it runs behind a reverse proxy that sets them.
	TrustProxy bool
	// ProxyHops is how many reverse proxies in front of the node append to
	// X-Forwarded-For (0: one). The client is the address the farthest of them saw;
	// whatever stands left of it, the client wrote itself.
	ProxyHops int
	// ForceSecureCookies marks cookies Secure even on plain HTTP (a TLS proxy in front
	// that does not send X-Forwarded-Proto).
	ForceSecureCookies bool
	// Trust holds the anchors the digital signatures of documents are checked against
	// (the national root CAs; the demo's own root); nil: signatures are not checked.
	Trust *signing.TrustStore
	// Exchange, when set (a node connected to a hub), tells which recipients another
	// node serves; without it the network's directory alone decides.
	Exchange interface {
		External(ctx context.Context, organID string) (bool, error)
	}
	// AgencyKeys, when set, signs the edXML packages an agency exports.
	AgencyKeys interface {
		Agency(organID string) (*signing.Identity, error)
	}
	// AgentURL is where edms agent answers on the official's own computer, which the
	// pages may call (personal_sign.go); "" is DefaultAgentURL.
	AgentURL string
}

// DefaultAgentURL is edms agent's default address.
const DefaultAgentURL = "http://127.0.0.1:8917"

func (c Config) agentURL() string {
	if c.AgentURL == "" {
		return DefaultAgentURL
	}
	return c.AgentURL
}

// Server holds what handlers share. It keeps no state outside PostgreSQL (the casbin
// policies are a cache reloaded on every change, the credential lists of remote
// signing a cache of two minutes), so several can run on one database.
type Server struct {
	cfg      Config
	pool     *pgxpool.Pool
	enforcer *access.Enforcer
	docs     *docs.Service
	pages    *template.Template
	guards   map[string]guard // route name → its permission rule
	// Providers are the remote-signing services people sign through (nil: none).
	Providers   *remote.Registry
	credentials credentialCache
}

// NewServer builds the server and its routes.
func NewServer(cfg Config, pool *pgxpool.Pool, enforcer *access.Enforcer, documents *docs.Service) (*Server, error) {
	pages, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, pool: pool, enforcer: enforcer, docs: documents, pages: pages, guards: map[string]guard{}}, nil
}

// Handler returns the root HTTP handler.
func (s *Server) Handler() http.Handler {
	return s.logRequests(securityHeaders(s.cfg.agentURL(), s.Router()))
}

// HTTPServer wraps the handler with sane timeouts.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large uploads
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.Background() },
	}
}

// securityHeaders sets the headers every answer carries; pages may call the signing
// agent on the person's computer at agent.
func securityHeaders(agent string, next http.Handler) http.Handler {
	csp := "default-src 'self'; img-src 'self' data:; connect-src 'self' " + agent + "; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", csp)
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		slog.Info("http", "method", r.Method, "path", r.URL.Path, "status", rec.status,
			"duration", time.Since(start).Round(time.Microsecond), "ip", s.clientIP(r))
	})
}

// clientIP is the caller's address. Behind trusted proxies it is read from the right
// of X-Forwarded-For, ProxyHops entries in, since every proxy appends the address it
// saw and anything further left is what the client chose to send.
func (s *Server) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if ip := forwardedFor(r.Header.Values("X-Forwarded-For"), max(s.cfg.ProxyHops, 1)); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// forwardedFor returns the hops-th address from the right of the X-Forwarded-For
// headers (the leftmost when there are fewer), or "" when that entry is not an IP.
func forwardedFor(headers []string, hops int) string {
	var entries []string
	for _, h := range headers {
		entries = append(entries, strings.Split(h, ",")...)
	}
	if len(entries) == 0 {
		return ""
	}
	entry := strings.TrimSpace(entries[max(len(entries)-hops, 0)])
	if ip := net.ParseIP(entry); ip != nil {
		return ip.String()
	}
	return ""
}

// secure reports whether the request came over TLS, directly or through a trusted proxy.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || s.cfg.ForceSecureCookies || (s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}

// Router returns the route table (tests walk it).
func (s *Server) Router() *mux.Router {
	r := mux.NewRouter()
	s.routes(r)
	r.NotFoundHandler = http.HandlerFunc(s.notFound)
	return r
}

// RouteRule describes the permission rule of a named route: "public" or the permission.
func (s *Server) RouteRule(name string) (string, bool) {
	g, ok := s.guards[name]
	if !ok {
		return "", false
	}
	if g.kind == guardPublic {
		return "public", true
	}
	return g.permission.String(), true
}

// Pool returns the database the server uses.
func (s *Server) Pool() *pgxpool.Pool { return s.pool }
