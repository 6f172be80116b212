package approval_test

import (
	"time"

	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// The fuzz targets feed arbitrary arguments to every transaction that parses
// caller input, through the harness with a caller allowed to make the call.
// Whatever the input: no panic, and a call that fails fails with a classified
// error and writes nothing.

// fuzzCall submits one call and checks the invariant. (The height is the
// cheap check that nothing was committed; the unit tests compare the whole
// namespace too.)
func fuzzCall(t *testing.T, f *fixture, who cctest.Creator, function string, args ...string) {
	height := f.l.Height()
	res := f.l.Submit(who, model.ChaincodeApproval, function, args...)
	if res.OK() {
		return
	}
	if model.ParseError(res.Message) == nil {
		t.Fatalf("%s(%q): unclassified error %q", function, args, res.Message)
	}
	if res.Event != nil || f.l.Height() != height {
		t.Fatalf("%s(%q) failed and wrote", function, args)
	}
}

func FuzzStartProcess(f *testing.F) {
	fx := newFixture(f)
	good := fx.defaultStart(app)
	f.Add(mustJSON(f, &good))
	serial := fx.defaultStart("APP-serial")
	serial.Steps = serial.Steps[:1]
	f.Add(mustJSON(f, &serial))
	f.Add(`{"application":"A","item":"i","definitionDigest":"00","applicant":"x","steps":[]}`)
	f.Add(`{"application":"A","steps":[{"key":"a","department":"MarketMSP","dependsOn":["a"],"limitSeconds":1}]}`)
	f.Add("")
	f.Add("\x00")
	f.Fuzz(func(t *testing.T, start string) {
		fuzzCall(t, fx, fx.clerk, "StartProcess", start)
	})
}

func FuzzDecideStep(f *testing.F) {
	fx := newFixture(f)
	fx.start()
	f.Add(signedArgs(fx, model.DeptMarket, true)[0], signedArgs(fx, model.DeptMarket, true)[1])
	args := signedArgs(fx, model.DeptMarket, false)
	f.Add(args[0], args[1])
	f.Add(args[0], "")
	f.Add(`{"process":"`+app+`","step":"market","approve":true,"approver":"a","opinion":"o","outputs":["00"]}`, "MEUCIQ==")
	f.Add("{}", "\xff")
	f.Fuzz(func(t *testing.T, decision, signature string) {
		fuzzCall(t, fx, fx.depts[model.DeptMarket].Client, "DecideStep", decision, signature)
	})
}

func FuzzIntervene(f *testing.F) {
	fx := newFixture(f)
	fx.start()
	for _, req := range []model.InterventionRequest{
		{Process: app, Step: model.DeptMarket, Action: model.InterveneExtend, Reason: "r", ExtendSeconds: 60},
		{Process: app, Step: model.DeptSeal, Action: model.InterveneReassign, Reason: "r", NewDepartment: fx.depts[model.DeptTax].ID},
		{Process: app, Step: model.DeptTax, Action: model.InterveneNote, Reason: "r"},
		{Process: app, Step: model.DeptMarket, Action: model.InterveneReopen, Reason: "r"},
	} {
		f.Add(mustJSON(f, &req))
	}
	f.Add(`{"process":"` + app + `","step":"market","action":"extend","reason":"r","extendSeconds":-1}`)
	f.Add(`{"process":"` + app + `","step":"market","action":"reassign","reason":"r","newDepartment":"a\u0000b"}`)
	f.Fuzz(func(t *testing.T, request string) {
		fuzzCall(t, fx, fx.supervisor, "Intervene", request)
	})
}

func FuzzIssueBundle(f *testing.F) {
	fx := newFixture(f)
	fx.start()
	assets := fx.approveAll()
	f.Add(mustJSON(f, &model.BundleIssue{Process: app, Items: allIssued(assets)}))
	f.Add(mustJSON(f, &model.BundleIssue{Process: app, Items: allIssued(assets)[1:]}))
	f.Add(`{"process":"` + app + `","items":[{"step":"market","status":"skipped"}]}`)
	f.Add(`{"process":"` + app + `","items":null}`)
	f.Fuzz(func(t *testing.T, issue string) {
		fuzzCall(t, fx, fx.clerk, "IssueBundle", issue)
	})
}

func FuzzMarkOverdue(f *testing.F) {
	fx := newFixture(f)
	fx.start()
	fx.l.Advance(48 * time.Hour)
	f.Add(app, model.DeptMarket)
	f.Add(app, model.DeptSeal)
	f.Add("", "")
	f.Add("a\x00b", "\xff")
	f.Fuzz(func(t *testing.T, process, step string) {
		fuzzCall(t, fx, fx.supervisor, "MarkOverdue", process, step)
	})
}

// FuzzQueries feeds the plain parameters of the queries: they either answer
// or fail with a classified error.
func FuzzQueries(f *testing.F) {
	fx := newFixture(f)
	fx.start()
	f.Add(app, fx.depts[model.DeptMarket].ID, int32(1), "")
	f.Add("", "", int32(-1), "garbage")
	f.Add("a\x00b", "\xff", int32(1<<30), "\x00step~dept\x00")
	f.Fuzz(func(t *testing.T, id, department string, size int32, bookmark string) {
		for _, q := range [][]string{
			{"GetProcess", id},
			{"ListProcesses", itoa(size), bookmark},
			{"ListPendingSteps", department, itoa(size), bookmark},
		} {
			res := fx.l.Evaluate(fx.clerk, model.ChaincodeApproval, q[0], q[1:]...)
			if !res.OK() && model.ParseError(res.Message) == nil {
				t.Fatalf("%s(%q): unclassified error %q", q[0], q[1:], res.Message)
			}
		}
	})
}
