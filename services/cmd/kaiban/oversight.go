package main

import (
	"context"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
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

func (p *platform) supervision() *supervision.Service {
	return supervision.New(p.pool, p.outbox, supervision.Config{
		Supervisor: p.roleIdentity("supervisor", "OperatorMSP/supervisor"),
		Regulator:  p.roleIdentity("regulator", "OperatorMSP/regulator"),
	})
}

// monitoring probes the nodes whose operations endpoints the process
// knows: the embedded devnet's.
func (p *platform) monitoring() (*monitoring.Service, error) {
	var nodes []monitoring.Node
	if p.devnetOps != "" {
		base := "http://" + p.devnetOps
		nodes = append(nodes, monitoring.Node{Name: "devnet", Kind: "devnet", Health: base + "/healthz", Metrics: base + "/metrics"})
	}
	return monitoring.New(p.pool, monitoring.Config{Nodes: nodes})
}

// openOversight makes messages (with the live-delivery hub, listening until
// the process closes), supervision with the regulator service, and
// monitoring, for the api service.
func (p *platform) openOversight(ctx context.Context) (httpapi.Oversight, error) {
	mon, err := p.monitoring()
	if err != nil {
		return httpapi.Oversight{}, err
	}
	hub := messages.NewHub(p.pool, p.log)
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	go hub.Run(hctx)
	p.onClose(cancel)
	return httpapi.Oversight{Messages: messages.NewStore(p.pool), Hub: hub, Supervision: p.supervision(), Monitoring: mon}, nil
}

// registerOversightJobs adds the overdue check and the monitoring rules to a
// worker process's River set and queues and returns their periodic jobs.
func (p *platform) registerOversightJobs(workers *river.Workers, queues map[string]int) ([]*river.PeriodicJob, error) {
	mon, err := p.monitoring()
	if err != nil {
		return nil, err
	}
	p.supervision().Register(workers)
	mon.Register(workers)
	queues[supervision.Queue] = 1
	queues[monitoring.Queue] = 1
	return []*river.PeriodicJob{supervision.PeriodicOverdue(overdueEvery), monitoring.PeriodicEvaluate(evaluateEvery)}, nil
}
