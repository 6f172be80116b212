package supervision_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

// TestOverdueJob_MarksOnChainAndInterventionRecorded_Devnet starts a process
// whose only step has a one-second limit, lets it run over, and has the
// periodic River job mark it overdue on the chain through the outbox; then a
// supervisor's extension reaches the chain and the timeline shows both.
func TestOverdueJob_MarksOnChainAndInterventionRecorded_Devnet(t *testing.T) {
	pool := migrated(t)
	net := chaintest.Start(t, chaintest.Options{})
	c := net.Connect(t)
	k := chaintest.MustFound(t, c)

	clerk, err := c.Contract(chaintest.Operator+"/clerk", model.ChaincodeApproval)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Submit(ctx, "StartProcess", chain.WithArguments(chaintest.Canonical(&model.ProcessStart{
		Application: "APP-OD", Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: k.Firm,
		Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 1}},
	}))); err != nil {
		t.Fatal(err)
	}

	runProjection(t, pool, c, model.ChaincodeApproval)

	ob := testOutbox(t, pool, c)
	s := supervision.New(pool, ob, supervision.Config{Supervisor: chaintest.Operator + "/supervisor"})
	workers := river.NewWorkers()
	ob.Register(workers)
	s.Register(workers)
	rc, err := jobs.NewClient(pool, workers, jobs.Config{
		Queues: map[string]int{outbox.Queue: 2, supervision.Queue: 1}, FetchPollInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}

	// The step is projected as ready, then its second passes.
	waitFor(t, "the step projected", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_steps WHERE process = 'APP-OD' AND ready`).Scan(&n)
		return n == 1
	})
	time.Sleep(1200 * time.Millisecond)

	rc.PeriodicJobs().Add(supervision.PeriodicOverdue(200 * time.Millisecond))
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Stop(ctx) })

	waitFor(t, "the overdue mark on chain", func() bool {
		alerts, err := s.Alerts(ctx, supervision.AlertOverdue, 0, 0)
		if err != nil || len(alerts) == 0 {
			return false
		}
		e, err := ob.Get(ctx, alerts[0].OutboxKey)
		if err != nil && !errors.Is(err, outbox.ErrNotFound) {
			t.Fatal(err)
		}
		if e != nil && e.Status == outbox.StatusFailed {
			t.Fatalf("MarkOverdue failed: %+v", e)
		}
		return e != nil && e.Status == outbox.StatusDone
	})
	view, err := chain.EvaluateJSON[model.ProcessView](ctx, clerk, "GetProcess", chain.WithArguments("APP-OD"))
	if err != nil {
		t.Fatal(err)
	}
	if !view.Steps[0].Overdue {
		t.Fatalf("step not overdue on chain: %+v", view.Steps[0])
	}

	iv, err := s.Intervene(ctx, "sup-1", model.InterventionRequest{Process: "APP-OD", Step: "licence", Action: model.InterveneExtend,
		Reason: "materials arrived late", ExtendSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	var tl *supervision.Timeline
	t.Cleanup(func() {
		if t.Failed() {
			e, _ := ob.Get(ctx, iv.OutboxKey)
			t.Logf("outbox %+v; timeline %+v", e, tl)
		}
	})
	waitFor(t, "the intervention projected", func() bool {
		tl, err = s.Timeline(ctx, "APP-OD")
		return err == nil && len(tl.Interventions) == 1
	})
	// The extension moved the deadline an hour on and cleared the mark; the
	// alert stays as the record that the step ran over.
	if tl.Interventions[0].Reason != "materials arrived late" || tl.Steps[0].ExtensionSeconds != 3600 || tl.Steps[0].Late || tl.Steps[0].OverdueOnChain {
		t.Fatalf("timeline %+v (intervention %s)", tl, iv.OutboxKey)
	}
	alerts, _ := s.Alerts(ctx, supervision.AlertOverdue, 0, 0)
	if len(alerts) != 1 {
		t.Fatalf("alerts %+v", alerts)
	}
}

// runProjection projects the chaincodes' events from c's ledger into pool,
// as the operator, until the test ends.
func runProjection(t *testing.T, pool *pgxpool.Pool, c *chain.Client, chaincodes ...string) {
	t.Helper()
	operator, err := c.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stop := context2(t)
	var wg sync.WaitGroup
	wg.Go(func() { projection.New(pool, operator, projection.WithChaincodes(chaincodes...)).Run(pctx) })
	t.Cleanup(func() { stop(); wg.Wait() })
}

// testOutbox is a chain outbox over pool and c that retries quickly.
func testOutbox(t *testing.T, pool *pgxpool.Pool, c *chain.Client) *outbox.Outbox {
	t.Helper()
	ob, err := outbox.New(pool, c, outbox.Config{Key: []byte("0123456789abcdef"), RetryBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return ob
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRegulator_InspectRecordedOnChain_Devnet has a regulator read a licence
// in its remit; the read reaches the chain as a regulate access and comes
// back through the projection.
func TestRegulator_InspectRecordedOnChain_Devnet(t *testing.T) {
	pool := migrated(t)
	net := chaintest.Start(t, chaintest.Options{})
	c := net.Connect(t)
	k := chaintest.MustFound(t, c)
	market, err := c.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	res, err := market.Submit(ctx, "IssueAsset", chain.WithArguments(chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence("REG-1"))...))
	if err != nil {
		t.Fatal(err)
	}
	var issued model.Asset
	if err := res.Decode(&issued); err != nil {
		t.Fatal(err)
	}
	runProjection(t, pool, c, model.ChaincodeAsset, model.ChaincodeAuthorization)

	ob := testOutbox(t, pool, c)
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

	s := supervision.New(pool, ob, supervision.Config{Regulator: chaintest.Operator + "/regulator"})
	if _, err := s.SetRemit(ctx, supervision.Remit{Regulator: chaintest.Operator, AssetTypes: []string{issued.Type}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the asset projected", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_assets WHERE id = $1`, issued.ID).Scan(&n)
		return n == 1
	})
	ins, err := s.Inspect(ctx, nil, supervision.InspectInput{Regulator: chaintest.Operator, Asset: issued.ID, Reason: "annual licence audit"})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the regulate access on chain and projected", func() bool {
		if e, _ := ob.Get(ctx, ins.OutboxKey); e != nil && e.Status == outbox.StatusFailed {
			t.Fatalf("RecordAccess failed: %+v", e)
		}
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_access_records WHERE asset = $1 AND action = 'regulate'
			AND accessor = $2 AND record->>'reason' = 'annual licence audit'`, issued.ID, chaintest.Operator).Scan(&n)
		return n == 1
	})
}
