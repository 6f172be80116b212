package acceptance_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// TestDecide_AfterRefusedDecisionDecidesAgain_Postgres: a decision the
// chain refused for good (its outbox write failed) does not block the step;
// the department decides again under the next key, and that one is then the
// step's decision. Projection rows stand in for the chain.
func TestDecide_AfterRefusedDecisionDecidesAgain_Postgres(t *testing.T) {
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	ks, err := keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Generate(ctx, keys.Owner{Kind: keys.KindDepartment, ID: "MarketMSP"}, deptPassword); err != nil {
		t.Fatal(err)
	}
	ob, err := outbox.New(pool, nil, outbox.Config{Key: []byte("0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	protector, _ := pii.New(1, bytes.Repeat([]byte{1}, pii.MasterKeySize), nil)
	svc, err := acceptance.New(acceptance.Config{Pool: pool, Registry: registry.New(pool), Outbox: ob, PII: protector, Clerk: "OperatorMSP/clerk", Keys: ks})
	if err != nil {
		t.Fatal(err)
	}
	process, applicant := strings.Repeat("c", 32), strings.Repeat("d", 32)
	step, _ := json.Marshal(model.StepView{Step: model.Step{Process: process, Key: "licence", Department: "MarketMSP", LimitSeconds: 60, Status: model.StepPending}, Ready: true})
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_processes (id, item, applicant, sponsor, status, created_at, record, block_number, tx_id)
		VALUES ($1, 'establishment', $2, 'OperatorMSP', 'running', now(), '{}', 1, 'tx')`, process, applicant); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO ledger_steps (process, step_key, department, status, ready, overdue, record, block_number, tx_id)
		VALUES ($1, 'licence', 'MarketMSP', 'pending', true, false, $2, 1, 'tx')`, process, step); err != nil {
		t.Fatal(err)
	}
	approve := acceptance.DecisionInput{Approve: true, Opinion: "准予", Approver: "o1", Outputs: []string{strings.Repeat("e", 32)}, Password: deptPassword}
	first, err := svc.Decide(ctx, model.DeptMarket, process, "licence", approve)
	if err != nil {
		t.Fatal(err)
	}
	if first.Queued != acceptance.DecisionWriteKey(process, "licence") {
		t.Fatalf("first key %s", first.Queued)
	}
	if _, err := pool.Exec(ctx, `UPDATE chain_outbox SET status = 'failed', last_error = 'NOT_FOUND' WHERE key = $1`, first.Queued); err != nil {
		t.Fatal(err)
	}
	approve.Outputs = nil
	second, err := svc.Decide(ctx, model.DeptMarket, process, "licence", approve)
	if err != nil {
		t.Fatal(err)
	}
	if second.Queued != first.Queued+"/2" {
		t.Fatalf("second key %s", second.Queued)
	}
	if again, err := svc.Decide(ctx, model.DeptMarket, process, "licence", approve); err != nil || again.Queued != second.Queued || again.Signature != second.Signature {
		t.Fatalf("the same decision again: %+v, %v", again, err)
	}
	reject := approve
	reject.Approve = false
	if _, err := svc.Decide(ctx, model.DeptMarket, process, "licence", reject); !errors.Is(err, acceptance.ErrConflict) {
		t.Fatalf("another decision while one is queued: %v", err)
	}
}
