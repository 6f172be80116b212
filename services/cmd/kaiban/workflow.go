package main

import (
	"context"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// defaultClerk is the chain identity that starts processes when the ledger
// client holds no identity named clerk (the devnet's operator has one).
const defaultClerk = "OperatorMSP/clerk"

// clerkIdentity is the first identity named clerk the ledger client holds.
func (p *platform) clerkIdentity() string {
	if p.chain != nil {
		for _, ref := range p.chain.Identities() {
			if strings.HasSuffix(ref, "/clerk") {
				return ref
			}
		}
	}
	return defaultClerk
}

// openWorkflow makes the item registry, window acceptance and the task API
// of the department systems, over the outbox the api enqueues into.
func (p *platform) openWorkflow(keySvc *keys.Service, lk *locker.Service) (httpapi.Workflow, error) {
	names, err := pii.New(1, p.key("pii", pii.MasterKeySize), nil)
	if err != nil {
		return httpapi.Workflow{}, err
	}
	reg := registry.New(p.pool)
	acc, err := acceptance.New(acceptance.Config{Pool: p.pool, Registry: reg, Outbox: p.outbox, PII: names,
		Clerk: p.clerkIdentity(), Keys: keySvc, Viewer: lk})
	if err != nil {
		return httpapi.Workflow{}, err
	}
	return httpapi.Workflow{Registry: reg, Acceptance: acc}, nil
}

// dispatchEvery is how often the worker looks for ready tasks to push.
const dispatchEvery = time.Second

// runDispatch pushes ready tasks to the department systems' webhooks until
// ctx ends; notices are signed with a key derived from the master key.
func (p *platform) runDispatch(ctx context.Context) {
	d := acceptance.NewDispatcher(p.pool, p.key("dispatch", 32), nil, p.log)
	go func() { _ = d.Run(ctx, dispatchEvery) }()
	p.started("dispatch", "ready tasks pushed to department webhooks every "+dispatchEvery.String())
}
