package locker

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// Config holds what the locker service works with. Pool is required; a
// process that only runs the reminder jobs (Remind) needs Chain and Gateway
// besides, every other operation Store, Keys and Outbox too.
type Config struct {
	// Pool is the platform database (migrated).
	Pool *pgxpool.Pool
	// Store holds the sealed asset content.
	Store objectstore.Store
	// Keys wraps and unwraps data keys and holds the subjects' keys.
	Keys KeyService
	// Outbox carries chain writes.
	Outbox Enqueuer
	// PII seals the personal data of locker openings.
	PII *pii.Protector
	// Chain reads the chain and submits what must answer with its
	// transaction (an access record's tx ID); *chain.Client implements it.
	Chain Chain
	// Gateway is the chain identity ("MSPID" or "MSPID/name") that submits
	// subjects' signed requests (7.4.2 b: a member's window).
	Gateway string
	// Reviewer is the chain identity of a member holding the subject
	// permission, which approves locker openings; Gateway when empty.
	Reviewer string
}

// Chain is the ledger as the locker uses it.
type Chain interface {
	Contract(ref, chaincode string) (*chain.Contract, error)
}

// Service is the locker service.
type Service struct {
	pool     *pgxpool.Pool
	store    objectstore.Store
	keys     KeyService
	outbox   Enqueuer
	pii      *pii.Protector
	chain    Chain
	gateway  string
	reviewer string
}

// New returns the locker service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil {
		return nil, fmt.Errorf("locker: a database pool is required")
	}
	if cfg.Reviewer == "" {
		cfg.Reviewer = cfg.Gateway
	}
	return &Service{pool: cfg.Pool, store: cfg.Store, keys: cfg.Keys, outbox: cfg.Outbox, pii: cfg.PII,
		chain: cfg.Chain, gateway: cfg.Gateway, reviewer: cfg.Reviewer}, nil
}

// errNotConfigured reports an operation this process's service was not
// given the parts for (a worker runs only the reminders).
var errNotConfigured = errors.New("locker: this process has no object store, key service or outbox for this operation")

func (s *Service) ready() error {
	if s.store == nil || s.keys == nil || s.outbox == nil {
		return errNotConfigured
	}
	return nil
}
