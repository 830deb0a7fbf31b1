package exchange

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river/rivertype"

	"edms/internal/docs"
)

// Metrics are the link's Prometheus metrics. A nil *Metrics counts nothing.
type Metrics struct {
	registry *prometheus.Registry
	in       *prometheus.CounterVec
	out      *prometheus.CounterVec
	refusals *prometheus.CounterVec
	latency  prometheus.Histogram
}

// NewMetrics registers the link's metrics, with the depth of the exchange queue
// read from River's table at each scrape, in a registry of their own.
func NewMetrics(pool *pgxpool.Pool) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		in: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edms_exchange_packages_in_total",
			Help: "Packages registered from each peer, by kind (document, status); duplicates excluded."}, []string{"peer", "kind"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edms_exchange_packages_out_total",
			Help: "Packages delivered to each peer, by kind (package, status)."}, []string{"peer", "kind"}),
		refusals: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edms_exchange_packages_failed_total",
			Help: "Packages refused: sent and refused or given up (direction out), or received and refused (direction in)."},
			[]string{"peer", "kind", "direction"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edms_exchange_delivery_seconds",
			Help:    "Time from the job's creation (the step that caused it) to the receiver's receipt.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600}}),
	}
	m.registry.MustRegister(m.in, m.out, m.refusals, m.latency, queueDepth{pool},
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics for scraping.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

func (m *Metrics) sent(peer, kind string, latency time.Duration) {
	if m == nil {
		return
	}
	m.out.WithLabelValues(peer, kind).Inc()
	m.latency.Observe(latency.Seconds())
}

func (m *Metrics) failed(peer, kind string) {
	if m != nil {
		m.refusals.WithLabelValues(peer, kind, "out").Inc()
	}
}

func (m *Metrics) received(peer, kind string) {
	if m != nil {
		m.in.WithLabelValues(peer, kind).Inc()
	}
}

func (m *Metrics) refused(peer, kind string) {
	if m != nil {
		m.refusals.WithLabelValues(peer, kind, "in").Inc()
	}
}

// queueDepth counts the exchange queue's jobs by state at each scrape.
type queueDepth struct{ pool *pgxpool.Pool }

var queueDepthDesc = prometheus.NewDesc("edms_exchange_queue_jobs",
	"Jobs of River's exchange queue, by state (every state, 0 included).", []string{"state"}, nil)

func (q queueDepth) Describe(ch chan<- *prometheus.Desc) { ch <- queueDepthDesc }

func (q queueDepth) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var states []string
	for _, st := range rivertype.JobStates() {
		states = append(states, string(st))
	}
	rows, err := q.pool.Query(ctx, `SELECT s.state, count(j.id) FROM unnest($2::text[]) s(state)
		LEFT JOIN river_job j ON j.state = s.state::river_job_state AND j.queue = $1 GROUP BY s.state`, docs.QueueExchange, states)
	if err != nil {
		slog.Warn("exchange: unable to count the queue's jobs", "error", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			slog.Warn("exchange: unable to count the queue's jobs", "error", err)
			return
		}
		ch <- prometheus.MustNewConstMetric(queueDepthDesc, prometheus.GaugeValue, float64(n), state)
	}
}
