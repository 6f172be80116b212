package outbox_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

var ctx = context.Background()

// testKey is the outbox key of the tests.
var testKey = []byte("0123456789abcdef")

// migrated returns a fresh database with Kaiban's and River's schemas.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// env is a devnet with the fixture consortium, a database and an outbox
// whose jobs a River client works.
type env struct {
	net   *chaintest.Net
	chain *chain.Client
	k     *chaintest.Consortium
	pool  *pgxpool.Pool
	ob    *outbox.Outbox
	river *river.Client[pgx.Tx]
}

type envOptions struct {
	net     chaintest.Options
	outbox  outbox.Config
	workers int
	chain   []chain.Option
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	e := &env{pool: migrated(t)}
	e.net = chaintest.Start(t, o.net)
	e.chain = e.net.Connect(t)
	e.k = chaintest.MustFound(t, e.chain)
	submitter := e.chain
	if len(o.chain) > 0 {
		submitter = e.net.Connect(t, o.chain...)
	}
	if o.outbox.Key == nil {
		o.outbox.Key = testKey
	}
	if o.outbox.RetryBase == 0 {
		o.outbox.RetryBase = 50 * time.Millisecond
	}
	if o.outbox.LaneWait == 0 {
		o.outbox.LaneWait = 20 * time.Millisecond
	}
	var err error
	if e.ob, err = outbox.New(e.pool, submitter, o.outbox); err != nil {
		t.Fatal(err)
	}
	if o.workers == 0 {
		o.workers = 4
	}
	workers := river.NewWorkers()
	e.ob.Register(workers)
	if e.river, err = jobs.NewClient(e.pool, workers, jobs.Config{
		Queues: map[string]int{outbox.Queue: o.workers}, FetchPollInterval: 50 * time.Millisecond,
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.river.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		e.river.Stop(stop)
	})
	return e
}

// enqueue enqueues writes in one transaction, as a request handler does.
func enqueue(t testing.TB, pool *pgxpool.Pool, ob *outbox.Outbox, writes ...outbox.Write) []int64 {
	t.Helper()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var ids []int64
	for _, w := range writes {
		id, err := ob.Enqueue(ctx, tx, w)
		if err != nil {
			t.Fatalf("enqueue %s: %v", w.Key, err)
		}
		ids = append(ids, id)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return ids
}

// finished waits until the write under key is done or failed.
func finished(t testing.TB, ob *outbox.Outbox, key string, within time.Duration) *outbox.Entry {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		e, err := ob.Get(ctx, key)
		if err != nil && !errors.Is(err, outbox.ErrNotFound) {
			t.Fatal(err)
		}
		if e != nil && (e.Status == outbox.StatusDone || e.Status == outbox.StatusFailed) {
			return e
		}
		if time.Now().After(deadline) {
			t.Fatalf("write %s not finished after %s: %+v", key, within, e)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startProcess is the clerk's StartProcess of a one-step process.
func (e *env) startProcess(key, app string) outbox.Write {
	return outbox.Write{
		Key: key, Identity: chaintest.Operator + "/clerk", Chaincode: model.ChaincodeApproval, Function: "StartProcess",
		Args: []string{chaintest.Canonical(&model.ProcessStart{
			Application: app, Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: e.k.Firm,
			Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 86400}},
		})},
	}
}

// note is a supervisor's note on the licence step of process app.
func note(key, app, reason string) outbox.Write {
	return outbox.Write{
		Key: key, Identity: chaintest.Operator + "/supervisor", Chaincode: model.ChaincodeApproval, Function: "Intervene",
		Args: []string{chaintest.Canonical(&model.InterventionRequest{Process: app, Step: "licence", Action: model.InterveneNote, Reason: reason})},
	}
}

// interventions counts the interventions of process app on chain.
func (e *env) interventions(t testing.TB, app string) int {
	t.Helper()
	approval, err := e.chain.Contract(chaintest.Operator, model.ChaincodeApproval)
	if err != nil {
		t.Fatal(err)
	}
	view, err := chain.EvaluateJSON[model.ProcessView](ctx, approval, "GetProcess", chain.WithArguments(app))
	if err != nil {
		t.Fatal(err)
	}
	return len(view.Interventions)
}
