package supervision_test

import (
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// TestReopenAndBundle_EitherOrder_Devnet queues a reopen and a bundle for
// two rejected processes in both orders while the outbox is held, then lets
// it run. Bundle first: the reopen is refused and changes nothing; the
// process is closed by its bundle, still rejected. Reopen first: the bundle
// pass leaves the process alone; the reopen reaches the chain, the market
// approves the reopened step, and the next pass issues its one bundle, which
// completes it. No IssueBundle write fails.
func TestReopenAndBundle_EitherOrder_Devnet(t *testing.T) {
	pool := migrated(t)
	net := chaintest.Start(t, chaintest.Options{})
	c := net.Connect(t)
	k := chaintest.MustFound(t, c)
	clerk, err := c.Contract(chaintest.Operator+"/clerk", model.ChaincodeApproval)
	if err != nil {
		t.Fatal(err)
	}
	market, err := c.Contract(chaintest.Market, model.ChaincodeApproval)
	if err != nil {
		t.Fatal(err)
	}
	decide := func(process string, approve bool) {
		t.Helper()
		if _, err := market.Submit(ctx, "DecideStep", chain.WithArguments(chaintest.Signed(k.MarketKey, model.ChaincodeApproval+".DecideStep",
			&model.StepDecision{Process: process, Step: "licence", Approve: approve, Approver: "u-1", Opinion: "材料不全"})...)); err != nil {
			t.Fatal(err)
		}
	}
	const bundleFirst, reopenFirst = "APP-BUNDLE-FIRST", "APP-REOPEN-FIRST"
	for _, app := range []string{bundleFirst, reopenFirst} {
		if _, err := clerk.Submit(ctx, "StartProcess", chain.WithArguments(chaintest.Canonical(&model.ProcessStart{
			Application: app, Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: k.Firm,
			Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 3600}},
		}))); err != nil {
			t.Fatal(err)
		}
		decide(app, false)
	}

	runProjection(t, pool, c, model.ChaincodeApproval)
	status := func(process string) string {
		var st string
		_ = pool.QueryRow(ctx, `SELECT status FROM ledger_processes WHERE id = $1`, process).Scan(&st)
		return st
	}
	waitFor(t, "both processes projected rejected", func() bool {
		return status(bundleFirst) == model.ProcessRejected && status(reopenFirst) == model.ProcessRejected
	})

	ob := testOutbox(t, pool, c)
	s := supervision.New(pool, ob, supervision.Config{Supervisor: chaintest.Operator + "/supervisor"})
	iss, err := issuance.New(issuance.Config{Pool: pool, Outbox: ob, Clerk: chaintest.Operator + "/clerk"})
	if err != nil {
		t.Fatal(err)
	}

	// The outbox is held: nothing below reaches the chain until River starts.
	reopen, err := s.Intervene(ctx, "sup-1", model.InterventionRequest{Process: reopenFirst, Step: "licence", Action: model.InterveneReopen, Reason: "材料已补正"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := iss.BundleReady(ctx); err != nil || n != 1 {
		t.Fatalf("bundle pass with a reopen queued: %d enqueued, %v; want the other process's bundle only", n, err)
	}
	if _, err := s.Intervene(ctx, "sup-1", model.InterventionRequest{Process: bundleFirst, Step: "licence", Action: model.InterveneReopen, Reason: "材料已补正"}); !errors.Is(err, supervision.ErrInvalid) {
		t.Fatalf("reopen with the bundle queued: %v, want ErrInvalid", err)
	}
	bundles := func(process string) (queued, failed int) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE o.status = 'failed')
			FROM issuance_bundles b JOIN chain_outbox o ON o.id = b.outbox_id WHERE b.process = $1`, process).Scan(&queued, &failed); err != nil {
			t.Fatal(err)
		}
		return queued, failed
	}
	if q, _ := bundles(reopenFirst); q != 0 {
		t.Fatalf("%d bundles queued for the process being reopened", q)
	}
	var reopens int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM supervision_interventions WHERE process = $1`, bundleFirst).Scan(&reopens); err != nil || reopens != 0 {
		t.Fatalf("%d interventions queued for the process being bundled (%v)", reopens, err)
	}

	workers := river.NewWorkers()
	ob.Register(workers)
	rc, err := jobs.NewClient(pool, workers, jobs.Config{Queues: map[string]int{outbox.Queue: 2}, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Stop(ctx) })
	done := func(key string) bool {
		e, err := ob.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if e.Status == outbox.StatusFailed {
			t.Fatalf("%s %s failed: %s", e.Function, key, e.LastError)
		}
		return e.Status == outbox.StatusDone
	}
	closed := func(process string) bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_bundles WHERE process = $1`, process).Scan(&n)
		return n == 1
	}

	waitFor(t, "the first process closed by its bundle", func() bool {
		return done("issuance/bundle/"+bundleFirst) && closed(bundleFirst)
	})
	if st := status(bundleFirst); st != model.ProcessRejected {
		t.Fatalf("the bundled process is %s, want rejected", st)
	}
	waitFor(t, "the reopen projected", func() bool {
		return done(reopen.OutboxKey) && status(reopenFirst) == model.ProcessRunning
	})
	if n, err := iss.BundleReady(ctx); err != nil || n != 0 {
		t.Fatalf("bundle pass with the reopened step pending: %d, %v", n, err)
	}
	decide(reopenFirst, true)
	waitFor(t, "the reopened step's decision projected", func() bool {
		var st string
		_ = pool.QueryRow(ctx, `SELECT status FROM ledger_steps WHERE process = $1`, reopenFirst).Scan(&st)
		return st == model.StepApproved
	})
	if n, err := iss.BundleReady(ctx); err != nil || n != 1 {
		t.Fatalf("bundle pass once the reopened step is decided: %d, %v", n, err)
	}
	waitFor(t, "the reopened process closed by its bundle", func() bool {
		return done("issuance/bundle/"+reopenFirst) && closed(reopenFirst) && status(reopenFirst) == model.ProcessCompleted
	})
	for _, app := range []string{bundleFirst, reopenFirst} {
		if q, f := bundles(app); q != 1 || f != 0 {
			t.Errorf("%s: %d bundles, %d failed; want one that committed", app, q, f)
		}
	}
	if n, err := iss.BundleReady(ctx); err != nil || n != 0 {
		t.Fatalf("bundle pass after both bundles: %d, %v", n, err)
	}
}
