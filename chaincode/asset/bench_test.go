package asset_test

import (
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// BenchmarkIssueAsset measures one full IssueAsset transaction through the
// cctest harness: proposal parsing, the caller's member record and the
// owner's subject record fetched from the subject chaincode by
// InvokeChaincode, the SM2 verification of the issuer's signature, the
// writes and the event. Requests are built and signed before the timer
// starts.
//
//   - submit: endorse and commit, one block per transaction. The in-memory
//     state is copied on each commit, so this figure grows with the ledger
//     (b.N); compare runs with the same -benchtime=Nx.
//   - endorse: simulate only (Evaluate), on a ledger that stays the same size;
//     the chaincode's own cost.
func BenchmarkIssueAsset(b *testing.B) {
	for _, mode := range []struct {
		name string
		run  func(w *world, canonical, sig string) *cctest.Result
	}{
		{"submit", func(w *world, canonical, sig string) *cctest.Result {
			return w.submit(w.market.Client, "IssueAsset", canonical, sig)
		}},
		{"endorse", func(w *world, canonical, sig string) *cctest.Result {
			return w.l.Evaluate(w.market.Client, model.ChaincodeAsset, "IssueAsset", canonical, sig)
		}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			w := newWorld(b)
			type signed struct{ canonical, sig string }
			reqs := make([]signed, b.N)
			for i := range reqs {
				req := w.issueRequest(typeLicence, w.firm, w.market.ID, model.ChannelDepartment)
				reqs[i].canonical, reqs[i].sig = w.sign(w.market.Key, asset.ActionIssueAsset, &req)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if res := mode.run(w, reqs[i].canonical, reqs[i].sig); res.Event == nil {
					b.Fatalf("issue %d: %v", i, res.Err())
				}
			}
		})
	}
}
