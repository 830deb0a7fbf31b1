package agent

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

//go:embed confirm.html
var confirmHTML string

var confirmTemplate = template.Must(template.New("confirm").Parse(confirmHTML))

// confirmStyle is the page's only style; the CSP allows exactly its hash, and no
// script, frame, image or third-party content at all.
const confirmStyle = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b2330}
main{max-width:36rem;margin:1.5rem auto;padding:1.25rem;background:#fff;border:1px solid #d5dbe3;border-radius:6px}
h1{font-size:1.3rem;margin-top:0}.origin{word-break:break-all}.document{font-weight:600}
.digest code{word-break:break-all;font-size:.85rem}.problem{color:#a4161a;font-weight:600}
label{display:block;font-weight:600;margin-bottom:.3rem}input{font-size:1.2rem;padding:.4rem;width:12rem}
.actions{display:flex;gap:.75rem}button{font-size:1rem;padding:.5rem 1.4rem;cursor:pointer}
.sign{background:#0b5cad;color:#fff;border:1px solid #0b5cad;border-radius:4px}.note,.expires{color:#4a5565;font-size:.9rem}`

var confirmCSP = "default-src 'none'; style-src 'sha256-" + styleHash() + "'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func styleHash() string {
	sum := sha256.Sum256([]byte(confirmStyle))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// confirmView is what the confirm page shows.
type confirmView struct {
	Style   template.CSS
	Request *confirmRequest
	Problem string
	Waiting bool
	Expires string
	Done    string
}

type confirmRequest struct{ Origin, Document, Digest string }

func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	view := s.confirmView(s.lookup(r.PathValue("id")))
	s.mu.Unlock()
	writeConfirm(w, view)
}

// confirmAnswer takes the person's answer: the PIN with "Ký", or "Hủy". Only the
// agent's own page may post it; the outcome is shown by the page it redirects to
// (a reload never sends the PIN again).
func (s *Server) confirmAnswer(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "http://"+r.Host {
		http.Error(w, "forbidden origin", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	action, pin := r.PostFormValue("action"), r.PostFormValue("pin")
	s.mu.Lock()
	req := s.lookup(r.PathValue("id"))
	free := req != nil && req.state == stateWaiting && !req.signing
	if free && action != "cancel" {
		req.signing = true
	}
	s.mu.Unlock()
	switch {
	case !free:
	case action == "cancel":
		s.cancel(req)
	default:
		s.sign(req, pin)
	}
	http.Redirect(w, r, "/confirm/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}

// confirmView describes req for the page. Caller holds s.mu.
func (s *Server) confirmView(req *signRequest) confirmView {
	v := confirmView{Style: template.CSS(confirmStyle)}
	if req == nil {
		v.Done = "Không tìm thấy yêu cầu ký này (có thể đã hết hạn). Hãy ký lại từ trang edms."
		return v
	}
	v.Request = &confirmRequest{Origin: req.origin, Document: req.document, Digest: groupHex(req.digest)}
	if req.problem != nil {
		v.Problem = req.problem.Message
	}
	switch req.state {
	case stateWaiting:
		v.Waiting, v.Expires = true, req.expires.Local().Format("15:04:05")
	case stateSigned:
		v.Done = "Đã ký xong. Cửa sổ này sẽ tự đóng; trang edms tiếp tục xử lý văn bản."
	default:
		v.Done = "Văn bản không được ký. Bạn có thể đóng cửa sổ này."
	}
	return v
}

// groupHex writes the digest in groups of four hexadecimal digits, easier to compare by eye.
func groupHex(b []byte) string {
	h := hex.EncodeToString(b)
	var groups []string
	for len(h) > 4 {
		groups = append(groups, h[:4])
		h = h[4:]
	}
	return strings.Join(append(groups, h), " ")
}

func writeConfirm(w http.ResponseWriter, v confirmView) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", confirmCSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // "no-referrer" would make the form post send Origin: null
	h.Set("Cache-Control", "no-store")
	status := http.StatusOK
	if v.Request == nil {
		status = http.StatusNotFound
	}
	w.WriteHeader(status)
	confirmTemplate.Execute(w, v)
}
