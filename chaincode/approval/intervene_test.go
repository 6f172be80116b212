package approval_test

import (
	"slices"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func ivID(step string, n int) string {
	return model.DeriveID("intervention", app, step, itoa(int32(n)))
}

// 7.6.6: an extension with its reason moves the deadline, lifts the overdue
// mark and is counted on the step; the process view shows it.
func TestIntervene_Extend(t *testing.T) {
	f := newFixture(t)
	p := f.start()
	f.l.SetTime(mustTime(t, after(p.CreatedAt, day+60)))
	f.ok(f.l.Submit(f.supervisor, model.ChaincodeApproval, "MarkOverdue", app, model.DeptMarket))
	req := model.InterventionRequest{Process: app, Step: model.DeptMarket, Action: model.InterveneExtend, Reason: "applicant asked for time to add materials", ExtendSeconds: 3600}
	res := f.ok(f.intervene(req))
	var iv model.Intervention
	f.decode(res, &iv)
	if iv.ID != ivID(model.DeptMarket, 1) || iv.Process != app || iv.Step != model.DeptMarket || iv.Action != model.InterveneExtend ||
		iv.Reason != req.Reason || iv.ExtendSeconds != 3600 || iv.By != superMSP || iv.User != "supervisor@"+superMSP ||
		iv.At != at(res) || iv.TxID != res.TxID {
		t.Fatalf("intervention = %+v", iv)
	}
	event(t, res, model.EventInterventionRecorded, &model.Intervention{})
	wantKeys := []string{ck("intervention", app, iv.ID), ck("step", app, model.DeptMarket)}
	if got := writtenKeys(res); !slices.Equal(got, wantKeys) {
		t.Fatalf("wrote %q, want %q", got, wantKeys)
	}
	st := f.step(model.DeptMarket)
	if st.ExtensionSeconds != 3600 || st.Interventions != 1 || st.Overdue || st.Deadline != after(p.CreatedAt, day+3600) {
		t.Fatalf("extended step = %+v", st)
	}
	// The same request again is a retry; another extension adds up.
	noWrite(t, f.intervene(req))
	req.ExtendSeconds = 60
	f.ok(f.intervene(req))
	st = f.step(model.DeptMarket)
	if st.ExtensionSeconds != 3660 || st.Interventions != 2 {
		t.Fatalf("twice extended step = %+v", st)
	}
	// A short extension that leaves the step past due keeps the overdue mark.
	f.l.SetTime(mustTime(t, after(p.CreatedAt, day+7200)))
	f.ok(f.l.Submit(f.supervisor, model.ChaincodeApproval, "MarkOverdue", app, model.DeptMarket))
	req.ExtendSeconds, req.Reason = 10, "ten more seconds"
	f.ok(f.intervene(req))
	if st = f.step(model.DeptMarket); !st.Overdue {
		t.Fatalf("still late step lost its mark: %+v", st)
	}
	v := f.view()
	if len(v.Interventions) != 3 || v.Interventions[0].ID != ivID(model.DeptMarket, 1) || v.Interventions[2].ID != ivID(model.DeptMarket, 3) {
		t.Fatalf("view interventions = %+v", v.Interventions)
	}
	// The decision after the extended deadline is overdue; extending a decided step is refused.
	f.ok(f.decide(model.DeptMarket, true))
	f.fails(model.CodeState, f.supervisor, "Intervene", mustJSON(t, &req))
	// At most five years of extensions in all.
	big := model.InterventionRequest{Process: app, Step: model.DeptSeal, Action: model.InterveneExtend, Reason: "long", ExtendSeconds: 366 * day}
	for i := 0; i < 5; i++ {
		big.Reason += "er"
		f.ok(f.intervene(big))
	}
	big.Reason += "er"
	f.fails(model.CodeInvalid, f.supervisor, "Intervene", mustJSON(t, &big))
}

func TestIntervene_Reassign(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.decide(model.DeptMarket, true))
	// The bank's branch system is down; the supervisor hands the step to another bank.
	other := f.c.AddMember("OtherBankMSP", model.MemberInstitution, model.DeptBank)
	req := model.InterventionRequest{Process: app, Step: model.DeptBank, Action: model.InterveneReassign, Reason: "branch system down", NewDepartment: other.ID}
	res := f.ok(f.intervene(req))
	bankMSP := f.depts[model.DeptBank].ID
	wantKeys := []string{
		ck("intervention", app, ivID(model.DeptBank, 1)),
		ck("step", app, model.DeptBank),
		ck("step~dept", other.ID, app, model.DeptBank),
		ck("step~dept", bankMSP, app, model.DeptBank),
	}
	slices.Sort(wantKeys)
	if got := writtenKeys(res); !slices.Equal(got, wantKeys) {
		t.Fatalf("wrote %q, want %q", got, wantKeys)
	}
	if st := f.step(model.DeptBank); st.Department != other.ID || st.Interventions != 1 || !st.Ready {
		t.Fatalf("reassigned = %+v", st)
	}
	if q := listPending(t, f, bankMSP, 0, ""); len(q.Items) != 0 {
		t.Fatalf("old queue = %+v", q.Items)
	}
	if q := listPending(t, f, other.ID, 0, ""); len(q.Items) != 1 || q.Items[0].Key != model.DeptBank {
		t.Fatalf("new queue = %+v", q.Items)
	}
	f.fails(model.CodeDenied, f.depts[model.DeptBank].Client, "DecideStep", signedArgs(f, model.DeptBank, true)...)
	d := f.decision(model.DeptBank, true)
	canonical, sig := signWith(t, other, &d)
	f.ok(f.l.Submit(other.Client, model.ChaincodeApproval, "DecideStep", canonical, sig))

	suspended := f.c.AddMember("ClosedBankMSP", model.MemberInstitution, "")
	f.c.SuspendMember(suspended)
	for _, tc := range []struct {
		name, step, dept string
		code             model.Code
	}{
		{"same department", model.DeptTax, f.depts[model.DeptTax].ID, model.CodeState},
		{"not a member", model.DeptTax, "NoSuchMSP", model.CodeInvalid},
		{"suspended member", model.DeptTax, suspended.ID, model.CodeState},
		{"decided step", model.DeptBank, f.depts[model.DeptBank].ID, model.CodeState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := model.InterventionRequest{Process: app, Step: tc.step, Action: model.InterveneReassign, Reason: tc.name, NewDepartment: tc.dept}
			f.fails(tc.code, f.supervisor, "Intervene", mustJSON(t, &r))
		})
	}
}

// Reopening a rejected step (退回重办) returns the process to running and the
// step to its department's queue with a fresh time limit from the reopening.
func TestIntervene_Reopen(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.decide(model.DeptMarket, true))
	f.ok(f.decide(model.DeptTax, false))
	req := model.InterventionRequest{Process: app, Step: model.DeptTax, Action: model.InterveneReopen, Reason: "materials supplemented"}
	res := f.ok(f.intervene(req))
	wantKeys := []string{
		ck("intervention", app, ivID(model.DeptTax, 1)),
		ck("process", app),
		ck("step", app, model.DeptTax),
		ck("step~dept", f.depts[model.DeptTax].ID, app, model.DeptTax),
	}
	if got := writtenKeys(res); !slices.Equal(got, wantKeys) {
		t.Fatalf("wrote %q, want %q", got, wantKeys)
	}
	v := f.view()
	if v.Process.Status != model.ProcessRunning || v.Process.Note != "" {
		t.Fatalf("process = %+v", v.Process)
	}
	tax := f.step(model.DeptTax)
	if tax.Status != model.StepPending || !tax.Ready || tax.ReadyAt != at(res) || tax.Deadline != after(at(res), day/2) ||
		tax.Approver != "" || tax.Signature != "" || tax.DecidedAt != "" || tax.Interventions != 1 {
		t.Fatalf("reopened tax = %+v", tax)
	}
	noWrite(t, f.intervene(req))
	f.ok(f.decide(model.DeptTax, true))
	for _, tc := range []struct {
		name, step string
	}{
		{"approved step", model.DeptTax},
		{"pending step", model.DeptBank},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := model.InterventionRequest{Process: app, Step: tc.step, Action: model.InterveneReopen, Reason: tc.name}
			f.fails(model.CodeState, f.supervisor, "Intervene", mustJSON(t, &r))
		})
	}
}

func TestIntervene_NoteOnAnyStep(t *testing.T) {
	f := newFixture(t)
	f.start()
	f.ok(f.decide(model.DeptMarket, true))
	for i, step := range []string{model.DeptMarket, model.DeptSeal} {
		req := model.InterventionRequest{Process: app, Step: step, Action: model.InterveneNote, Reason: "催办: please hurry"}
		res := f.ok(f.intervene(req))
		var iv model.Intervention
		f.decode(res, &iv)
		if iv.Action != model.InterveneNote || iv.Step != step {
			t.Fatalf("note %d = %+v", i, iv)
		}
		if st := f.step(step); st.Interventions != 1 {
			t.Fatalf("%s counts %d interventions", step, st.Interventions)
		}
	}
	// The same note after the step changed is a new intervention, not a retry.
	f.ok(f.decide(model.DeptSeal, true))
	f.ok(f.intervene(model.InterventionRequest{Process: app, Step: model.DeptSeal, Action: model.InterveneNote, Reason: "催办: please hurry"}))
	if st := f.step(model.DeptSeal); st.Interventions != 2 || st.Status != model.StepApproved {
		t.Fatalf("seal = %+v", st)
	}
}

func TestIntervene_DeniedMalformedUnknown(t *testing.T) {
	f := newFixture(t)
	f.start()
	good := model.InterventionRequest{Process: app, Step: model.DeptMarket, Action: model.InterveneNote, Reason: "note"}
	for name, who := range map[string]cctest.Creator{
		"clerk":      f.clerk,
		"department": f.depts[model.DeptMarket].Client,
		"no role":    f.supervision.Client,
	} {
		t.Run(name, func(t *testing.T) { f.fails(model.CodeDenied, who, "Intervene", mustJSON(t, &good)) })
	}
	for name, req := range map[string]model.InterventionRequest{
		"unknown action":        {Process: app, Step: model.DeptMarket, Action: "cancel", Reason: "r"},
		"no reason":             {Process: app, Step: model.DeptMarket, Action: model.InterveneNote},
		"extend without time":   {Process: app, Step: model.DeptMarket, Action: model.InterveneExtend, Reason: "r"},
		"note with time":        {Process: app, Step: model.DeptMarket, Action: model.InterveneNote, Reason: "r", ExtendSeconds: 5},
		"reassign without dept": {Process: app, Step: model.DeptMarket, Action: model.InterveneReassign, Reason: "r"},
	} {
		t.Run(name, func(t *testing.T) { f.fails(model.CodeInvalid, f.supervisor, "Intervene", mustJSON(t, &req)) })
	}
	f.fails(model.CodeInvalid, f.supervisor, "Intervene", "{")
	unknown := good
	unknown.Process = "APP-none"
	f.fails(model.CodeNotFound, f.supervisor, "Intervene", mustJSON(t, &unknown))
	unknown = good
	unknown.Step = "notary"
	f.fails(model.CodeNotFound, f.supervisor, "Intervene", mustJSON(t, &unknown))
	// Extend and reassign need a running process.
	f.ok(f.decide(model.DeptMarket, false))
	ext := model.InterventionRequest{Process: app, Step: model.DeptSeal, Action: model.InterveneExtend, Reason: "r", ExtendSeconds: 60}
	f.fails(model.CodeState, f.supervisor, "Intervene", mustJSON(t, &ext))
}
