package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/messages"
	"github.com/kaiban-platform/kaiban/services/internal/monitoring"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// Cadence of the oversight jobs: overdue steps are looked for every 30 s,
// the monitoring rules evaluated every minute.
const (
	overdueEvery  = 30 * time.Second
	evaluateEvery = time.Minute
)

// roleIdentity is the first identity of the ledger client named role
// ("supervisor", "regulator"), or fallback.
func (p *platform) roleIdentity(role, fallback string) string {
	if p.chain != nil {
		for _, ref := range p.chain.Identities() {
			if strings.HasSuffix(ref, "/"+role) {
				return ref
			}
		}
	}
	return fallback
}

// supervision is the supervision and regulator service; with ks, a
// regulator's inspection opens the asset's content with the regulator
// member's key (the worker's jobs need no key service).
func (p *platform) supervision(ks *keys.Service) *supervision.Service {
	cfg := supervision.Config{
		Supervisor: p.roleIdentity("supervisor", "OperatorMSP/supervisor"),
		Regulator:  p.roleIdentity("regulator", "OperatorMSP/regulator"),
		Store:      p.store,
	}
	if ks != nil {
		cfg.Keys = ks
	}
	return supervision.New(p.pool, p.outbox, cfg)
}

// monitoring probes the nodes whose operations endpoints the process
// knows: the embedded devnet's, and those KAIBAN_MONITORING_NODES lists; its
// alerts are sent to the operating member's mailbox.
func (p *platform) monitoring() (*monitoring.Service, error) {
	var nodes []monitoring.Node
	if p.devnetOps != "" {
		base := "http://" + p.devnetOps
		nodes = append(nodes, monitoring.Node{Name: "devnet", Kind: "devnet", Health: base + "/healthz", Metrics: base + "/metrics"})
	}
	more, err := parseMonitoredNodes(os.Getenv("KAIBAN_MONITORING_NODES"))
	if err != nil {
		return nil, err
	}
	// Alerts go to the operating member's mailbox (the supervisor's member).
	operator, _, _ := strings.Cut(p.roleIdentity("supervisor", "OperatorMSP/supervisor"), "/")
	return monitoring.New(p.pool, monitoring.Config{Nodes: append(nodes, more...),
		Notify: []messages.Address{{Kind: messages.KindMember, ID: operator}}})
}

// parseMonitoredNodes reads KAIBAN_MONITORING_NODES: comma-separated
// name=kind@base, where base is the node's operations endpoint (a Fabric
// peer's or orderer's operations.listenAddress, as http(s)://host:port) that
// serves /healthz and /metrics; for example
// "peer0.market=peer@http://10.0.0.5:9443,orderer0=orderer@http://10.0.0.9:8443".
func parseMonitoredNodes(s string) ([]monitoring.Node, error) {
	var nodes []monitoring.Node
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, rest, ok1 := strings.Cut(item, "=")
		kind, base, ok2 := strings.Cut(rest, "@")
		u, err := url.Parse(base)
		if !ok1 || !ok2 || name == "" || kind == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("KAIBAN_MONITORING_NODES: %q is not name=kind@http(s)://host:port", item)
		}
		base = strings.TrimRight(base, "/")
		nodes = append(nodes, monitoring.Node{Name: name, Kind: kind, Health: base + "/healthz", Metrics: base + "/metrics"})
	}
	return nodes, nil
}

// openOversight makes messages (with the live-delivery hub, listening until
// the process closes), supervision with the regulator service, and
// monitoring, for the api service.
func (p *platform) openOversight(ctx context.Context, ks *keys.Service) (httpapi.Oversight, error) {
	mon, err := p.monitoring()
	if err != nil {
		return httpapi.Oversight{}, err
	}
	hub := messages.NewHub(p.pool, p.log)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go hub.Run(hctx)
	p.onClose(cancel)
	return httpapi.Oversight{Messages: messages.NewStore(p.pool), Hub: hub, Supervision: p.supervision(ks), Monitoring: mon}, nil
}

// registerOversightJobs adds the overdue check and the monitoring rules to a
// worker process's River set and queues and returns their periodic jobs.
func (p *platform) registerOversightJobs(workers *river.Workers, queues map[string]int) ([]*river.PeriodicJob, error) {
	mon, err := p.monitoring()
	if err != nil {
		return nil, err
	}
	p.supervision(nil).Register(workers)
	mon.Register(workers)
	queues[supervision.Queue] = 1
	queues[monitoring.Queue] = 1
	return []*river.PeriodicJob{supervision.PeriodicOverdue(overdueEvery), monitoring.PeriodicEvaluate(evaluateEvery)}, nil
}
