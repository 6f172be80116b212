package main

import (
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// Reminder cadence of the locker's access requests (7.6.2 f): a pass every
// minute; owners are first reminded a day before a request is due.
const (
	lockerRemindEvery  = time.Minute
	lockerRemindBefore = locker.DefaultRemindBefore
)

// lockerGateway is the chain identity that submits subjects' signed
// requests and reviews locker openings: the member behind the clerk
// identity (the operator on devnet), which holds the subject permission.
func (p *platform) lockerGateway() string {
	member, _, _ := strings.Cut(p.clerkIdentity(), "/")
	return member
}

// openLocker makes the locker service over the platform's database, object
// store, outbox and chain client.
func (p *platform) openLocker(keySvc *keys.Service) (*locker.Service, error) {
	names, err := pii.New(1, p.key("pii", pii.MasterKeySize), nil)
	if err != nil {
		return nil, err
	}
	cfg := locker.Config{Pool: p.pool, Store: p.store, Keys: keySvc, Outbox: p.outbox, PII: names, Gateway: p.lockerGateway()}
	if p.chain != nil {
		cfg.Chain = p.chain
	}
	return locker.New(cfg)
}

// registerLockerJobs adds the locker's reminder worker and its periodic job
// to a worker process's River set and queues; it returns the periodic job
// for the client.
func (p *platform) registerLockerJobs(workers *river.Workers, queues map[string]int) (*river.PeriodicJob, error) {
	keySvc, err := keys.New(p.pool, keys.Config{Logger: p.log})
	if err != nil {
		return nil, err
	}
	svc, err := p.openLocker(keySvc)
	if err != nil {
		return nil, err
	}
	svc.Register(workers)
	queues[locker.Queue] = 1
	return locker.PeriodicRemind(lockerRemindEvery, lockerRemindBefore), nil
}
