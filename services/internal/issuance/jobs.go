package issuance

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// Queue is the River queue of the issuance jobs.
const Queue = "issuance"

// BundleReady issues the bundle of every process whose steps are all
// decided (or that was rejected) and that has none yet, and returns how many
// it enqueued. A process whose bundle fails (a step's outputs not yet on
// chain, say) is tried again on the next pass; one a supervisor is reopening
// is passed over without an error until the reopen has settled (reaching the
// projection as a running process, or failing).
func (s *Service) BundleReady(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT p.id FROM ledger_processes p
		WHERE p.status IN ('running', 'rejected')
		  AND NOT EXISTS (SELECT 1 FROM issuance_bundles b WHERE b.process = p.id)
		  AND EXISTS (SELECT 1 FROM ledger_steps st WHERE st.process = p.id)
		  AND (p.status = 'rejected' OR NOT EXISTS (SELECT 1 FROM ledger_steps st WHERE st.process = p.id AND st.status = 'pending'))
		ORDER BY p.created_at LIMIT 100`)
	if err != nil {
		return 0, fmt.Errorf("processes ready for their bundle: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, fmt.Errorf("processes ready for their bundle: %w", err)
	}
	n := 0
	var errs []error
	for _, id := range ids {
		if _, err := s.Bundle(ctx, id); errors.Is(err, errReopening) {
			continue
		} else if err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// BundleArgs is the job that runs BundleReady.
type BundleArgs struct{}

// Kind names the job.
func (BundleArgs) Kind() string { return "kaiban.issuance.bundle" }

// InsertOpts puts the job on Queue.
func (BundleArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: Queue} }

// BundleWorker works BundleArgs.
type BundleWorker struct {
	river.WorkerDefaults[BundleArgs]
	s *Service
}

// Work runs one pass.
func (w *BundleWorker) Work(ctx context.Context, _ *river.Job[BundleArgs]) error {
	_, err := w.s.BundleReady(ctx)
	return err
}

// Register adds the issuance workers to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &BundleWorker{s: s})
}

// PeriodicBundle is the periodic bundle job; add it to the working River
// client (client.PeriodicJobs().Add) with Queue among its queues. Its
// interval is the longest a decided process waits for its bundle.
func PeriodicBundle(every time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return BundleArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}
