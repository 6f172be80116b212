package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
)

// Queue is the River queue of the outbox's jobs; a process that submits chain
// writes works it (jobs.Config.Queues).
const Queue = "chain_outbox"

// Ledger is what the outbox needs of the chain: the identities writes are
// submitted as. *chain.Client implements it.
type Ledger interface {
	Identity(ref string) (*chain.Identity, error)
}

// Config configures an Outbox.
type Config struct {
	// Key is the 16-byte SM4 key that seals transient data at rest and keys
	// the digest of each write. Without it, writes with transient data are
	// refused.
	Key []byte
	// MaxAttempts is how many attempts a write gets before it is failed.
	// Default 25.
	MaxAttempts int
	// RetryBase is the delay before the second attempt; each further attempt
	// waits twice as long, up to RetryMax, with ±25 % jitter. Default 500ms.
	RetryBase time.Duration
	// RetryMax caps the delay between attempts. Default 1 minute.
	RetryMax time.Duration
	// LaneWait is how long a write waits before looking again at an earlier
	// unfinished write of its lane. Default 200ms.
	LaneWait time.Duration
	// JobTimeout bounds one attempt. Default 2 minutes; it must stay below
	// jobs.Config.RescueAfter.
	JobTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultMaxAttempts = 25
	DefaultRetryBase   = 500 * time.Millisecond
	DefaultRetryMax    = time.Minute
	DefaultLaneWait    = 200 * time.Millisecond
	DefaultJobTimeout  = 2 * time.Minute
)

// Outbox is the chain outbox over one database.
type Outbox struct {
	pool     *pgxpool.Pool
	ledger   Ledger
	cfg      Config
	inserter *river.Client[pgx.Tx]
	hooks    hooks
}

// hooks let tests stop an attempt at a chosen point (see export_test.go).
type hooks struct {
	afterStore func(id int64)
}

// New returns the outbox over pool submitting through ledger. ledger may be
// nil in a process that only enqueues.
func New(pool *pgxpool.Pool, ledger Ledger, cfg Config) (*Outbox, error) {
	if cfg.Key != nil && len(cfg.Key) != gm.SM4KeySize {
		return nil, fmt.Errorf("outbox: key must be %d bytes, not %d", gm.SM4KeySize, len(cfg.Key))
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = DefaultRetryBase
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = DefaultRetryMax
	}
	if cfg.LaneWait <= 0 {
		cfg.LaneWait = DefaultLaneWait
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = DefaultJobTimeout
	}
	inserter, err := jobs.NewInserter(pool)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return &Outbox{pool: pool, ledger: ledger, cfg: cfg, inserter: inserter}, nil
}

// Register adds the outbox's submit worker to a River worker set.
func (o *Outbox) Register(workers *river.Workers) {
	river.AddWorker(workers, &worker{o: o})
}

// Write is a chain transaction to submit.
type Write struct {
	// Key is the idempotency key, unique across all writes, for example
	// "application/42/start-process". Enqueueing an identical write under the
	// same key again is a no-op; a different write under it is ErrKeyReused.
	Key string
	// Identity is the chain identity that submits ("MSPID" or "MSPID/name").
	Identity string
	// Chaincode is the Kaiban chaincode (model.ChaincodeApproval, ...).
	Chaincode string
	// Function and Args are the transaction function and its arguments.
	Function string
	Args     []string
	// Transient is transient data (secrets such as authorization codes),
	// sealed at rest and erased once the write is finished.
	Transient map[string][]byte
	// Lane, when set, orders this write after every earlier write of the
	// same lane (for example the process it belongs to).
	Lane string
}

// Limits of a Write.
const (
	MaxKeyBytes   = 256
	MaxWriteBytes = 256 << 10
)

// Errors callers branch on.
var (
	// ErrKeyReused is a different write enqueued under an existing key.
	ErrKeyReused = errors.New("outbox: idempotency key already used for a different write")
	// ErrInvalidWrite is a write with a missing or oversized field.
	ErrInvalidWrite = errors.New("outbox: invalid write")
	// ErrNotFound is an unknown key.
	ErrNotFound = errors.New("outbox: no such write")
)

func (w *Write) validate(sealing bool) error {
	size := len(w.Key) + len(w.Identity) + len(w.Chaincode) + len(w.Function) + len(w.Lane)
	for _, a := range w.Args {
		size += len(a)
	}
	for k, v := range w.Transient {
		size += len(k) + len(v)
	}
	switch {
	case w.Key == "" || len(w.Key) > MaxKeyBytes:
		return fmt.Errorf("%w: key must have 1 to %d bytes", ErrInvalidWrite, MaxKeyBytes)
	case w.Identity == "" || w.Chaincode == "" || w.Function == "":
		return fmt.Errorf("%w %s: identity, chaincode and function are required", ErrInvalidWrite, w.Key)
	case size > MaxWriteBytes:
		return fmt.Errorf("%w %s: %d bytes, more than %d", ErrInvalidWrite, w.Key, size, MaxWriteBytes)
	case len(w.Transient) > 0 && !sealing:
		return fmt.Errorf("%w %s: transient data needs an outbox key to be sealed at rest", ErrInvalidWrite, w.Key)
	}
	return nil
}

// submitArgs are the River job's arguments: only the row's ID, so that no
// part of the write (transient data least of all) is copied into River's table.
type submitArgs struct {
	ID int64 `json:"id"`
}

func (submitArgs) Kind() string { return "kaiban.chain.submit" }

// Enqueue records w in tx, the transaction of the business change that needs
// it, together with the River job that will submit it: both exist once tx
// commits, neither if it rolls back. It returns the write's ID; for a write
// already enqueued under the same key with the same content, the existing ID.
func (o *Outbox) Enqueue(ctx context.Context, tx pgx.Tx, w Write) (int64, error) {
	if err := w.validate(o.cfg.Key != nil); err != nil {
		return 0, err
	}
	if w.Args == nil {
		w.Args = []string{}
	}
	digest, err := o.digest(&w)
	if err != nil {
		return 0, err
	}
	var sealed []byte
	if len(w.Transient) > 0 {
		if sealed, err = o.seal(w.Key, w.Transient); err != nil {
			return 0, err
		}
	}
	args, err := json.Marshal(w.Args)
	if err != nil {
		return 0, fmt.Errorf("outbox: %s: %w", w.Key, err)
	}
	var lane *string
	if w.Lane != "" {
		lane = &w.Lane
	}
	var id int64
	err = tx.QueryRow(ctx, `
		INSERT INTO chain_outbox (key, identity, chaincode, function, args, transient, has_transient, digest, lane)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (key) DO NOTHING
		RETURNING id`,
		w.Key, w.Identity, w.Chaincode, w.Function, args, sealed, sealed != nil, digest, lane).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		var existing string
		if err := tx.QueryRow(ctx, `SELECT id, digest FROM chain_outbox WHERE key = $1`, w.Key).Scan(&id, &existing); err != nil {
			return 0, fmt.Errorf("outbox: enqueue %s: %w", w.Key, err)
		}
		if existing != digest {
			return 0, fmt.Errorf("%w: %s", ErrKeyReused, w.Key)
		}
		return id, nil
	}
	if err != nil {
		return 0, fmt.Errorf("outbox: enqueue %s: %w", w.Key, err)
	}
	if err := o.insertJob(ctx, tx, id); err != nil {
		return 0, fmt.Errorf("outbox: enqueue %s: %w", w.Key, err)
	}
	return id, nil
}

func (o *Outbox) insertJob(ctx context.Context, tx pgx.Tx, id int64) error {
	res, err := o.inserter.InsertTx(ctx, tx, submitArgs{ID: id}, &river.InsertOpts{Queue: Queue, MaxAttempts: o.cfg.MaxAttempts})
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE chain_outbox SET job_id = $2 WHERE id = $1`, id, res.Job.ID)
	return err
}

// Reschedule gives a new job to every unfinished write whose job has ended
// without finishing it — River discards a job after its last attempt even
// when that attempt could not reach the database to record the failure — and
// returns how many it rescheduled. Run it when a process that works the queue
// starts; it is cheap when there is nothing to do.
func (o *Outbox) Reschedule(ctx context.Context) (int, error) {
	tx, err := o.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("outbox: reschedule: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `
		SELECT o.id FROM chain_outbox o LEFT JOIN river_job j ON j.id = o.job_id
		WHERE o.status IN ('pending', 'submitting') AND (j.id IS NULL OR j.state IN ('completed', 'cancelled', 'discarded'))
		ORDER BY o.id FOR UPDATE OF o SKIP LOCKED`)
	if err != nil {
		return 0, fmt.Errorf("outbox: reschedule: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("outbox: reschedule: %w", err)
	}
	for _, id := range ids {
		if err := o.insertJob(ctx, tx, id); err != nil {
			return 0, fmt.Errorf("outbox: reschedule write %d: %w", id, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("outbox: reschedule: %w", err)
	}
	return len(ids), nil
}

// Status is the state of a write.
type Status string

// The states of a write; see the package documentation.
const (
	StatusPending    Status = "pending"
	StatusSubmitting Status = "submitting"
	StatusDone       Status = "done"
	StatusFailed     Status = "failed"
)

// Entry is a write as the outbox holds it. Transient data and the stored
// transaction are not exposed.
type Entry struct {
	ID        int64
	Key       string
	Identity  string
	Chaincode string
	Function  string
	Args      []string
	Lane      string
	Status    Status
	Attempts  int
	// TxID is the transaction in flight or committed.
	TxID string
	// Block and Result are the commit's block and the chaincode's response
	// (done).
	Block  uint64
	Result []byte
	// LastError is the last attempt's error; ErrorCode the chaincode's model
	// code when it refused.
	LastError string
	ErrorCode string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const entryColumns = `id, key, identity, chaincode, function, args, coalesce(lane, ''), status, attempts,
	coalesce(tx_id, ''), coalesce(block_number, 0), result, coalesce(last_error, ''), coalesce(error_code, ''),
	created_at, updated_at`

func scanEntry(row pgx.Row) (*Entry, error) {
	var e Entry
	var args []byte
	var block int64
	if err := row.Scan(&e.ID, &e.Key, &e.Identity, &e.Chaincode, &e.Function, &args, &e.Lane, &e.Status, &e.Attempts,
		&e.TxID, &block, &e.Result, &e.LastError, &e.ErrorCode, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.Block = uint64(block)
	if err := json.Unmarshal(args, &e.Args); err != nil {
		return nil, fmt.Errorf("outbox: write %d: arguments: %w", e.ID, err)
	}
	return &e, nil
}

// Get returns the write enqueued under key.
func (o *Outbox) Get(ctx context.Context, key string) (*Entry, error) {
	e, err := scanEntry(o.pool.QueryRow(ctx, `SELECT `+entryColumns+` FROM chain_outbox WHERE key = $1`, key))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: get %s: %w", key, err)
	}
	return e, nil
}

// Retry puts a failed write back to work with a fresh job (an operator's
// action once the cause is fixed). A stored transaction whose outcome was
// unknown is sent again, not endorsed anew. Transient data erased at the
// failure cannot come back: such a write must be enqueued again under a new
// key.
func (o *Outbox) Retry(ctx context.Context, key string) error {
	tx, err := o.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("outbox: retry %s: %w", key, err)
	}
	defer tx.Rollback(ctx)
	var id int64
	var lost bool
	err = tx.QueryRow(ctx, `SELECT id, has_transient AND transient IS NULL AND envelope IS NULL
		FROM chain_outbox WHERE key = $1 AND status = 'failed' FOR UPDATE`, key).Scan(&id, &lost)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%w: no failed write %s", ErrNotFound, key)
	}
	if err != nil {
		return fmt.Errorf("outbox: retry %s: %w", key, err)
	}
	if lost {
		return fmt.Errorf("%w %s: its transient data was erased when it failed; enqueue it again under a new key", ErrInvalidWrite, key)
	}
	if _, err := tx.Exec(ctx, `
		UPDATE chain_outbox
		SET status = CASE WHEN envelope IS NULL THEN 'pending' ELSE 'submitting' END,
		    attempts = 0, last_error = NULL, error_code = NULL, updated_at = now()
		WHERE id = $1`, id); err != nil {
		return fmt.Errorf("outbox: retry %s: %w", key, err)
	}
	if err := o.insertJob(ctx, tx, id); err != nil {
		return fmt.Errorf("outbox: retry %s: %w", key, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("outbox: retry %s: %w", key, err)
	}
	return nil
}
