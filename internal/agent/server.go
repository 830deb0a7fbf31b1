// Package agent is `edms agent`: a small HTTP server on 127.0.0.1 that lets a paired
// edms page use the person's USB token (PKCS#11). It owns the protocol (status,
// certificate, sign requests bound to the origin that made them), the pairing of
// origins, and the agent's own confirm page, the only place where the token's PIN
// is typed. The key never leaves the token; the PIN never leaves the agent.
package agent

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// MaxRequestAge bounds a sign request whatever its "expires" says.
const MaxRequestAge = 5 * time.Minute

// maxRequests bounds the sign requests the agent remembers.
const maxRequests = 100

// Server answers the agent protocol. Create it with New.
type Server struct {
	token    Token
	pairings Pairings
	version  string
	now      func() time.Time

	mu       sync.Mutex
	requests map[string]*signRequest
}

// New returns the agent for token, answering the paired origins.
func New(token Token, pairings Pairings, version string) *Server {
	return &Server{token: token, pairings: pairings, version: version, now: time.Now, requests: map[string]*signRequest{}}
}

// Sign request states, as GET /v1/sign/<id> reports them.
const (
	stateWaiting   = "waiting"
	stateSigned    = "signed"
	stateFailed    = "failed"
	stateCancelled = "cancelled"
)

// signRequest is one digest waiting for the person's PIN on the confirm page.
type signRequest struct {
	id, origin, document string
	digest               []byte
	expires              time.Time
	state                string
	signing              bool // the token is being asked: a second click must not spend another PIN attempt
	signature            []byte
	problem              *apiError // the last failure (wrong_pin while still waiting)
}

// Handler serves the protocol and the confirm page. Requests must name the agent by a
// loopback host (a DNS-rebinding page cannot reach it under another name).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("OPTIONS /v1/", s.paired(http.HandlerFunc(s.preflight)))
	mux.Handle("GET /v1/status", s.paired(http.HandlerFunc(s.status)))
	mux.Handle("GET /v1/certificate", s.paired(http.HandlerFunc(s.certificate)))
	mux.Handle("POST /v1/sign", s.paired(http.HandlerFunc(s.createSign)))
	mux.Handle("GET /v1/sign/{id}", s.paired(http.HandlerFunc(s.signState)))
	mux.HandleFunc("GET /confirm/{id}", s.confirmPage)
	mux.HandleFunc("POST /confirm/{id}", s.confirmAnswer)
	return loopbackHost(mux)
}

// ListenAndServe serves on addr, which must be a loopback address, until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	if err := CheckLoopback(addr); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("agent: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("agent: serve: %w", err)
	}
	return nil
}

func loopbackHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if CheckLoopback(r.Host) != nil {
			http.Error(w, "forbidden host", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// paired answers only a paired Origin, with CORS headers; any other request gets
// 403 without them, so the browser hides even the refusal from the page.
func (s *Server) paired(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if !s.pairings.Allowed(origin) {
			writeError(w, http.StatusForbidden, errOriginNotPaired)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		next.ServeHTTP(w, r)
	})
}

func (s *Server) preflight(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Methods", "GET, POST")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Allow-Private-Network", "true")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}

type tokenStatus struct {
	Present bool   `json:"present"`
	Label   string `json:"label"`
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	var ts tokenStatus
	tc, err := s.token.Certificate()
	switch {
	case err == nil:
		ts = tokenStatus{Present: true, Label: tc.TokenLabel}
	case !errors.Is(err, ErrTokenAbsent):
		slog.Warn("agent: token status", "err", err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"version": s.version, "token": ts})
}

func (s *Server) certificate(w http.ResponseWriter, _ *http.Request) {
	tc, err := s.token.Certificate()
	if err != nil {
		writeError(w, http.StatusConflict, tokenProblem(err))
		return
	}
	chain := make([]string, 0, len(tc.Chain))
	for _, c := range tc.Chain {
		chain = append(chain, base64.StdEncoding.EncodeToString(c.Raw))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"certificate": base64.StdEncoding.EncodeToString(tc.Certificate.Raw),
		"chain":       chain,
		"subject":     tc.Certificate.Subject.String(),
	})
}

type signInput struct {
	Digest   []byte `json:"digest"`
	Hash     string `json:"hash"`
	Document string `json:"document"`
	Expires  string `json:"expires"`
}

func (s *Server) createSign(w http.ResponseWriter, r *http.Request) {
	var in signInput
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeError(w, http.StatusBadRequest, badRequest("Yêu cầu ký không đọc được."))
		return
	}
	now := s.now()
	expires, problem := in.validate(now)
	if problem != nil {
		writeError(w, http.StatusBadRequest, problem)
		return
	}
	req := &signRequest{id: newID(), origin: r.Header.Get("Origin"), document: in.Document, digest: in.Digest, expires: expires, state: stateWaiting}
	s.mu.Lock()
	s.forgetOld(now)
	full := len(s.requests) >= maxRequests
	if !full {
		s.requests[req.id] = req
	}
	s.mu.Unlock()
	if full {
		writeError(w, http.StatusTooManyRequests, badRequest("Có quá nhiều yêu cầu ký đang chờ; hãy thử lại sau vài phút."))
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": req.id, "confirm_url": "http://" + r.Host + "/confirm/" + req.id})
}

// validate checks the sign input and returns when the request expires.
func (in signInput) validate(now time.Time) (time.Time, *apiError) {
	if in.Hash != "SHA-256" || len(in.Digest) != 32 {
		return time.Time{}, badRequest("Chỉ ký được giá trị băm SHA-256 (32 byte).")
	}
	if strings.TrimSpace(in.Document) == "" || len(in.Document) > 1000 {
		return time.Time{}, badRequest("Yêu cầu ký phải nêu văn bản được ký.")
	}
	expires := now.Add(MaxRequestAge)
	if in.Expires != "" {
		at, err := time.Parse(time.RFC3339, in.Expires)
		if err != nil || !at.After(now) {
			return time.Time{}, badRequest("Thời hạn của yêu cầu ký không hợp lệ hoặc đã qua.")
		}
		if at.Before(expires) {
			expires = at
		}
	}
	return expires, nil
}

// forgetOld drops requests finished or expired for longer than MaxRequestAge. Caller holds s.mu.
func (s *Server) forgetOld(now time.Time) {
	for id, req := range s.requests {
		if now.Sub(req.expires) > MaxRequestAge {
			delete(s.requests, id)
		}
	}
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// lookup returns the request with its state brought up to date (a waiting
// request past its expiry has failed). Caller holds s.mu.
func (s *Server) lookup(id string) *signRequest {
	req := s.requests[id]
	if req != nil && req.state == stateWaiting && !s.now().Before(req.expires) {
		req.state, req.problem = stateFailed, errExpired
	}
	return req
}

type signState struct {
	State     string `json:"state"`
	Signature string `json:"signature,omitempty"`
	Error     string `json:"error,omitempty"`
	Message   string `json:"message,omitempty"`
}

func (s *Server) signState(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := s.lookup(r.PathValue("id"))
	if req == nil {
		writeError(w, http.StatusNotFound, badRequest("Không tìm thấy yêu cầu ký."))
		return
	}
	if req.origin != r.Header.Get("Origin") {
		writeError(w, http.StatusForbidden, errOtherOrigin)
		return
	}
	out := signState{State: req.state}
	if req.signature != nil {
		out.Signature = base64.StdEncoding.EncodeToString(req.signature)
	}
	if req.problem != nil {
		out.Error, out.Message = req.problem.Code, req.problem.Message
	}
	writeJSON(w, http.StatusOK, out)
}

// sign asks the token to sign the request's digest with pin and records the outcome.
// A wrong PIN or an absent token leaves the request waiting: the person may try again.
func (s *Server) sign(req *signRequest, pin string) {
	value, err := s.token.Sign(pin, req.digest)
	s.mu.Lock()
	defer s.mu.Unlock()
	req.signing = false
	if req.state != stateWaiting {
		return
	}
	switch {
	case err == nil:
		req.state, req.signature, req.problem = stateSigned, value, nil
	case errors.Is(err, ErrWrongPIN), errors.Is(err, ErrTokenAbsent):
		req.problem = tokenProblem(err)
	default:
		slog.Warn("agent: sign", "err", err)
		req.state, req.problem = stateFailed, tokenProblem(err)
	}
}

func (s *Server) cancel(req *signRequest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.state == stateWaiting {
		req.state, req.problem = stateCancelled, errCancelled
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, e *apiError) {
	writeJSON(w, status, e)
}
