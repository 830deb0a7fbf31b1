package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"edms/internal/store"
)

// apiError is the JSON error body: a stable code machines branch on and a sentence
// people read.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// Errors the handlers return; messages are Vietnamese because people read them.
var (
	errUnauthenticated = &apiError{http.StatusUnauthorized, "unauthenticated", "Bạn cần đăng nhập."}
	errForbidden       = &apiError{http.StatusForbidden, "forbidden", "Bạn không có quyền thực hiện thao tác này tại cơ quan đang chọn."}
	errBadCSRF         = &apiError{http.StatusForbidden, "csrf_invalid", "Phiên biểu mẫu đã hết hạn hoặc không hợp lệ; vui lòng tải lại trang và thử lại."}
	errNotFound        = &apiError{http.StatusNotFound, "not_found", "Không tìm thấy."}
	errNoAgency        = &apiError{http.StatusBadRequest, "agency_required", "Tài khoản thuộc nhiều cơ quan: hãy chọn cơ quan bằng tiêu đề X-EDMS-Agency (mã định danh)."}
	errInternal        = &apiError{http.StatusInternalServerError, "internal", "Hệ thống gặp lỗi; vui lòng thử lại sau hoặc báo quản trị."}
	errUnavailable     = &apiError{http.StatusServiceUnavailable, "unavailable", "Hệ thống đang bận hoặc tạm mất kết nối cơ sở dữ liệu; vui lòng thử lại sau ít giây."}
)

// retryAfterSeconds is what a 503 asks clients to wait before trying again.
const retryAfterSeconds = "5"

// responseFor is the one place where an error becomes a response: an *apiError as
// it is; a database that cannot serve now (every connection busy past the acquire
// timeout, or down) as 503 with Retry-After; anything else as an internal error,
// logged and never shown.
func responseFor(w http.ResponseWriter, r *http.Request, err error) *apiError {
	if e, ok := err.(*apiError); ok {
		return e
	}
	if r.Context().Err() == nil && store.Unavailable(err) {
		slog.Warn("web: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", retryAfterSeconds)
		return errUnavailable
	}
	slog.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	return errInternal
}

// badRequest is a 400 naming what is wrong with the input.
func badRequest(code, message string) *apiError {
	return &apiError{http.StatusBadRequest, code, message}
}

// writeJSON writes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Warn("web: unable to write response", "err", err)
	}
}

// writeError writes err as a JSON error (see responseFor).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := responseFor(w, r, err)
	writeJSON(w, e.Status, map[string]*apiError{"error": e})
}

// startedWriter notes whether any of the body has gone out.
type startedWriter struct {
	w       io.Writer
	started bool
}

func (s *startedWriter) Write(p []byte) (int, error) {
	s.started = true
	return s.w.Write(p)
}

// streamBody writes a response body with write. A failure before the first byte is
// returned, to be answered as an error; once the body has started there is nothing
// left to answer with (the status is sent, a JSON error would corrupt the file), so
// the failure, most often a client that went away, is only logged at debug level.
func streamBody(w http.ResponseWriter, r *http.Request, write func(io.Writer) error) error {
	body := &startedWriter{w: w}
	err := write(body)
	if err != nil && body.started {
		slog.Debug("web: response body cut short", "method", r.Method, "path", r.URL.Path, "err", err)
		return nil
	}
	return err
}

// errorView is the error page, with the navigation when the visitor is signed in.
type errorView struct {
	pageBase
	Message  string
	Status   int
	SignedIn bool
}

// errorPage renders e as the HTML error page.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, e *apiError) error {
	view := errorView{Message: e.Message, Status: e.Status}
	if principalOf(r) != nil {
		if base, err := s.base(w, r); err == nil {
			view.pageBase, view.SignedIn = base, true
		}
	}
	return s.render(w, e.Status, "error.html", view)
}

// notFound answers an address no route serves: JSON under the API, else the error
// page, with the navigation for a signed-in visitor.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeError(w, r, errNotFound)
		return
	}
	if p, err := s.authenticate(r); err == nil {
		r = r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
	}
	s.renderError(w, r, errPageNotFound)
}

// errPageNotFound is the answer to an address no page serves.
var errPageNotFound = &apiError{http.StatusNotFound, "not_found", "Không tìm thấy trang này. Hãy dùng thanh điều hướng phía trên hoặc trở về trang chủ."}
