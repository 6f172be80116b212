package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// worker is the River worker that submits one write per job.
type worker struct {
	river.WorkerDefaults[submitArgs]
	o *Outbox
}

// Timeout bounds one attempt.
func (w *worker) Timeout(*river.Job[submitArgs]) time.Duration { return w.o.cfg.JobTimeout }

// NextRetry backs off exponentially from RetryBase to RetryMax with jitter,
// much faster than River's default (attempt⁴ seconds), because most retried
// writes lost an MVCC race or waited for another write and succeed soon.
func (w *worker) NextRetry(job *river.Job[submitArgs]) time.Time {
	return time.Now().Add(w.o.backoff(job.Attempt))
}

func (o *Outbox) backoff(attempt int) time.Duration {
	d := o.cfg.RetryBase << min(max(attempt-1, 0), 20)
	if d <= 0 || d > o.cfg.RetryMax {
		d = o.cfg.RetryMax
	}
	return d*3/4 + rand.N(d/2+1)
}

// Work makes one attempt at the job's write.
func (w *worker) Work(ctx context.Context, job *river.Job[submitArgs]) error {
	return w.o.attempt(ctx, job.Args.ID, job.Attempt >= job.MaxAttempts)
}

// row is what an attempt reads of a write.
type row struct {
	id                           int64
	key, identity, chaincode, fn string
	args                         []string
	transient, envelope          []byte
	lane                         string
	status                       Status
	txID                         string
}

func (o *Outbox) load(ctx context.Context, id int64) (*row, error) {
	var r row
	var args []byte
	err := o.pool.QueryRow(ctx, `
		SELECT id, key, identity, chaincode, function, args, transient, envelope, coalesce(lane, ''), status, coalesce(tx_id, '')
		FROM chain_outbox WHERE id = $1`, id).Scan(
		&r.id, &r.key, &r.identity, &r.chaincode, &r.fn, &args, &r.transient, &r.envelope, &r.lane, &r.status, &r.txID)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(args, &r.args); err != nil {
		return nil, fmt.Errorf("arguments: %w", err)
	}
	return &r, nil
}

// attempt submits write id once; last says it is the job's last attempt. It
// returns nil when the write is finished (now or earlier), a JobCancel error
// when it failed for good, a JobSnooze error when its lane is busy, and
// another error for River to retry.
func (o *Outbox) attempt(ctx context.Context, id int64, last bool) error {
	r, err := o.load(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return river.JobCancel(fmt.Errorf("outbox: no write %d", id))
	}
	if err != nil {
		return fmt.Errorf("outbox: write %d: %w", id, err)
	}
	if r.status == StatusDone || r.status == StatusFailed {
		return nil
	}
	if r.lane != "" {
		var before int64
		var st Status
		err := o.pool.QueryRow(ctx, `
			SELECT id, status FROM chain_outbox
			WHERE lane = $1 AND id < $2 AND status <> 'done' ORDER BY id LIMIT 1`, r.lane, r.id).Scan(&before, &st)
		switch {
		case err == nil && st == StatusFailed:
			return o.fail(ctx, r, "", fmt.Errorf("outbox: write %d of lane %s failed, and %s must follow it", before, r.lane, r.key), false)
		case err == nil:
			return river.JobSnooze(o.cfg.LaneWait)
		case !errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("outbox: write %d: lane: %w", id, err)
		}
	}
	if _, err := o.pool.Exec(ctx, `UPDATE chain_outbox SET attempts = attempts + 1, updated_at = now() WHERE id = $1`, id); err != nil {
		return fmt.Errorf("outbox: write %d: %w", id, err)
	}
	if o.ledger == nil {
		err := fmt.Errorf("outbox: write %d: this process works the outbox queue without a chain client", id)
		if last {
			return o.fail(ctx, r, "", err, false)
		}
		return err
	}
	identity, err := o.ledger.Identity(r.identity)
	if err != nil {
		return o.fail(ctx, r, "", err, false)
	}

	var tx *chain.Transaction
	if r.envelope != nil {
		// The outcome of the stored transaction is unknown: send it again.
		if tx, err = identity.Transaction(r.envelope); err != nil {
			return o.fail(ctx, r, "", err, true)
		}
	} else {
		transient, err := o.open(r.key, r.transient)
		if err != nil {
			return o.fail(ctx, r, "", err, false)
		}
		opts := []chain.CallOption{chain.WithArguments(r.args...)}
		if transient != nil {
			opts = append(opts, chain.WithTransient(transient))
		}
		if tx, err = identity.Contract(r.chaincode).Endorse(ctx, r.fn, opts...); err != nil {
			return o.failure(ctx, r, err, last)
		}
		envelope, err := tx.Bytes()
		if err != nil {
			return fmt.Errorf("outbox: write %d: %w", id, err)
		}
		tag, err := o.pool.Exec(ctx, `
			UPDATE chain_outbox SET status = 'submitting', tx_id = $2, envelope = $3, updated_at = now()
			WHERE id = $1 AND status = 'pending'`, id, tx.ID(), envelope)
		if err != nil {
			return fmt.Errorf("outbox: write %d: store transaction: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			// Another attempt (a rescued job) got here first and owns the write.
			return nil
		}
		r.txID = tx.ID()
		if o.hooks.afterStore != nil {
			o.hooks.afterStore(id)
		}
	}

	res, err := tx.Submit(ctx)
	if err != nil {
		return o.failure(ctx, r, err, last)
	}
	dctx, cancel := detached(ctx)
	defer cancel()
	if _, err := o.pool.Exec(dctx, `
		UPDATE chain_outbox
		SET status = 'done', tx_id = $2, block_number = $3, result = $4, envelope = NULL, transient = NULL,
		    last_error = NULL, error_code = NULL, updated_at = now()
		WHERE id = $1 AND status = 'submitting' AND tx_id = $2`, id, res.TxID, int64(res.Block), res.Payload); err != nil {
		// The transaction committed; the next attempt sends it again, reads
		// its VALID status and records it.
		return fmt.Errorf("outbox: write %d committed in tx %s but was not recorded: %w", id, res.TxID, err)
	}
	return nil
}

// failure decides what an attempt's error means for the write: see the
// package documentation for which errors are permanent.
func (o *Outbox) failure(ctx context.Context, r *row, err error, last bool) error {
	var ce *chain.Error
	permanent, drop := true, false
	code := ""
	switch {
	case errors.As(err, &ce) && ce.Step == chain.StepCommit:
		// Invalid: the transaction wrote nothing and can never commit now.
		permanent, drop = !ce.Conflict(), true
	case errors.As(err, &ce) && ce.Refused:
		code = string(ce.Code)
		permanent = ce.Code != model.CodeNotFound && ce.Code != model.CodeState
	case errors.As(err, &ce):
		permanent = !ce.Transient()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		permanent = false
	}
	if permanent || last {
		return o.fail(ctx, r, code, err, drop)
	}
	dctx, cancel := detached(ctx)
	defer cancel()
	if _, uerr := o.pool.Exec(dctx, `
		UPDATE chain_outbox
		SET status = CASE WHEN $3 THEN 'pending' ELSE status END,
		    envelope = CASE WHEN $3 THEN NULL ELSE envelope END,
		    last_error = $4, error_code = nullif($5, ''), updated_at = now()
		WHERE id = $1 AND coalesce(tx_id, '') = $2 AND status IN ('pending', 'submitting')`,
		r.id, r.txID, drop, err.Error(), code); uerr != nil {
		return fmt.Errorf("outbox: write %d: %w (and recording it: %v)", r.id, err, uerr)
	}
	return fmt.Errorf("outbox: write %d: %w", r.id, err)
}

// fail marks the write failed, erasing its transient data and, when drop is
// set or nothing was sent, its stored transaction, and tells River not to
// retry.
func (o *Outbox) fail(ctx context.Context, r *row, code string, err error, drop bool) error {
	dctx, cancel := detached(ctx)
	defer cancel()
	if _, uerr := o.pool.Exec(dctx, `
		UPDATE chain_outbox
		SET status = 'failed', envelope = CASE WHEN $2 THEN NULL ELSE envelope END, transient = NULL,
		    last_error = $3, error_code = nullif($4, ''), updated_at = now()
		WHERE id = $1 AND status IN ('pending', 'submitting')`,
		r.id, drop, err.Error(), code); uerr != nil {
		return fmt.Errorf("outbox: write %d: %w (and recording the failure: %v)", r.id, err, uerr)
	}
	return river.JobCancel(fmt.Errorf("outbox: write %d (%s) failed: %w", r.id, r.key, err))
}

// detached returns a context for recording an attempt's outcome even when the
// job's own context has ended (timeout, shutdown).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}
