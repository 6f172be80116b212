package kaibannet

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/lifecycle"
)

// Status is what kaiban-net status reports.
type Status struct {
	Nodes    []NodeStatus    `json:"nodes"`
	Channels []ChannelStatus `json:"channels"`
}

// NodeStatus is one node as its operations endpoint and admin APIs show it.
type NodeStatus struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"` // peer or orderer
	Org      string `json:"org"`
	Endpoint string `json:"endpoint"`
	// Healthy is true when /healthz answers 200; Health holds the failure otherwise.
	Healthy bool   `json:"healthy"`
	Health  string `json:"health,omitempty"`
	Version string `json:"version,omitempty"`
	// Heights are the ledger heights per channel.
	Heights map[string]uint64 `json:"heights,omitempty"`
	// Roles are an orderer's consensus relation and status per channel
	// ("consenter/active", "leader" for a Raft leader).
	Roles map[string]string `json:"roles,omitempty"`
	// Installed are the chaincode packages installed on a peer.
	Installed []string `json:"installed,omitempty"`
	// Metrics are key figures from /metrics.
	Metrics map[string]float64 `json:"metrics,omitempty"`
}

// ChannelStatus is one channel's chaincode definitions.
type ChannelStatus struct {
	Name       string            `json:"name"`
	Test       bool              `json:"test,omitempty"`
	Chaincodes []ChaincodeStatus `json:"chaincodes"`
	Error      string            `json:"error,omitempty"`
}

// ChaincodeStatus is a committed chaincode definition.
type ChaincodeStatus struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Sequence int64  `json:"sequence"`
}

// keyMetrics are the Prometheus counters and process figures status shows,
// summed over their labels; per-channel gauges (leadership, cluster size,
// gossip membership) are shown per channel instead.
var keyMetrics = []string{
	"endorser_proposals_received",
	"endorser_successful_proposals",
	"gateway_requests_completed",
	"ledger_transaction_count",
	"broadcast_processed_count",
	"process_resident_memory_bytes",
	"go_goroutines",
}

// Status collects every node's health, version, heights and key metrics and
// every channel's chaincode definitions. A node that does not answer is
// reported, not an error.
func (n *Network) Status(ctx context.Context) (*Status, error) {
	st := &Status{}
	refs := n.Spec.Nodes()
	st.Nodes = make([]NodeStatus, len(refs))
	var wg sync.WaitGroup
	for i, r := range refs {
		wg.Go(func() { st.Nodes[i] = n.nodeStatus(ctx, r) })
	}
	wg.Wait()
	op, err := n.Spec.Operator()
	if err != nil {
		return nil, err
	}
	for _, ch := range n.Spec.Channels {
		cs := ChannelStatus{Name: ch.Name, Test: ch.Test}
		gw, err := n.lifecycleGateway(op)
		if err == nil {
			var res []ChaincodeStatus
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			for _, cc := range n.Spec.Chaincodes {
				d, err := lifecycle.Committed(cctx, gw, ch.Name, cc)
				if err != nil {
					cs.Error = err.Error()
					break
				}
				if d != nil {
					res = append(res, ChaincodeStatus{Name: cc, Version: d.GetVersion(), Sequence: d.GetSequence()})
				}
			}
			cancel()
			cs.Chaincodes = res
		} else {
			cs.Error = err.Error()
		}
		st.Channels = append(st.Channels, cs)
	}
	return st, nil
}

func (n *Network) nodeStatus(ctx context.Context, r consortium.NodeRef) NodeStatus {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	e := n.Spec.Endpoint(r)
	ns := NodeStatus{Name: r.Name(), Org: r.Org.MSPID, Endpoint: e.External, Kind: "peer", Heights: map[string]uint64{}}
	if r.IsOrderer() {
		ns.Kind = "orderer"
	}
	client := &http.Client{Timeout: 5 * time.Second}
	body, code, err := get(ctx, client, "http://"+e.Ops+"/healthz")
	switch {
	case err != nil:
		ns.Health = err.Error()
		return ns
	case code != http.StatusOK:
		ns.Health = strings.TrimSpace(string(body))
	default:
		ns.Healthy = true
	}
	if body, _, err := get(ctx, client, "http://"+e.Ops+"/version"); err == nil {
		var v struct{ Version string }
		if json.Unmarshal(body, &v) == nil {
			ns.Version = v.Version
		}
	}
	if body, _, err := get(ctx, client, "http://"+e.Ops+"/metrics"); err == nil {
		samples := parseMetrics(strings.NewReader(string(body)))
		ns.Metrics = map[string]float64{}
		for _, m := range keyMetrics {
			if v, ok := samples.sum(m); ok {
				ns.Metrics[m] = v
			}
		}
		for ch, h := range samples.byChannel("ledger_blockchain_height") {
			ns.Heights[ch] = uint64(h)
		}
		ns.Roles = samples.channelNotes()
	}
	if r.IsOrderer() {
		n.ordererChannels(ctx, r, &ns)
	} else if p, err := n.lifecyclePeer(r); err == nil {
		if res, err := p.QueryInstalled(ctx); err == nil {
			for _, cc := range res.GetInstalledChaincodes() {
				ns.Installed = append(ns.Installed, cc.GetLabel())
			}
			sort.Strings(ns.Installed)
		}
	}
	return ns
}

func (n *Network) ordererChannels(ctx context.Context, r consortium.NodeRef, ns *NodeStatus) {
	pc, err := n.participation(r)
	if err != nil {
		return
	}
	list, err := pc.List(ctx)
	if err != nil {
		return
	}
	if ns.Roles == nil {
		ns.Roles = map[string]string{}
	}
	for _, c := range list {
		info, err := pc.Info(ctx, c.Name)
		if err != nil {
			continue
		}
		ns.Heights[c.Name] = info.Height
		role := info.ConsensusRelation + "/" + info.Status
		if more := ns.Roles[c.Name]; more != "" {
			role += ", " + more
		}
		ns.Roles[c.Name] = role
	}
}

func get(ctx context.Context, c *http.Client, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return body, resp.StatusCode, err
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

type samples []sample

// parseMetrics reads the Prometheus text exposition format as Fabric writes
// it: comments, then `name{label="value",...} number` lines.
func parseMetrics(r io.Reader) samples {
	var out samples
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			continue
		}
		head := line[:sp]
		s := sample{name: head, value: v, labels: map[string]string{}}
		if i := strings.IndexByte(head, '{'); i >= 0 && strings.HasSuffix(head, "}") {
			s.name = head[:i]
			for _, kv := range splitLabels(head[i+1 : len(head)-1]) {
				if k, val, ok := strings.Cut(kv, "="); ok {
					s.labels[k] = strings.Trim(val, `"`)
				}
			}
		}
		out = append(out, s)
	}
	return out
}

// splitLabels splits label pairs at commas outside quotes.
func splitLabels(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func (ss samples) sum(name string) (float64, bool) {
	var total float64
	found := false
	for _, s := range ss {
		if s.name == name {
			total += s.value
			found = true
		}
	}
	return total, found
}

func (ss samples) byChannel(name string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range ss {
		if s.name == name && s.labels["channel"] != "" {
			out[s.labels["channel"]] += s.value
		}
	}
	return out
}

// channelNotes describes each channel from the per-channel gauges: Raft
// leadership, consenter count, gossip membership.
func (ss samples) channelNotes() map[string]string {
	out := map[string]string{}
	note := func(metric string, text func(float64) string) {
		for ch, v := range ss.byChannel(metric) {
			if t := text(v); t != "" {
				out[ch] = strings.TrimPrefix(out[ch]+", "+t, ", ")
			}
		}
	}
	count := func(what string) func(float64) string {
		return func(v float64) string { return fmt.Sprintf("%.0f %s", v, what) }
	}
	note("consensus_etcdraft_is_leader", func(v float64) string {
		if v == 1 {
			return "leader"
		}
		return ""
	})
	note("consensus_etcdraft_cluster_size", count("consenters"))
	note("consensus_smartbft_cluster_size", count("consenters"))
	note("gossip_membership_total_peers_known", count("peers known"))
	return out
}

// Format writes a status as a readable report.
func (st *Status) Format(w io.Writer) {
	fmt.Fprintln(w, "NODES")
	for _, ns := range st.Nodes {
		health := "healthy"
		if !ns.Healthy {
			health = "DOWN: " + ns.Health
		}
		fmt.Fprintf(w, "  %-36s %-7s %-16s %-21s %s %s\n", ns.Name, ns.Kind, ns.Org, ns.Endpoint, health, ns.Version)
		var chans []string
		for ch := range ns.Heights {
			chans = append(chans, ch)
		}
		sort.Strings(chans)
		for _, ch := range chans {
			role := ""
			if r := ns.Roles[ch]; r != "" {
				role = " (" + r + ")"
			}
			fmt.Fprintf(w, "      %s: height %d%s\n", ch, ns.Heights[ch], role)
		}
		if len(ns.Installed) > 0 {
			fmt.Fprintf(w, "      installed: %s\n", strings.Join(ns.Installed, ", "))
		}
		var ms []string
		for _, m := range keyMetrics {
			if v, ok := ns.Metrics[m]; ok {
				ms = append(ms, fmt.Sprintf("%s=%s", m, formatMetric(m, v)))
			}
		}
		if len(ms) > 0 {
			fmt.Fprintf(w, "      %s\n", strings.Join(ms, " "))
		}
	}
	fmt.Fprintln(w, "CHANNELS")
	for _, cs := range st.Channels {
		kind := "production"
		if cs.Test {
			kind = "test"
		}
		fmt.Fprintf(w, "  %s (%s)\n", cs.Name, kind)
		if cs.Error != "" {
			fmt.Fprintf(w, "      error: %s\n", cs.Error)
		}
		for _, cc := range cs.Chaincodes {
			fmt.Fprintf(w, "      %-14s version %-8s sequence %d\n", cc.Name, cc.Version, cc.Sequence)
		}
		if len(cs.Chaincodes) == 0 && cs.Error == "" {
			fmt.Fprintln(w, "      no chaincode deployed")
		}
	}
}

func formatMetric(name string, v float64) string {
	if strings.HasSuffix(name, "_bytes") {
		return fmt.Sprintf("%.0fMB", v/1e6)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
