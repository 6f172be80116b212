package supervision_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/supervision"
)

var ctx = context.Background()

// t0 is the fixed "now" of the projection tests.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) string { return model.FormatTime(t0.Add(d)) }

// migrated returns a fresh database with Kaiban's and River's schemas.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// service is supervision at t0 over pool, with an outbox that only enqueues.
func service(t testing.TB, pool *pgxpool.Pool) *supervision.Service {
	t.Helper()
	ob, err := outbox.New(pool, nil, outbox.Config{Key: []byte("0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return supervision.New(pool, ob, supervision.Config{Supervisor: "OperatorMSP/supervisor", Regulator: "RegulatorMSP/regulator"},
		supervision.WithClock(func() time.Time { return t0 }))
}

// project writes a process view into the ledger_* tables as the projector
// does.
func project(t testing.TB, pool *pgxpool.Pool, v model.ProcessView) {
	t.Helper()
	raw := func(x any) []byte { b, _ := json.Marshal(x); return b }
	created, _ := model.ParseTime(v.Process.CreatedAt)
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_processes (id, item, applicant, sponsor, status, created_at, record, block_number, tx_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 'tx') ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, record = EXCLUDED.record`,
		v.Process.ID, v.Process.Item, v.Process.Applicant, v.Process.Sponsor, v.Process.Status, created, raw(v.Process)); err != nil {
		t.Fatal(err)
	}
	for _, s := range v.Steps {
		var deadline any
		if s.Deadline != "" {
			deadline, _ = model.ParseTime(s.Deadline)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO ledger_steps (process, step_key, department, status, ready, overdue, deadline, record, block_number, tx_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, 'tx') ON CONFLICT (process, step_key) DO UPDATE
			SET status = EXCLUDED.status, ready = EXCLUDED.ready, overdue = EXCLUDED.overdue, deadline = EXCLUDED.deadline, record = EXCLUDED.record`,
			v.Process.ID, s.Key, s.Department, s.Status, s.Ready, s.Overdue, deadline, raw(s)); err != nil {
			t.Fatal(err)
		}
	}
	for _, iv := range v.Interventions {
		when, _ := model.ParseTime(iv.At)
		if _, err := pool.Exec(ctx, `INSERT INTO ledger_interventions (id, process, step_key, action, at, record, block_number, tx_id)
			VALUES ($1, $2, $3, $4, $5, $6, 1, 'tx') ON CONFLICT DO NOTHING`, iv.ID, iv.Process, iv.Step, iv.Action, when, raw(iv)); err != nil {
			t.Fatal(err)
		}
	}
	if b := v.Bundle; b != nil {
		when, _ := model.ParseTime(b.At)
		if _, err := pool.Exec(ctx, `INSERT INTO ledger_bundles (process, owner, at, record, block_number, tx_id)
			VALUES ($1, $2, $3, $4, 1, 'tx') ON CONFLICT DO NOTHING`, b.Process, b.Owner, when, raw(b)); err != nil {
			t.Fatal(err)
		}
	}
}

// rejected is establishment id after the tax department rejected its step:
// the process rejected, archive never ready, bank still in its queue.
func rejected(id string) model.ProcessView {
	v := establishment(id)
	v.Process.Status, v.Process.Note = model.ProcessRejected, "rejected at step tax"
	for i := range v.Steps {
		s := &v.Steps[i]
		s.Ready = false
		if s.Key == "tax" {
			s.Status, s.DecidedAt, s.Approver, s.Opinion, s.DecisionTx = model.StepRejected, at(-20*time.Minute), "clerk-9", "incomplete", "tx-tax"
		}
	}
	return v
}

// bundled is v closed by its unified issuance bundle, as
// approval.IssueBundle leaves it: a running process completed, a rejected
// one still rejected.
func bundled(v model.ProcessView) model.ProcessView {
	b := &model.Bundle{Process: v.Process.ID, Owner: v.Process.Applicant, IssuedBy: "OperatorMSP", At: at(-5 * time.Minute), TxID: "tx-bundle"}
	for _, s := range v.Steps {
		status := model.BundleSkipped
		if s.Status == model.StepRejected {
			status = model.BundleRejected
		}
		b.Items = append(b.Items, model.BundleItem{Step: s.Key, Status: status})
	}
	if v.Process.Status == model.ProcessRunning {
		v.Process.Status = model.ProcessCompleted
	}
	v.Process.UpdatedAt, v.Process.UpdatedTx = b.At, b.TxID
	v.Bundle = b
	return v
}

// establishment is a process started an hour before t0: licence approved
// after 20 minutes (limit 30), seal decided late (limit 10 minutes, decided
// after 25, marked overdue), tax ready and past its deadline undecided, bank
// ready and within its limit (extended once), archive waiting for tax.
func establishment(id string) model.ProcessView {
	step := func(key, dept string, deps []string, limit int64) model.StepView {
		return model.StepView{Step: model.Step{Process: id, Key: key, Department: dept, DependsOn: deps, LimitSeconds: limit,
			Status: model.StepPending, UpdatedAt: at(-time.Hour)}}
	}
	licence := step("licence", "MarketMSP", nil, 1800)
	licence.Status, licence.ReadyAt, licence.Deadline, licence.DecidedAt = model.StepApproved, at(-60*time.Minute), at(-30*time.Minute), at(-40*time.Minute)
	licence.Approver, licence.Opinion, licence.DecisionTx = "clerk-7", "ok", "tx-licence"
	seal := step("seal", "PoliceMSP", []string{"licence"}, 600)
	seal.Status, seal.ReadyAt, seal.Deadline, seal.DecidedAt, seal.Overdue = model.StepApproved, at(-40*time.Minute), at(-30*time.Minute), at(-15*time.Minute), true
	tax := step("tax", "TaxMSP", []string{"licence"}, 600)
	tax.Ready, tax.ReadyAt, tax.Deadline = true, at(-40*time.Minute), at(-30*time.Minute)
	bank := step("bank", "BankMSP", []string{"licence"}, 1800)
	bank.Ready, bank.ReadyAt, bank.Deadline, bank.ExtensionSeconds, bank.Interventions = true, at(-40*time.Minute), at(50*time.Minute), 3600, 1
	archive := step("archive", "MarketMSP", []string{"tax", "bank"}, 600)
	return model.ProcessView{
		Process: model.Process{ID: id, Item: "establish", Applicant: "a1b2", Sponsor: "OperatorMSP", Status: model.ProcessRunning,
			StepKeys: []string{"licence", "seal", "tax", "bank", "archive"}, CreatedAt: at(-time.Hour), UpdatedAt: at(-15 * time.Minute)},
		Steps: []model.StepView{archive, bank, tax, seal, licence},
		Interventions: []model.Intervention{{ID: "iv-1", Process: id, Step: "bank", Action: model.InterveneExtend, Reason: "bank holiday",
			ExtendSeconds: 3600, By: "OperatorMSP", User: "sup-1", At: at(-35 * time.Minute), TxID: "tx-iv"}},
	}
}

func context2(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}
