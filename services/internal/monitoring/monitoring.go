// Package monitoring is the chain monitoring service (DB37/T 4431-2021
// 7.4.3 f): node status from the nodes' operations endpoints (/healthz,
// /metrics of devnet or Fabric peers and orderers), transactions over time
// from the projected chain events (ledger_events), accounts by type and trend
// (alliance members, trusted subjects, asset types), asset totals and
// increments by type, and alerts (a node down, a spike of failed chain
// writes, unusual access volume) raised by a River job that evaluates the
// rules and stores what fired.
package monitoring

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/messages"
)

// ErrInvalid wraps every validation failure of a query.
var ErrInvalid = errors.New("monitoring: invalid")

// Node is a node whose operations endpoints monitoring probes.
type Node struct {
	Name string `json:"name"`
	// Kind is peer, orderer or devnet.
	Kind string `json:"kind"`
	// Health is the URL of its /healthz; Metrics of its /metrics (optional).
	Health  string `json:"health"`
	Metrics string `json:"metrics,omitempty"`
}

// Rules are the alert thresholds.
type Rules struct {
	// Window is the period a rate or a volume is measured over.
	Window time.Duration
	// FailureRate is the share of chain writes finished in Window that
	// failed above which the failure-rate alert fires, once at least
	// MinWrites finished.
	FailureRate float64
	MinWrites   int
	// AccessVolume is the number of content accesses by one accessor in
	// Window above which the unusual-access alert fires.
	AccessVolume int
}

// DefaultRules are the thresholds used when Config leaves them zero.
var DefaultRules = Rules{Window: 15 * time.Minute, FailureRate: 0.2, MinWrites: 10, AccessVolume: 100}

// Config configures monitoring.
type Config struct {
	Nodes []Node
	Rules Rules
	// ProbeTimeout bounds one probe; default 2 s.
	ProbeTimeout time.Duration
	// Notify are the mailboxes told of each alert raised (信息预警: at once,
	// over their live message streams), in the transaction that stores it.
	Notify []messages.Address
}

// Service is monitoring over one database.
type Service struct {
	pool   *pgxpool.Pool
	cfg    Config
	client *http.Client
	now    func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithHTTPClient replaces the probes' client (TLS roots of the nodes).
func WithHTTPClient(c *http.Client) Option { return func(s *Service) { s.client = c } }

// New returns the monitoring service.
func New(pool *pgxpool.Pool, cfg Config, opts ...Option) (*Service, error) {
	if cfg.ProbeTimeout == 0 {
		cfg.ProbeTimeout = 2 * time.Second
	}
	r := &cfg.Rules
	if r.Window == 0 {
		r.Window = DefaultRules.Window
	}
	if r.FailureRate == 0 {
		r.FailureRate = DefaultRules.FailureRate
	}
	if r.MinWrites == 0 {
		r.MinWrites = DefaultRules.MinWrites
	}
	if r.AccessVolume == 0 {
		r.AccessVolume = DefaultRules.AccessVolume
	}
	seen := map[string]bool{}
	for _, n := range cfg.Nodes {
		if n.Name == "" || n.Health == "" || seen[n.Name] {
			return nil, fmt.Errorf("monitoring: node %q needs a unique name and a health URL", n.Name)
		}
		seen[n.Name] = true
	}
	s := &Service{pool: pool, cfg: cfg, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	if s.client == nil {
		s.client = &http.Client{}
	}
	s.client.Timeout = cfg.ProbeTimeout
	return s, nil
}

// Range is a period and the width of its buckets.
type Range struct {
	From, To time.Time
	Bucket   time.Duration
}

// MaxBuckets bounds a series.
const MaxBuckets = 1000

func (r Range) check() error {
	if r.From.IsZero() || r.To.IsZero() || !r.To.After(r.From) {
		return fmt.Errorf("%w: the range needs from before to", ErrInvalid)
	}
	if r.Bucket < time.Minute {
		return fmt.Errorf("%w: buckets are at least a minute", ErrInvalid)
	}
	if r.To.Sub(r.From)/r.Bucket > MaxBuckets {
		return fmt.Errorf("%w: at most %d buckets", ErrInvalid, MaxBuckets)
	}
	return nil
}

// Point is one bucket of a series: its start and count.
type Point struct {
	At    time.Time `json:"at"`
	Count int64     `json:"count"`
}
