package main

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// TestOutboxCommands_ListAndRetry_Postgres runs `kaiban outbox list` and `retry` on a
// real database: nothing failed, then a failed write listed and retried back
// to pending with a new job, and the refusals — an unknown key, a write that
// has not failed, a bad status or limit.
func TestOutboxCommands_ListAndRetry_Postgres(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t, pool), "KAIBAN_SECRETS_MASTER_KEY": hex.EncodeToString(make([]byte, 32))}
	cmd := func(args ...string) (int, string, string) {
		t.Helper()
		e, out, errs := testEnv(vars)
		return run(ctx, args, e), out.String(), errs.String()
	}

	if st, out, errs := cmd("outbox", "list"); st != 0 || out != "no failed chain writes\n" {
		t.Fatalf("list of nothing: %d %q %s", st, out, errs)
	}

	ob, err := outbox.New(pool, nil, outbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	w := outbox.Write{Identity: "OperatorMSP/clerk", Chaincode: "approval", Function: "IssueBundle", Args: []string{"{}"}, Lane: "app-1"}
	for _, key := range []string{"issuance/bundle/app-1", "issuance/bundle/app-2"} {
		w.Key = key
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ob.Enqueue(ctx, tx, w); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// What the worker records when the chaincode refuses a write for good.
	var oldJob int64
	if err := pool.QueryRow(ctx, `UPDATE chain_outbox SET status = 'failed', attempts = 1, error_code = 'STATE',
		last_error = E'outbox: write 1: endorse:\n	chaincode refused: STATE: process app-1 is running' || repeat(' and more', 40)
		WHERE key = 'issuance/bundle/app-1' RETURNING job_id`).Scan(&oldJob); err != nil {
		t.Fatal(err)
	}

	st, out, errs := cmd("outbox", "list")
	if st != 0 {
		t.Fatalf("list: %d %s", st, errs)
	}
	t.Logf("kaiban outbox list:\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "KEY") || strings.Contains(out, "app-2") ||
		!strings.Contains(lines[1], "issuance/bundle/app-1  approval.IssueBundle  1         STATE") ||
		!strings.Contains(lines[1], "outbox: write 1: endorse: chaincode refused: STATE: process app-1 is running and more") ||
		!strings.HasSuffix(lines[1], "…") || !strings.HasPrefix(lines[2], "Once the cause is fixed: kaiban outbox retry KEY") {
		t.Fatalf("list of one failed write:\n%s", out)
	}
	if st, out, errs := cmd("outbox", "list", "--status", "pending", "--limit=5"); st != 0 ||
		!strings.Contains(out, "issuance/bundle/app-2") || strings.Contains(out, "app-1") || strings.Contains(out, "Once the cause") {
		t.Fatalf("list --status pending: %d %s %s", st, out, errs)
	}
	if st, out, _ := cmd("outbox", "list", "--status", "done"); st != 0 || out != "no done chain writes\n" {
		t.Fatalf("list --status done: %d %q", st, out)
	}

	st, out, errs = cmd("outbox", "retry", "issuance/bundle/app-1", "nope", "issuance/bundle/app-2")
	if st != 1 || !strings.Contains(errs, "2 of 3 writes not retried") {
		t.Fatalf("retry: %d %s", st, errs)
	}
	for _, want := range []string{"nope: no such write\n", "issuance/bundle/app-1: retried, now pending\n",
		"issuance/bundle/app-2: not a failed write (status pending)\n", "1 retried: the process that works the chain queue (kaiban serve worker"} {
		if !strings.Contains(out, want) {
			t.Fatalf("retry printed no %q:\n%s", want, out)
		}
	}
	t.Logf("kaiban outbox retry:\n%s", out)
	var status, jobState string
	var attempts int
	if err := pool.QueryRow(ctx, `SELECT o.status, o.attempts, j.state FROM chain_outbox o JOIN river_job j ON j.id = o.job_id
		WHERE o.key = 'issuance/bundle/app-1' AND o.job_id <> $1 AND o.last_error IS NULL`, oldJob).Scan(&status, &attempts, &jobState); err != nil ||
		status != "pending" || attempts != 0 || jobState != "available" || jobState == "" {
		t.Fatalf("after retry: %s, %d attempts, new job %q (%v)", status, attempts, jobState, err)
	}
	var recorded int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'outbox.retry'`).Scan(&recorded); err != nil || recorded != 3 {
		t.Fatalf("%d retries in the audit log (%v), want 3", recorded, err)
	}
	if st, out, _ := cmd("outbox", "list"); st != 0 || out != "no failed chain writes\n" {
		t.Fatalf("list after retry: %d %q", st, out)
	}
	if st, out, _ := cmd("outbox", "list", "--limit", "1", "--status", "pending"); st != 0 || strings.Contains(out, "app-1") ||
		!strings.Contains(out, "issuance/bundle/app-2") || !strings.HasSuffix(out, "(the latest 1; --limit N shows more)\n") {
		t.Fatalf("list --limit 1 of two pending: %d %s", st, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"outbox", "list", "--status", "lost"}, `--status must be one of pending, submitting, done, failed, not "lost"`},
		{[]string{"outbox", "list", "--limit", "0"}, "--limit must be at least 1"},
		{[]string{"outbox", "list", "--limit", "many"}, `invalid value "many" for flag -limit`},
		{[]string{"outbox", "list", "extra"}, `unexpected argument "extra"`},
		{[]string{"outbox", "retry"}, "want the KEY of one or more failed writes"},
		{[]string{"outbox", "purge"}, `unknown subcommand "purge"`},
		{[]string{"outbox"}, "want a subcommand: list or retry"},
	} {
		if st, _, errs := cmd(tc.args...); st != 2 || !strings.Contains(errs, tc.want) || !strings.Contains(errs, "usage: kaiban outbox list [--status S]") {
			t.Errorf("%v: %d %s", tc.args, st, errs)
		}
	}
}

func TestCommandFlags(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		status string
		limit  int
		rest   string
	}{
		{nil, "failed", 50, ""},
		{[]string{"--database-url", "postgres://h/db", "--status", "done", "-limit=3", "k"}, "done", 3, "--database-url postgres://h/db k"},
		{[]string{"--status=pending", "--", "--limit", "9"}, "pending", 50, "-- --limit 9"},
	} {
		var f outboxListFlags
		rest, err := commandFlags(f.set(), tc.args)
		if err != nil {
			t.Fatal(err)
		}
		if f.status != tc.status || f.limit != tc.limit {
			t.Errorf("%v: status %s, limit %d", tc.args, f.status, f.limit)
		}
		if got := strings.Join(rest, " "); got != tc.rest {
			t.Errorf("%v: rest %q", tc.args, got)
		}
	}
}

// TestOutboxCommands_RetryCommits_Devnet: a supervisor's note on a process the chain
// does not have yet keeps meeting NOT_FOUND until the write fails; kaiban
// outbox list shows it, and once the process is started kaiban outbox retry
// puts it back to work and the worker working the chain queue commits it.
func TestOutboxCommands_RetryCommits_Devnet(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.New(t)
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t, pool), "KAIBAN_SECRETS_MASTER_KEY": hex.EncodeToString(make([]byte, 32))}
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	net := chaintest.Start(t, chaintest.Options{})
	c := net.Connect(t)
	k := chaintest.MustFound(t, c)
	ob, err := outbox.New(pool, c, outbox.Config{MaxAttempts: 2, RetryBase: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
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
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rc.Stop(stop)
	})

	const app, key = "app-late", "supervision/note/app-late"
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Enqueue(ctx, tx, outbox.Write{Key: key, Identity: chaintest.Operator + "/supervisor", Chaincode: model.ChaincodeApproval,
		Function: "Intervene", Args: []string{chaintest.Canonical(&model.InterventionRequest{Process: app, Step: "licence",
			Action: model.InterveneNote, Reason: "looked at"})}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	finished := func(want outbox.Status) *outbox.Entry {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			en, err := ob.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			if en.Status == want {
				return en
			}
			if time.Now().After(deadline) {
				t.Fatalf("write not %s after 30s: %+v", want, en)
			}
		}
	}
	finished(outbox.StatusFailed)

	e, out, errs := testEnv(vars)
	if st := run(ctx, []string{"outbox", "list"}, e); st != 0 || !strings.Contains(out.String(), key+"  approval.Intervene  2         NOT_FOUND") {
		t.Fatalf("list: %d %s %s", st, out, errs)
	}
	start := model.ProcessStart{Application: app, Item: "establish", DefinitionDigest: gm.Hex([]byte("definition")), Applicant: k.Firm,
		Steps: []model.StepPlan{{Key: "licence", Department: chaintest.Market, LimitSeconds: 86400}}}
	clerk, err := c.Contract(chaintest.Operator+"/clerk", model.ChaincodeApproval)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clerk.Submit(ctx, "StartProcess", chain.WithArguments(chaintest.Canonical(&start))); err != nil {
		t.Fatal(err)
	}
	e, out, errs = testEnv(vars)
	if st := run(ctx, []string{"outbox", "retry", key}, e); st != 0 || !strings.Contains(out.String(), key+": retried") {
		t.Fatalf("retry: %d %s %s", st, out, errs)
	}
	if done := finished(outbox.StatusDone); done.TxID == "" || done.Attempts != 1 {
		t.Fatalf("after retry: %+v", done)
	}
	view, err := chain.EvaluateJSON[model.ProcessView](ctx, clerk, "GetProcess", chain.WithArguments(app))
	if err != nil || len(view.Interventions) != 1 {
		t.Fatalf("the note is not on chain: %+v, %v", view.Interventions, err)
	}
}
