package approval_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// ck builds a composite key as Fabric does.
func ck(objectType string, attrs ...string) string {
	return "\x00" + objectType + "\x00" + strings.Join(attrs, "\x00") + "\x00"
}

// writtenKeys lists the approval keys a result wrote (deletions included).
func writtenKeys(res *cctest.Result) []string {
	var keys []string
	for _, ns := range res.Writes {
		if ns.Namespace != model.ChaincodeApproval {
			continue
		}
		for _, w := range ns.Writes {
			keys = append(keys, w.Key)
		}
	}
	slices.Sort(keys)
	return keys
}

func TestDecideStep_ApproveRecordsTheDecision(t *testing.T) {
	f := newFixture(t)
	p := f.start()
	licence := f.issue(model.DeptMarket)
	f.l.Advance(2 * time.Hour)
	res := f.ok(f.decide(model.DeptMarket, true, licence))
	var v model.StepView
	f.decode(res, &v)
	// 7.3 b: department, approver, time, result — plus opinion, outputs and the signature.
	want := f.decision(model.DeptMarket, true, licence)
	if v.Status != model.StepApproved || v.Department != f.depts[model.DeptMarket].ID || v.Approver != want.Approver ||
		v.Opinion != want.Opinion || !slices.Equal(v.Outputs, []string{licence}) || v.Signature == "" ||
		v.DecidedAt != at(res) || v.DecisionTx != res.TxID || v.UpdatedTx != res.TxID || v.Ready {
		t.Fatalf("decided = %+v", v)
	}
	if v.ReadyAt != p.CreatedAt || v.Deadline != after(p.CreatedAt, day) || v.Overdue {
		t.Fatalf("timing = ready %s due %s overdue %v", v.ReadyAt, v.Deadline, v.Overdue)
	}
	var ev model.StepView
	event(t, res, model.EventStepDecided, &ev)
	if ev.Key != model.DeptMarket || ev.Status != model.StepApproved {
		t.Fatalf("event = %+v", ev)
	}
	// The decision wrote its step and removed its queue entry, nothing else.
	wantKeys := []string{ck("step", app, model.DeptMarket), ck("step~dept", f.depts[model.DeptMarket].ID, app, model.DeptMarket)}
	slices.Sort(wantKeys)
	if got := writtenKeys(res); !slices.Equal(got, wantKeys) {
		t.Fatalf("wrote %q, want %q", got, wantKeys)
	}
	// The stored signature verifies over the decision with the department's
	// key on chain (non-repudiation).
	sig, err := base64.StdEncoding.DecodeString(v.Signature)
	if err != nil || !gm.Verify(&f.depts[model.DeptMarket].Key.PublicKey, model.SigningMessage("approval.DecideStep", []byte(mustJSON(t, &want))), sig) {
		t.Fatal("stored signature does not verify")
	}
	if f.view().Process.Status != model.ProcessRunning {
		t.Fatal("process left running")
	}
	// The six parallel steps are now ready, due half a day after the licence.
	for _, d := range model.Departments[1:] {
		st := f.step(d)
		if !st.Ready || st.ReadyAt != at(res) || st.Deadline != after(at(res), day/2) {
			t.Fatalf("%s after licence = %+v", d, st)
		}
	}
	if page := listPending(t, f, f.depts[model.DeptMarket].ID, 0, ""); len(page.Items) != 0 {
		t.Fatalf("market queue after decision = %+v", page.Items)
	}
}

// The six departments after the licence decide on the same state and their
// transactions land in one block: none conflicts with another (5 d, 7.5 d).
func TestDecideStep_ParallelDepartmentsDoNotConflict(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.decide(model.DeptMarket, true))
	var results []*cctest.Result
	for _, d := range model.Departments[1:] {
		args := signedArgs(f, d, true)
		results = append(results, f.l.EvaluateTx(cctest.Tx{Creator: f.depts[d].Client, Chaincode: model.ChaincodeApproval, Function: "DecideStep", Args: args}))
	}
	f.l.Commit(results...)
	for i, res := range results {
		if !res.Committed || res.ValidationCode != peer.TxValidationCode_VALID {
			t.Fatalf("%s: %v %v", model.Departments[i+1], res.ValidationCode, res.Err())
		}
		for _, k := range writtenKeys(res) {
			if k == ck("process", app) {
				t.Fatalf("%s wrote the process record", model.Departments[i+1])
			}
		}
	}
	v := f.view()
	for _, st := range v.Steps {
		if st.Status != model.StepApproved {
			t.Fatalf("%s is %s", st.Key, st.Status)
		}
	}
}

// A rejection marks the process rejected (it writes the process record), so an
// approval endorsed on the running process before it is invalidated.
func TestDecideStep_RejectionRejectsProcess(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.decide(model.DeptMarket, true))
	f.ok(f.decide(model.DeptSeal, true))
	reject := f.l.EvaluateTx(cctest.Tx{Creator: f.depts[model.DeptTax].Client, Chaincode: model.ChaincodeApproval, Function: "DecideStep", Args: signedArgs(f, model.DeptTax, false)})
	approve := f.l.EvaluateTx(cctest.Tx{Creator: f.depts[model.DeptBank].Client, Chaincode: model.ChaincodeApproval, Function: "DecideStep", Args: signedArgs(f, model.DeptBank, true)})
	f.l.Commit(reject, approve)
	if !reject.Committed || approve.Committed || approve.ValidationCode != peer.TxValidationCode_MVCC_READ_CONFLICT {
		t.Fatalf("reject %v, approve %v", reject.ValidationCode, approve.ValidationCode)
	}
	event(t, reject, model.EventStepDecided, nil)
	v := f.view()
	if v.Process.Status != model.ProcessRejected || v.Process.Note != "rejected at step tax" || v.Process.UpdatedTx != reject.TxID {
		t.Fatalf("process = %+v", v.Process)
	}
	for _, st := range v.Steps {
		if st.Ready {
			t.Fatalf("%s is ready in a rejected process", st.Key)
		}
	}
	tax := f.step(model.DeptTax)
	if tax.Status != model.StepRejected || tax.Opinion != f.decision(model.DeptTax, false).Opinion {
		t.Fatalf("tax = %+v", tax)
	}
	f.fails(model.CodeState, f.depts[model.DeptBank].Client, "DecideStep", signedArgs(f, model.DeptBank, true)...)
}

func TestDecideStep_RetryAndRedecide(t *testing.T) {
	f := newFixture(t)
	f.start()
	first := f.ok(f.decide(model.DeptMarket, true))
	// The same decision, signed afresh (SM2 signatures differ each time).
	res := f.decide(model.DeptMarket, true)
	noWrite(t, res)
	var v model.StepView
	f.decode(res, &v)
	if v.DecisionTx != first.TxID {
		t.Fatalf("retry returned decision %s, want %s", v.DecisionTx, first.TxID)
	}
	// Another decision on a decided step is refused.
	f.fails(model.CodeState, f.depts[model.DeptMarket].Client, "DecideStep", signedArgs(f, model.DeptMarket, false)...)
}

func TestDecideStep_Denied(t *testing.T) {
	f := newFixture(t)
	f.start()
	args := signedArgs(f, model.DeptMarket, true)
	cases := map[string]cctest.Creator{
		"other department": f.depts[model.DeptSeal].Client,
		"clerk":            f.clerk,
		"supervisor":       f.supervisor,
	}
	for name, who := range cases {
		t.Run(name, func(t *testing.T) {
			f.fails(model.CodeDenied, who, "DecideStep", args...)
		})
	}
	t.Run("suspended department", func(t *testing.T) {
		f.c.SuspendMember(f.depts[model.DeptMarket])
		f.fails(model.CodeDenied, f.depts[model.DeptMarket].Client, "DecideStep", args...)
	})
}

func TestDecideStep_Signatures(t *testing.T) {
	f := newFixture(t)
	f.start()
	market := f.depts[model.DeptMarket]
	d := f.decision(model.DeptMarket, true)
	canonical, sig := f.sign(model.DeptMarket, &d)
	_, wrongKey := subjecttest.Sign(t, f.depts[model.DeptSeal].Key, "approval.DecideStep", &d)
	_, wrongAction := subjecttest.Sign(t, market.Key, "approval.Intervene", &d)
	altered := d
	altered.Opinion = "准予登记（改）"
	alteredCanonical := mustJSON(t, &altered)
	cases := []struct {
		name string
		code model.Code
		args []string
	}{
		{"wrong key", model.CodeSignature, []string{canonical, wrongKey}},
		{"other action", model.CodeSignature, []string{canonical, wrongAction}},
		{"altered payload", model.CodeSignature, []string{alteredCanonical, sig}},
		{"not base64", model.CodeSignature, []string{canonical, "not base64!"}},
		{"empty", model.CodeSignature, []string{canonical, ""}},
		{"garbage", model.CodeSignature, []string{canonical, base64.StdEncoding.EncodeToString([]byte("garbage"))}},
		{"too long", model.CodeSignature, []string{canonical, strings.Repeat("A", 400)}},
		{"non-canonical whitespace", model.CodeInvalid, []string{" " + canonical, sig}},
		{"non-canonical order", model.CodeInvalid, []string{`{"step":"market","process":"` + app + `","approve":true,"approver":"a","opinion":"o"}`, sig}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.fails(tc.code, market.Client, "DecideStep", tc.args...)
		})
	}
	f.ok(f.l.Submit(market.Client, model.ChaincodeApproval, "DecideStep", canonical, sig))
}

func TestDecideStep_Malformed(t *testing.T) {
	f := newFixture(t)
	f.start()
	market := f.depts[model.DeptMarket]
	for name, change := range map[string]func(*model.StepDecision){
		"no opinion":     func(d *model.StepDecision) { d.Opinion = "" },
		"bad approver":   func(d *model.StepDecision) { d.Approver = "张三" },
		"bad output":     func(d *model.StepDecision) { d.Outputs = []string{"licence"} },
		"bad process ID": func(d *model.StepDecision) { d.Process = "" },
	} {
		t.Run(name, func(t *testing.T) {
			d := f.decision(model.DeptMarket, true)
			change(&d)
			canonical, sig := f.sign(model.DeptMarket, &d)
			f.fails(model.CodeInvalid, market.Client, "DecideStep", canonical, sig)
		})
	}
	for _, arg := range []string{"", "{", "null", `{"process":"x","unknown":true}`} {
		f.fails(model.CodeInvalid, market.Client, "DecideStep", arg, "")
	}
}

func TestDecideStep_WrongState(t *testing.T) {
	f := newFixture(t)
	f.start()
	seal := f.depts[model.DeptSeal]
	// The seal step waits for the licence (serial hand-over, 5 a).
	res := f.fails(model.CodeState, seal.Client, "DecideStep", signedArgs(f, model.DeptSeal, true)...)
	if !strings.Contains(res.Message, "waits for step market") {
		t.Fatalf("message %q", res.Message)
	}
	unknownProcess := f.decision(model.DeptMarket, true)
	unknownProcess.Process = "APP-none"
	c, s := f.sign(model.DeptMarket, &unknownProcess)
	f.fails(model.CodeNotFound, f.depts[model.DeptMarket].Client, "DecideStep", c, s)
	unknownStep := f.decision(model.DeptMarket, true)
	unknownStep.Step = "notary"
	c, s = f.sign(model.DeptMarket, &unknownStep)
	f.fails(model.CodeNotFound, f.depts[model.DeptMarket].Client, "DecideStep", c, s)
}

func TestDecideStep_Outputs(t *testing.T) {
	f := newFixture(t)
	f.start()
	market := f.depts[model.DeptMarket]
	f.fails(model.CodeNotFound, market.Client, "DecideStep", signedArgs(f, model.DeptMarket, true, model.DeriveID("no asset"))...)
	// An asset of another subject is not an output of this application (7.3 c).
	other := f.c.OpenSubject(model.SubjectEnterprise)
	firm := f.firm
	f.firm = other
	foreign := f.issue(model.DeptMarket)
	f.firm = firm
	f.fails(model.CodeInvalid, market.Client, "DecideStep", signedArgs(f, model.DeptMarket, true, foreign)...)
	own := f.issue(model.DeptMarket)
	f.ok(f.decide(model.DeptMarket, true, own))
}

// Overruns are judged against the transaction time (7.6.6): a decision after
// the deadline is recorded overdue.
func TestDecideStep_LateDecisionIsOverdue(t *testing.T) {
	f := newFixture(t)
	f.start()
	m := f.ok(f.decide(model.DeptMarket, true))
	f.l.SetTime(mustTime(t, after(at(m), day/2))) // exactly at the deadline: in time
	onTime := f.ok(f.decide(model.DeptSeal, true))
	var v model.StepView
	f.decode(onTime, &v)
	if v.Overdue || v.Deadline != after(at(m), day/2) || at(onTime) != after(at(m), day/2) {
		t.Fatalf("on-time decision = %+v at %s", v, at(onTime))
	}
	late := f.ok(f.decide(model.DeptTax, true))
	f.decode(late, &v)
	if !v.Overdue || v.Deadline != after(at(m), day/2) {
		t.Fatalf("late decision = %+v", v)
	}
}

func TestMarkOverdue(t *testing.T) {
	f := newFixture(t)
	p := f.start()
	f.fails(model.CodeState, f.supervisor, "MarkOverdue", app, model.DeptMarket) // not yet due
	f.l.SetTime(mustTime(t, after(p.CreatedAt, day+1)))
	f.fails(model.CodeDenied, f.clerk, "MarkOverdue", app, model.DeptMarket)
	f.fails(model.CodeState, f.supervisor, "MarkOverdue", app, model.DeptSeal) // waiting: no deadline yet
	res := f.ok(f.l.Submit(f.supervisor, model.ChaincodeApproval, "MarkOverdue", app, model.DeptMarket))
	var v model.StepView
	f.decode(res, &v)
	if !v.Overdue || !v.Ready || v.Status != model.StepPending || v.UpdatedTx != res.TxID || v.Deadline != after(p.CreatedAt, day) {
		t.Fatalf("marked = %+v", v)
	}
	event(t, res, model.EventStepOverdue, &model.StepView{})
	if got := writtenKeys(res); !slices.Equal(got, []string{ck("step", app, model.DeptMarket)}) {
		t.Fatalf("wrote %q", got)
	}
	if !f.step(model.DeptMarket).Overdue {
		t.Fatal("overdue not stored")
	}
	noWrite(t, f.l.Submit(f.supervisor, model.ChaincodeApproval, "MarkOverdue", app, model.DeptMarket))

	// A decided step, an unknown one and malformed IDs.
	late := f.ok(f.decide(model.DeptMarket, true))
	f.decode(late, &v)
	if !v.Overdue {
		t.Fatal("late decision not overdue")
	}
	f.fails(model.CodeState, f.supervisor, "MarkOverdue", app, model.DeptMarket)
	f.fails(model.CodeNotFound, f.supervisor, "MarkOverdue", app, "notary")
	f.fails(model.CodeNotFound, f.supervisor, "MarkOverdue", "APP-none", model.DeptMarket)
	f.fails(model.CodeInvalid, f.supervisor, "MarkOverdue", "", model.DeptMarket)
	f.fails(model.CodeInvalid, f.supervisor, "MarkOverdue", app, "a\x00b")
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	tm, err := model.ParseTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestListPendingSteps_TaskQueues(t *testing.T) {
	f := newFixture(t)
	if page := listPending(t, f, f.depts[model.DeptTax].ID, 0, ""); page.Items == nil || len(page.Items) != 0 {
		t.Fatalf("empty queue = %+v", page)
	}
	if page := listPending(t, f, "", 0, ""); page.Items == nil || len(page.Items) != 0 {
		t.Fatalf("empty queues = %+v", page)
	}
	for _, id := range []string{"APP-1", "APP-2", "APP-3"} {
		s := f.defaultStart(id)
		f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(t, &s)))
	}
	tax := f.depts[model.DeptTax].ID
	var got []string
	bookmark := ""
	for {
		page := listPending(t, f, tax, 2, bookmark)
		for _, st := range page.Items {
			if st.Key != model.DeptTax || st.Ready || st.Department != tax {
				t.Fatalf("tax queue item %+v", st)
			}
			got = append(got, st.Process)
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	if !slices.Equal(got, []string{"APP-1", "APP-2", "APP-3"}) {
		t.Fatalf("tax queue = %v", got)
	}
	if all := listPending(t, f, "", 200, ""); len(all.Items) != 3*len(model.Departments) {
		t.Fatalf("all queues hold %d steps", len(all.Items))
	}
	for _, bad := range []string{"a b", "\xff"} {
		res := f.l.Evaluate(f.clerk, model.ChaincodeApproval, "ListPendingSteps", bad, "0", "")
		if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
			t.Fatalf("department %q: %q", bad, res.Message)
		}
	}
	res := f.l.Evaluate(f.clerk, model.ChaincodeApproval, "ListPendingSteps", tax, "-5", "")
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
		t.Fatalf("negative page size: %q", res.Message)
	}
}
