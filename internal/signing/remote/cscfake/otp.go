package cscfake

import (
	"html/template"
	"net/http"
	"time"
)

// vietnam is the time zone the OTP page shows (+07:00, without tzdata).
var vietnam = time.FixedZone("ICT", 7*3600)

var otpTemplate = template.Must(template.New("otp").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hộp thư OTP giả lập</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}.otp{font-size:1.6em;font-family:monospace;letter-spacing:.15em}</style>
</head><body>
<h1>Hộp thư OTP giả lập</h1>
<p>Các mã OTP mà nhà cung cấp ký số từ xa giả lập “gửi qua SMS”. Mỗi mã có hiệu lực 5 phút và chỉ dùng được một lần. Trang tự làm mới sau 5 giây.</p>
<table><tr><th>Tài khoản</th><th>Chứng thư số</th><th>Mã OTP</th><th>Trạng thái</th></tr>
{{range .}}<tr><td>{{.User}}</td><td>{{.Holder}}</td><td class="otp">{{if .Code}}{{.Code}}{{else}}—{{end}}</td><td>{{.State}}</td></tr>
{{else}}<tr><td colspan="4">Chưa có tài khoản nào dùng OTP.</td></tr>{{end}}
</table></body></html>`))

// otpLine is one account on the OTP page.
type otpLine struct{ User, Holder, Code, State string }

// otpPage shows every OTP account's last OTP, in Vietnamese, for the demo.
func (s *Server) otpPage(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	now := s.now()
	var lines []otpLine
	for _, c := range s.order {
		if c.account.OTP {
			lines = append(lines, otpLine{User: c.account.User, Holder: c.account.Certificate.Subject.CommonName, Code: c.otp.code, State: c.otp.state(now)})
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = otpTemplate.Execute(w, lines) // the browser may have gone
}

// state says in Vietnamese whether the OTP can still be used.
func (o otpCode) state(now time.Time) string {
	switch {
	case o.code == "":
		return "Chưa gửi mã"
	case o.used:
		return "Đã dùng"
	case !now.Before(o.expires):
		return "Đã hết hạn"
	}
	return "Còn hiệu lực đến " + o.expires.In(vietnam).Format("15:04:05")
}
