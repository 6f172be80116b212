package httpapi

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the HTTP server's Prometheus series, labelled by method, route
// template and status.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	// series holds each (method, route, status)'s counter and histogram
	// once looked up: one map lookup per request instead of two label-value
	// lookups, each hashing the three labels.
	series sync.Map // seriesKey → *series
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kaiban_http_requests_total",
			Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kaiban_http_request_duration_seconds",
			Help: "Time from receiving a request to its handler's return, by method, route template and status.",
			// Finer than the default at the bottom: a GET is expected under 5 ms.
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) observe(method, route string, status int, elapsed time.Duration) {
	k := seriesKey{method, route, status}
	v, ok := m.series.Load(k)
	if !ok {
		st := strconv.Itoa(status)
		v, _ = m.series.LoadOrStore(k, &series{m.requests.WithLabelValues(method, route, st), m.latency.WithLabelValues(method, route, st)})
	}
	s := v.(*series)
	s.requests.Inc()
	s.latency.Observe(elapsed.Seconds())
}
