// Package projection projects the chain into PostgreSQL: a listener per
// Kaiban chaincode reads its chaincode events from a checkpoint and writes each
// event's record into the ledger_* tables (migration 00200), for the queries
// the chain's LevelDB state cannot answer (by owner, by status, by deadline,
// across chaincodes).
//
// # Exactly once
//
// The rows an event changes, the event itself (ledger_events, keyed by
// transaction ID) and the chaincode's checkpoint (ledger_checkpoints: the
// block of the next event and the last transaction projected in it, with
// fabric-gateway's checkpointer semantics) are written in one database
// transaction. After a crash the listener resumes from the stored checkpoint:
// an event whose transaction committed is not delivered again, one whose
// transaction did not is delivered again and applied then. The ledger_events
// key is a second guard: an event delivered twice anyway is counted as a
// duplicate and not applied.
//
// # What a record holds
//
// Each record row holds the record's JSON as the chain last showed it
// (column record) and the columns queries filter on. Kaiban's events carry
// the changed record whole, with two exceptions handled here: a grant that
// answers an access request also closes that request (derived from the
// grant), and the approval chaincode's step decisions, overdue marks,
// interventions and bundles change the process and its other steps beyond
// their payload, so the projector reads the process view (GetProcess) and
// writes the process with all its steps. That read may show a later state
// than the event; the next event of the process brings the same or a later
// one, so the projection never stays behind the chain.
//
// An event that cannot be applied (an unknown name, a payload that is not
// the record its name promises) is kept in ledger_events with the problem and
// skipped, so that one bad event does not stop the projection.
package projection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// Source is the chain as the projector reads it: one identity's view of the
// channel. *chain.Identity implements it.
type Source interface {
	Channel() string
	ChaincodeEvents(ctx context.Context, chaincode string, from chain.Checkpoint) (<-chan chain.Event, error)
	Contract(chaincode string) *chain.Contract
}

// Projector projects the events of the Kaiban chaincodes into the database.
type Projector struct {
	pool       *pgxpool.Pool
	src        Source
	chaincodes []string
	batch      int
	backoff    time.Duration
	log        *slog.Logger

	applied, duplicates, problems atomic.Uint64
	// afterCommit, when set, is called after each committed batch with its
	// last event (tests stop the projector there).
	afterCommit func(chain.Event)
}

// Option configures a Projector.
type Option func(*Projector)

// WithChaincodes limits the projection to some chaincodes (default all four).
func WithChaincodes(names ...string) Option {
	return func(p *Projector) { p.chaincodes = names }
}

// WithBatch sets the most events applied in one database transaction
// (default 100); events are batched only when they are already waiting.
func WithBatch(n int) Option { return func(p *Projector) { p.batch = max(n, 1) } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(p *Projector) { p.log = l } }

// WithRetryDelay sets the pause before reopening a broken event stream or
// retrying a batch that failed (default 1s).
func WithRetryDelay(d time.Duration) Option { return func(p *Projector) { p.backoff = d } }

// New returns a projector reading src and writing to pool.
func New(pool *pgxpool.Pool, src Source, opts ...Option) *Projector {
	p := &Projector{
		pool: pool, src: src, batch: 100, backoff: time.Second, log: slog.Default(),
		chaincodes: []string{model.ChaincodeSubject, model.ChaincodeAsset, model.ChaincodeAuthorization, model.ChaincodeApproval},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// Stats counts what a projector did since it was created.
type Stats struct {
	// Applied is the number of events projected.
	Applied uint64
	// Duplicates is the number of events delivered again after they were
	// projected (and not applied again); zero unless a checkpoint was lost.
	Duplicates uint64
	// Problems is the number of events kept but not applied.
	Problems uint64
}

// Stats returns the projector's counters.
func (p *Projector) Stats() Stats {
	return Stats{Applied: p.applied.Load(), Duplicates: p.duplicates.Load(), Problems: p.problems.Load()}
}

// Run projects every configured chaincode until ctx ends, reopening broken
// streams from the stored checkpoint. It returns nil when ctx is cancelled.
func (p *Projector) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, cc := range p.chaincodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.follow(ctx, cc)
		}()
	}
	wg.Wait()
	return nil
}

// follow projects one chaincode's stream, reopening it after any failure.
func (p *Projector) follow(ctx context.Context, chaincode string) {
	for ctx.Err() == nil {
		err := p.stream(ctx, chaincode)
		if ctx.Err() != nil {
			return
		}
		p.log.Warn("ledger projection: stream interrupted; resuming from the checkpoint", "chaincode", chaincode, "error", err)
		select {
		case <-time.After(p.backoff):
		case <-ctx.Done():
		}
	}
}

// stream opens the event stream at the stored checkpoint and applies its
// events until it breaks or a batch fails.
func (p *Projector) stream(ctx context.Context, chaincode string) error {
	from, err := p.Checkpoint(ctx, chaincode)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := p.src.ChaincodeEvents(sctx, chaincode, from)
	if err != nil {
		return err
	}
	for {
		var batch []chain.Event
		select {
		case ev, ok := <-events:
			if !ok {
				return errors.New("event stream closed")
			}
			batch = append(batch, ev)
		case <-ctx.Done():
			return ctx.Err()
		}
	drain:
		for len(batch) < p.batch {
			select {
			case ev, ok := <-events:
				if !ok {
					break drain
				}
				batch = append(batch, ev)
			default:
				break drain
			}
		}
		if err := p.apply(ctx, chaincode, batch); err != nil {
			return err
		}
		if p.afterCommit != nil {
			p.afterCommit(batch[len(batch)-1])
		}
	}
}

// Checkpoint returns where the projection of chaincode stands: the zero
// checkpoint (block 0) when nothing was projected yet.
func (p *Projector) Checkpoint(ctx context.Context, chaincode string) (chain.Checkpoint, error) {
	var cp chain.Checkpoint
	var block int64
	err := p.pool.QueryRow(ctx, `SELECT block_number, tx_id FROM ledger_checkpoints WHERE channel = $1 AND chaincode = $2`,
		p.src.Channel(), chaincode).Scan(&block, &cp.TxID)
	if errors.Is(err, pgx.ErrNoRows) {
		return chain.Checkpoint{}, nil
	}
	if err != nil {
		return cp, fmt.Errorf("ledger projection: checkpoint of %s: %w", chaincode, err)
	}
	cp.Block = uint64(block)
	return cp, nil
}

// apply projects a batch of one chaincode's events and moves its checkpoint
// past the last, in one transaction.
func (p *Projector) apply(ctx context.Context, chaincode string, batch []chain.Event) error {
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("ledger projection: %w", err)
	}
	defer tx.Rollback(ctx)
	var applied, duplicates, problems uint64
	for _, ev := range batch {
		fresh, problem, err := p.project(ctx, tx, ev)
		if err != nil {
			return fmt.Errorf("ledger projection: %s event %s of tx %s: %w", chaincode, ev.Name, ev.TxID, err)
		}
		switch {
		case !fresh:
			duplicates++
		case problem != "":
			problems++
			p.log.Warn("ledger projection: event kept but not applied", "chaincode", chaincode, "event", ev.Name, "tx", ev.TxID, "problem", problem)
		default:
			applied++
		}
	}
	last := chain.After(batch[len(batch)-1])
	if _, err := tx.Exec(ctx, `
		INSERT INTO ledger_checkpoints (channel, chaincode, block_number, tx_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (channel, chaincode) DO UPDATE
		SET block_number = EXCLUDED.block_number, tx_id = EXCLUDED.tx_id, updated_at = now()`,
		p.src.Channel(), chaincode, int64(last.Block), last.TxID); err != nil {
		return fmt.Errorf("ledger projection: checkpoint of %s: %w", chaincode, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("ledger projection: %w", err)
	}
	p.applied.Add(applied)
	p.duplicates.Add(duplicates)
	p.problems.Add(problems)
	return nil
}
