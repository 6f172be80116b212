// Package jobs is Kaiban's background job queue: River (riverqueue) on the
// same PostgreSQL database as the data it works on, so that a job is inserted
// in the same transaction as the change that needs it and can never be lost
// or run for a change that rolled back. The chain outbox, reminders, deadline
// checks and department dispatch are River jobs.
//
// River keeps its own schema (river_job, river_leader, ...), migrated by
// River's rivermigrate rather than by goose files. Migrate runs after the goose
// migrations of package postgres (`kaiban migrate` and every start run both;
// neither depends on the other's tables) under a PostgreSQL advisory lock, so
// processes starting together do not race.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// migrateLock is the advisory lock key that serializes River migrations
// ("kaibanrv" in ASCII).
const migrateLock = 0x6b616962616e7276

// Migrate brings River's schema up to the version this binary was built with
// and returns the versions it applied.
func Migrate(ctx context.Context, pool *pgxpool.Pool) ([]int, error) {
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	// River's migrations run one transaction each (a new enum value cannot be
	// used in the transaction that adds it), so the lock is a session lock
	// held on a connection of its own.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return nil, fmt.Errorf("river migrations: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLock))
	res, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return nil, fmt.Errorf("river migrations: %w", err)
	}
	versions := make([]int, 0, len(res.Versions))
	for _, v := range res.Versions {
		versions = append(versions, v.Version)
	}
	return versions, nil
}

// Config configures a working River client.
type Config struct {
	// Queues maps each queue this process works to its number of concurrent
	// workers. A process with no queues only inserts jobs.
	Queues map[string]int
	// RescueAfter is how long a job may stay running before River assumes
	// its process died and makes it available again. It must exceed every
	// worker's timeout. Default 5 minutes.
	RescueAfter time.Duration
	// JobTimeout is the default run time limit of a job whose worker sets
	// none. Default 1 minute, or half of RescueAfter when that is shorter.
	JobTimeout time.Duration
	// FetchPollInterval is how often a worker polls for jobs when no
	// notification arrives. Default River's (1s); a shorter one also
	// shortens the pause between fetches.
	FetchPollInterval time.Duration
	// Logger receives River's logs; default slog.Default() at warning level.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultRescueAfter = 5 * time.Minute
	DefaultJobTimeout  = time.Minute
)

// NewClient returns a River client over pool working the configured queues
// with workers. Start it with Start and stop it with Stop.
func NewClient(pool *pgxpool.Pool, workers *river.Workers, cfg Config) (*river.Client[pgx.Tx], error) {
	rc := &river.Config{
		Workers:              workers,
		RescueStuckJobsAfter: cfg.RescueAfter,
		JobTimeout:           cfg.JobTimeout,
		FetchPollInterval:    cfg.FetchPollInterval,
		Logger:               cfg.Logger,
	}
	if rc.FetchPollInterval > 0 && rc.FetchPollInterval < river.FetchCooldownDefault {
		rc.FetchCooldown = rc.FetchPollInterval
	}
	if rc.RescueStuckJobsAfter <= 0 {
		rc.RescueStuckJobsAfter = DefaultRescueAfter
	}
	if rc.JobTimeout <= 0 {
		rc.JobTimeout = min(DefaultJobTimeout, rc.RescueStuckJobsAfter/2)
	}
	if rc.Logger == nil {
		rc.Logger = quietLogger()
	}
	if len(cfg.Queues) > 0 {
		rc.Queues = map[string]river.QueueConfig{}
		for q, n := range cfg.Queues {
			rc.Queues[q] = river.QueueConfig{MaxWorkers: n}
		}
	}
	c, err := river.NewClient(riverpgxv5.New(pool), rc)
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// NewInserter returns an insert-only River client: it inserts jobs (in a
// caller's transaction with InsertTx) and works none.
func NewInserter(pool *pgxpool.Pool) (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: quietLogger()})
	if err != nil {
		return nil, fmt.Errorf("river client: %w", err)
	}
	return c, nil
}

// quietLogger is the process logger without River's informational chatter
// (every retried job logs at info level).
func quietLogger() *slog.Logger {
	return slog.New(warnings{slog.Default().Handler()}).With("component", "river")
}

type warnings struct{ slog.Handler }

func (h warnings) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnings) WithAttrs(attrs []slog.Attr) slog.Handler {
	return warnings{h.Handler.WithAttrs(attrs)}
}

func (h warnings) WithGroup(name string) slog.Handler { return warnings{h.Handler.WithGroup(name)} }
