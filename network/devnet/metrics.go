package devnet

import (
	"sync"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
)

// metrics are the figures /metrics exposes.
type metrics struct {
	registry *prometheus.Registry
	height   *prometheus.GaugeVec
	txs      *prometheus.CounterVec
	rate     *prometheus.GaugeVec
	latency  *prometheus.HistogramVec
	commit   *prometheus.HistogramVec

	mu     sync.Mutex
	window map[string][]commitSample
}

type commitSample struct {
	at time.Time
	n  int
}

// rateWindow is the span over which devnet_transactions_per_second averages.
const rateWindow = 10 * time.Second

func newMetrics() *metrics {
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &metrics{
		registry: prometheus.NewRegistry(),
		height: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "devnet_ledger_height", Help: "Number of committed blocks of a channel, genesis included.",
		}, []string{"channel"}),
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "devnet_transactions_total", Help: "Committed transactions by validation code.",
		}, []string{"channel", "code"}),
		rate: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "devnet_transactions_per_second", Help: "Committed transactions per second over the last 10 seconds.",
		}, []string{"channel"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "devnet_gateway_duration_seconds", Help: "Duration of successful gateway calls (evaluate, endorse, submit).", Buckets: buckets,
		}, []string{"method"}),
		commit: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "devnet_commit_latency_seconds", Help: "Time from a transaction's proposal timestamp to the commit of its block.", Buckets: buckets,
		}, []string{"channel"}),
		window: map[string][]commitSample{},
	}
	m.registry.MustRegister(m.height, m.txs, m.rate, m.latency, m.commit)
	return m
}

func (m *metrics) observeCall(method string, d time.Duration) {
	m.latency.WithLabelValues(method).Observe(d.Seconds())
}

// onCommit records a committed block; it runs in the ledger's commit path and
// does only cheap work.
func (m *metrics) onCommit(channel string) func(ledger.CommitInfo) {
	return func(info ledger.CommitInfo) {
		now := time.Now()
		m.height.WithLabelValues(channel).Set(float64(info.Block.GetHeader().GetNumber() + 1))
		counts := map[peer.TxValidationCode]int{}
		for _, c := range info.Codes {
			counts[c]++
		}
		for c, n := range counts {
			m.txs.WithLabelValues(channel, c.String()).Add(float64(n))
		}
		hist := m.commit.WithLabelValues(channel)
		for _, ts := range info.Timestamps {
			if ts != nil {
				hist.Observe(now.Sub(ts.AsTime()).Seconds())
			}
		}
		m.mu.Lock()
		w := append(m.window[channel], commitSample{at: now, n: len(info.Codes)})
		for len(w) > 0 && now.Sub(w[0].at) > rateWindow {
			w = w[1:]
		}
		m.window[channel] = w
		total := 0
		for _, s := range w {
			total += s.n
		}
		m.mu.Unlock()
		m.rate.WithLabelValues(channel).Set(float64(total) / rateWindow.Seconds())
	}
}
