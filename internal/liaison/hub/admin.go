package hub

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// AdminHandler serves the operator listener: GET /metrics (Prometheus) and GET / a
// page listing members, the queue and the last failures.
func (h *Hub) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(h.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /{$}", h.handleAdminPage)
	return mux
}

// failure is one delivery that failed for good, for the operator page.
type failure struct {
	DocumentID string
	Recipient  string
	NextHop    string
	Code       string
	Error      string
	At         time.Time
}

type adminPage struct {
	Name     string
	Members  []Member
	Counts   map[string]int64
	Jobs     int64
	Failures []failure
}

func (h *Hub) handleAdminPage(w http.ResponseWriter, r *http.Request) {
	page, err := h.adminPage(r.Context())
	if err != nil {
		slog.Error("hub: operator page", "err", err)
		http.Error(w, "Không đọc được trạng thái của trục liên thông.", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := adminTemplate.Execute(w, page); err != nil {
		slog.Error("hub: operator page", "err", err)
	}
}

func (h *Hub) adminPage(ctx context.Context) (adminPage, error) {
	page := adminPage{Name: h.Name}
	var err error
	if page.Members, err = ListMembers(ctx, h.Pool); err != nil {
		return page, err
	}
	if page.Counts, err = deliveryCounts(ctx, h.Pool); err != nil {
		return page, err
	}
	if err := h.Pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE queue = $1 AND state IN ('available', 'scheduled', 'retryable', 'running')`,
		QueueHub).Scan(&page.Jobs); err != nil {
		return page, fmt.Errorf("hub: unable to count queued jobs: %w", err)
	}
	rows, err := h.Pool.Query(ctx, `SELECT document_id, recipient, next_hop, error_code, last_error, updated_at
		FROM hub_deliveries WHERE state = 'failed' ORDER BY updated_at DESC LIMIT 50`)
	if err != nil {
		return page, fmt.Errorf("hub: unable to list failures: %w", err)
	}
	page.Failures, err = pgx.CollectRows(rows, pgx.RowToStructByPos[failure])
	return page, err
}

var adminTemplate = template.Must(template.New("admin").Funcs(template.FuncMap{
	"role": func(role string) string {
		return map[string]string{RoleNode: "nút cơ quan", RoleHub: "trục cấp dưới", RoleParent: "trục cấp trên"}[role]
	},
	"when": func(t time.Time) string { return t.Local().Format("02/01/2006 15:04:05") },
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Trục liên thông {{.Name}}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}</style>
</head><body>
<h1>Trục liên thông {{.Name}}</h1>
<h2>Thành viên</h2>
<table><tr><th>Tên</th><th>Vai trò</th><th>Địa chỉ</th><th>Cơ quan phục vụ</th><th>Trạng thái</th></tr>
{{range .Members}}<tr><td>{{.Name}}</td><td>{{role .Role}}</td><td>{{.Endpoint}}</td><td>{{range $i, $a := .Agencies}}{{if $i}}, {{end}}{{$a}}{{end}}</td><td>{{if .Enabled}}hoạt động{{else}}tạm dừng{{end}}</td></tr>
{{else}}<tr><td colspan="5">Chưa có thành viên.</td></tr>{{end}}
</table>
<h2>Hàng đợi</h2>
<p>Đang chờ chuyển: {{index .Counts "pending"}} · Đã chuyển: {{index .Counts "delivered"}} · Thất bại: {{index .Counts "failed"}} · Công việc trong hàng đợi: {{.Jobs}}</p>
<h2>Lỗi gần đây</h2>
<table><tr><th>Thời điểm</th><th>Mã văn bản (DocumentId)</th><th>Nơi nhận</th><th>Chặng kế tiếp</th><th>Lỗi</th></tr>
{{range .Failures}}<tr><td>{{when .At}}</td><td>{{.DocumentID}}</td><td>{{.Recipient}}</td><td>{{.NextHop}}</td><td>{{.Code}}: {{.Error}}</td></tr>
{{else}}<tr><td colspan="5">Không có lỗi.</td></tr>{{end}}
</table>
</body></html>
`))
