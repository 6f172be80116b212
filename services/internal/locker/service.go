package locker

import (
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
)

// Config holds what the locker service works with.
type Config struct {
	// Pool is the platform database (migrated).
	Pool *pgxpool.Pool
	// Store holds the sealed asset content.
	Store objectstore.Store
	// Keys wraps and unwraps data keys and holds the subjects' keys.
	Keys KeyWrapper
	// Outbox carries chain writes.
	Outbox Enqueuer
}

// Service is the locker service.
type Service struct {
	pool   *pgxpool.Pool
	store  objectstore.Store
	keys   KeyWrapper
	outbox Enqueuer
}

// New returns the locker service over cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Outbox == nil {
		return nil, fmt.Errorf("locker: store, keys and outbox are required")
	}
	return &Service{pool: cfg.Pool, store: cfg.Store, keys: cfg.Keys, outbox: cfg.Outbox}, nil
}
