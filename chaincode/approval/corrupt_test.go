package approval_test

import (
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// A record that does not decode (a bug elsewhere, or state written outside
// the chaincode) makes the queries fail with an error naming the key instead
// of answering with half a view or panicking.
func TestQueries_CorruptStateIsAnError(t *testing.T) {
	for _, tc := range []struct {
		name, key string
		queries   [][]string
	}{
		{"process", ck("process", app), [][]string{{"GetProcess", app}, {"ListProcesses", "0", ""}, {"ListPendingSteps", "", "0", ""}}},
		{"step", ck("step", app, model.DeptTax), [][]string{{"GetProcess", app}, {"ListPendingSteps", "", "0", ""}}},
		{"dependency", ck("step", app, model.DeptMarket), [][]string{{"GetProcess", app}, {"ListPendingSteps", "TaxMSP", "0", ""}}},
		{"intervention", ck("intervention", app, "x"), [][]string{{"GetProcess", app}}},
		{"bundle", ck("bundle", app), [][]string{{"GetProcess", app}}},
		{"queue entry", ck("step~dept", "TaxMSP", app), [][]string{{"ListPendingSteps", "TaxMSP", "0", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.start()
			f.l.Put(model.ChaincodeApproval, tc.key, []byte("{not json"))
			for _, q := range tc.queries {
				res := f.l.Evaluate(f.clerk, model.ChaincodeApproval, q[0], q[1:]...)
				if res.OK() {
					t.Fatalf("%v answered %s", q, res.Payload)
				}
			}
		})
	}
}

// The same goes for a transaction that meets a corrupt record: it fails and
// writes nothing.
func TestTransactions_CorruptStateWritesNothing(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.intervene(model.InterventionRequest{Process: app, Step: model.DeptMarket, Action: model.InterveneNote, Reason: "first"}))
	f.l.Put(model.ChaincodeApproval, ck("intervention", app, model.DeriveID("intervention", app, model.DeptMarket, "1")), []byte("["))
	f.l.Put(model.ChaincodeApproval, ck("step", app, model.DeptSeal), []byte("["))
	f.l.Put(model.ChaincodeApproval, ck("bundle", app), []byte("["))
	height := f.l.Height()
	for _, call := range [][]string{
		{"Intervene", mustJSON(t, &model.InterventionRequest{Process: app, Step: model.DeptMarket, Action: model.InterveneNote, Reason: "second"})},
		{"IssueBundle", mustJSON(t, &model.BundleIssue{Process: app, Items: []model.BundleItem{{Step: model.DeptMarket, Status: model.BundleSkipped}}})},
	} {
		who := f.supervisor
		if call[0] == "IssueBundle" {
			who = f.clerk
		}
		if res := f.l.Submit(who, model.ChaincodeApproval, call[0], call[1:]...); res.OK() || res.Event != nil {
			t.Fatalf("%s succeeded on corrupt state", call[0])
		}
	}
	if f.l.Height() != height {
		t.Fatal("a failed call committed")
	}
}
