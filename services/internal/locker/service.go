package locker

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// Config holds what the locker service works with.
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
	pool   *pgxpool.Pool
	store  objectstore.Store
	keys     KeyService
	outbox   Enqueuer
	pii      *pii.Protector
	chain    Chain
	gateway  string
	reviewer string
}

// New returns the locker service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Pool == nil || cfg.Store == nil || cfg.Keys == nil || cfg.Outbox == nil {
		return nil, fmt.Errorf("locker: pool, store, keys and outbox are required")
	}
	if cfg.Reviewer == "" {
		cfg.Reviewer = cfg.Gateway
	}
	return &Service{pool: cfg.Pool, store: cfg.Store, keys: cfg.Keys, outbox: cfg.Outbox, pii: cfg.PII,
		chain: cfg.Chain, gateway: cfg.Gateway, reviewer: cfg.Reviewer}, nil
}
