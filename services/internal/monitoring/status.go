package monitoring

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NodeStatus is a node as its last probe found it.
type NodeStatus struct {
	Node
	Up        bool      `json:"up"`
	Status    int       `json:"status,omitempty"` // HTTP status of /healthz
	Error     string    `json:"error,omitempty"`
	LatencyMS float64   `json:"latencyMs"`
	CheckedAt time.Time `json:"checkedAt"`
	// Figures holds a few figures read from /metrics when it answers
	// (ledger height, process memory), by metric name.
	Figures map[string]float64 `json:"figures,omitempty"`
	// OnChain is the node's record in the chain's node registry, when one
	// with the same name is registered (ledger_nodes).
	OnChain *ChainNode `json:"onChain,omitempty"`
}

// ChainNode is a node registered on chain.
type ChainNode struct {
	ID     string `json:"id"`
	Member string `json:"member"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
}

// watched are the /metrics series a node status reports.
var watched = []string{"ledger_blockchain_height", "process_resident_memory_bytes", "process_cpu_seconds_total", "go_goroutines"}

// Nodes probes every configured node at once and returns their status, with
// the chain's node registry beside them.
func (s *Service) Nodes(ctx context.Context) ([]NodeStatus, error) {
	out := make([]NodeStatus, len(s.cfg.Nodes))
	var wg sync.WaitGroup
	for i, n := range s.cfg.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = s.probe(ctx, n)
		}()
	}
	wg.Wait()
	rows, err := s.pool.Query(ctx, `SELECT id, member, kind, status FROM ledger_nodes`)
	if err != nil {
		return nil, fmt.Errorf("node registry: %w", err)
	}
	defer rows.Close()
	reg := map[string]*ChainNode{}
	for rows.Next() {
		var c ChainNode
		if err := rows.Scan(&c.ID, &c.Member, &c.Kind, &c.Status); err != nil {
			return nil, err
		}
		reg[c.ID] = &c
	}
	for i := range out {
		out[i].OnChain = reg[out[i].Name]
	}
	return out, rows.Err()
}

func (s *Service) probe(ctx context.Context, n Node) NodeStatus {
	st := NodeStatus{Node: n, CheckedAt: s.now().UTC()}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.Health, nil)
	if err == nil {
		var resp *http.Response
		resp, err = s.client.Do(req)
		if err == nil {
			resp.Body.Close()
			st.Status = resp.StatusCode
			st.Up = resp.StatusCode == http.StatusOK
			if !st.Up {
				st.Error = "health check answered " + resp.Status
			}
		}
	}
	st.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		st.Error = err.Error()
		return st
	}
	if n.Metrics != "" && st.Up {
		st.Figures = s.scrape(ctx, n.Metrics)
	}
	return st
}

// scrape reads the watched series from a Prometheus text exposition,
// summing the series of a name across labels.
func (s *Service) scrape(ctx context.Context, url string) map[string]float64 {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(line, " ")
		if i := strings.IndexByte(name, '{'); i >= 0 {
			// A label value may hold spaces: the value follows the closing brace.
			j := strings.LastIndexByte(line, '}')
			name, rest = line[:i], strings.TrimSpace(line[j+1:])
		}
		for _, w := range watched {
			if name == w {
				f := strings.Fields(rest)
				if len(f) > 0 {
					if v, err := strconv.ParseFloat(f[0], 64); err == nil {
						out[name] += v
					}
				}
			}
		}
	}
	return out
}
