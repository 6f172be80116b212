package approval_test

import (
	"fmt"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// BenchmarkDecideStep measures one department decision through the harness:
// proposal, contractapi dispatch, the department's member record fetched from
// the subject chaincode, SM2 signature verification, the output asset fetched
// from the asset chaincode, the reads of the process and step, the writes,
// the event and the block commit. Starting the process and signing the
// decision (client work) are outside the timer. So is building a fresh ledger
// every benchBatch decisions: cctest copies a namespace's maps (state and
// history) on every commit, a harness cost that would otherwise grow with b.N
// where a LevelDB peer's does not.
func BenchmarkDecideStep(b *testing.B) {
	const benchBatch = 50
	var (
		f       *fixture
		licence string
	)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if i%benchBatch == 0 {
			f = newFixture(b)
			licence = f.issue(model.DeptMarket)
		}
		s := f.defaultStart(fmt.Sprintf("APP-BENCH-%d", i))
		f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(b, &s)))
		d := model.StepDecision{Process: s.Application, Step: model.DeptMarket, Approve: true, Approver: "approver-market", Opinion: "准予登记", Outputs: []string{licence}}
		market := f.depts[model.DeptMarket]
		canonical, sig := signWith(b, market, &d)
		b.StartTimer()
		res := f.l.Submit(market.Client, model.ChaincodeApproval, "DecideStep", canonical, sig)
		if err := res.Err(); err != nil {
			b.Fatal(err)
		}
	}
}
