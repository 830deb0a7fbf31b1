package hub

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the hub's Prometheus series, in a registry of its own so that several
// hubs can live in one process (tests).
type metrics struct {
	registry *prometheus.Registry
	in       *prometheus.CounterVec
	out      *prometheus.CounterVec
	failed   *prometheus.CounterVec
	latency  prometheus.Histogram
}

func newMetrics(pool *pgxpool.Pool) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		in: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edms_hub_packages_in_total",
			Help: "Packages accepted (stored and acknowledged), by the peer that delivered them."}, []string{"peer"}),
		out: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edms_hub_packages_out_total",
			Help: "Deliveries handed to their next hop, by next hop."}, []string{"peer"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edms_hub_packages_failed_total",
			Help: "Deliveries that failed for good, by next hop."}, []string{"peer"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edms_hub_delivery_latency_seconds",
			Help:    "Time from a package's arrival at the hub to its delivery to the next hop.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400}}),
	}
	m.registry.MustRegister(m.in, m.out, m.failed, m.latency, deliveriesCollector{pool},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// deliveriesCollector reads the deliveries by state from the database at scrape
// time, so that every hub instance on one database reports the same queue.
type deliveriesCollector struct{ pool *pgxpool.Pool }

var deliveriesDesc = prometheus.NewDesc("edms_hub_deliveries", "Deliveries at the hub by state.", []string{"state"}, nil)

func (deliveriesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- deliveriesDesc }

func (c deliveriesCollector) Collect(ch chan<- prometheus.Metric) {
	counts, err := deliveryCounts(context.Background(), c.pool)
	if err != nil {
		slog.Warn("hub: unable to count deliveries for metrics", "err", err)
		return
	}
	for _, state := range []string{"pending", "delivered", "failed"} {
		ch <- prometheus.MustNewConstMetric(deliveriesDesc, prometheus.GaugeValue, float64(counts[state]), state)
	}
}

func deliveryCounts(ctx context.Context, pool *pgxpool.Pool) (map[string]int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	rows, err := pool.Query(ctx, `SELECT state, count(*) FROM hub_deliveries GROUP BY state`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, err
		}
		counts[state] = n
	}
	return counts, rows.Err()
}
