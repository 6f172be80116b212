package approval_test

import (
	"slices"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

func TestStartProcess_DefaultProcess(t *testing.T) {
	f := newFixture(t)
	s := f.defaultStart(app)
	res := f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(t, &s)))
	var p model.Process
	f.decode(res, &p)
	now := at(res)
	if p.ID != app || p.Item != s.Item || p.DefinitionDigest != s.DefinitionDigest || p.Applicant != f.firm.ID ||
		p.Sponsor != windowMSP || p.Status != model.ProcessRunning || p.CreatedAt != now || p.CreatedTx != res.TxID ||
		!slices.Equal(p.StepKeys, model.Departments) {
		t.Fatalf("process = %+v", p)
	}
	var ev model.ProcessView
	event(t, res, model.EventProcessStarted, &ev)
	if ev.Process.ID != app || len(ev.Steps) != len(model.Departments) || len(ev.Interventions) != 0 || ev.Bundle != nil {
		t.Fatalf("event = %+v", ev)
	}

	v := f.view()
	if v.Process.ID != app || v.Bundle != nil || len(v.Interventions) != 0 {
		t.Fatalf("view = %+v", v)
	}
	for i, st := range v.Steps {
		if st.Key != model.Departments[i] || st.Status != model.StepPending || st.Department != f.depts[st.Key].ID || st.Process != app {
			t.Fatalf("step %d = %+v", i, st)
		}
		if i == 0 {
			// The licence step is ready at once and due a day after the start (7.5 d).
			if !st.Ready || st.ReadyAt != now || st.Deadline != after(now, day) || len(st.DependsOn) != 0 {
				t.Fatalf("market = %+v", st)
			}
			continue
		}
		if st.Ready || st.ReadyAt != "" || st.Deadline != "" || !slices.Equal(st.DependsOn, []string{model.DeptMarket}) || st.LimitSeconds != day/2 {
			t.Fatalf("parallel step %s = %+v", st.Key, st)
		}
	}
	// Every step is in its department's task queue (7.6.1: automatic distribution).
	for _, d := range model.Departments {
		page := listPending(t, f, f.depts[d].ID, 0, "")
		if len(page.Items) != 1 || page.Items[0].Key != d || page.Items[0].Ready != (d == model.DeptMarket) {
			t.Fatalf("queue of %s = %+v", d, page.Items)
		}
	}
}

func TestStartProcess_RetryReturnsExisting(t *testing.T) {
	f := newFixture(t)
	first := f.start()
	s := f.defaultStart(app)
	res := f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(t, &s))
	noWrite(t, res)
	var again model.Process
	f.decode(res, &again)
	if again.CreatedTx != first.CreatedTx || again.UpdatedTx != first.UpdatedTx {
		t.Fatalf("retry returned %+v, want %+v", again, first)
	}
	// A retry is answered even after a step was reassigned.
	f.ok(f.intervene(model.InterventionRequest{Process: app, Step: model.DeptBank, Action: model.InterveneReassign, Reason: "bank system down", NewDepartment: f.depts[model.DeptTax].ID}))
	noWrite(t, f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(t, &s)))
	processes := listProcesses(t, f, 0, "")
	if len(processes.Items) != 1 {
		t.Fatalf("%d processes, want 1", len(processes.Items))
	}
}

func TestStartProcess_ConflictingRestart(t *testing.T) {
	f := newFixture(t)
	f.start()
	for name, change := range map[string]func(*model.ProcessStart){
		"item":       func(s *model.ProcessStart) { s.Item = "other-item" },
		"digest":     func(s *model.ProcessStart) { s.DefinitionDigest = s.DefinitionDigest[1:] + "0" },
		"applicant":  func(s *model.ProcessStart) { s.Applicant = f.c.OpenSubject(model.SubjectEnterprise).ID },
		"fewer":      func(s *model.ProcessStart) { s.Steps = s.Steps[:2] },
		"step key":   func(s *model.ProcessStart) { s.Steps[6].Key = "tax2" },
		"limit":      func(s *model.ProcessStart) { s.Steps[1].LimitSeconds++ },
		"dependency": func(s *model.ProcessStart) { s.Steps[2].DependsOn = []string{model.DeptMarket, model.DeptSeal} },
	} {
		t.Run(name, func(t *testing.T) {
			s := f.defaultStart(app)
			change(&s)
			f.fails(model.CodeConflict, f.clerk, "StartProcess", mustJSON(t, &s))
		})
	}
}

func TestStartProcess_Denied(t *testing.T) {
	f := newFixture(t)
	suspended := f.c.AddMember("SuspendedMSP", model.MemberDepartment, "")
	suspendedClerk := suspended.Role(model.RoleClerk)
	f.c.SuspendMember(suspended)
	stranger := cctest.NewOrg("StrangerMSP").Identity("clerk1", cctest.Attr(model.AttrRole, model.RoleClerk))
	s := f.defaultStart(app)
	for name, who := range map[string]cctest.Creator{
		"no role":           f.window.Client,
		"admin":             f.window.Admin,
		"supervisor":        f.supervisor,
		"department client": f.depts[model.DeptMarket].Client,
		"suspended member":  suspendedClerk,
		"not a member":      stranger,
	} {
		t.Run(name, func(t *testing.T) {
			f.fails(model.CodeDenied, who, "StartProcess", mustJSON(t, &s))
		})
	}
}

func TestStartProcess_Malformed(t *testing.T) {
	f := newFixture(t)
	good := f.defaultStart(app)
	cases := map[string]string{
		"empty":         "",
		"not json":      "start",
		"array":         "[]",
		"unknown field": `{"application":"A","extra":1}`,
		"trailing":      mustJSON(t, &good) + "{}",
	}
	bad := func(name string, change func(*model.ProcessStart)) {
		s := f.defaultStart(app)
		change(&s)
		cases[name] = mustJSON(t, &s)
	}
	bad("no steps", func(s *model.ProcessStart) { s.Steps = nil })
	bad("forward dependency", func(s *model.ProcessStart) { s.Steps[0].DependsOn = []string{model.DeptTax} })
	bad("self dependency", func(s *model.ProcessStart) { s.Steps[1].DependsOn = []string{model.DeptSeal} })
	bad("duplicate step", func(s *model.ProcessStart) { s.Steps[2].Key = model.DeptSeal })
	bad("no limit", func(s *model.ProcessStart) { s.Steps[0].LimitSeconds = 0 })
	bad("bad digest", func(s *model.ProcessStart) { s.DefinitionDigest = "sm3" })
	bad("bad applicant", func(s *model.ProcessStart) { s.Applicant = "firm" })
	bad("bad application", func(s *model.ProcessStart) { s.Application = "APP 1" })
	for name, arg := range cases {
		t.Run(name, func(t *testing.T) {
			f.fails(model.CodeInvalid, f.clerk, "StartProcess", arg)
		})
	}
}

func TestStartProcess_ApplicantAndDepartmentsChecked(t *testing.T) {
	f := newFixture(t)
	frozen := f.c.OpenSubject(model.SubjectEnterprise)
	f.c.FreezeSubject(frozen)
	pending := f.c.ApplySubject(model.SubjectEnterprise)
	suspended := f.c.AddMember("ClosedBankMSP", model.MemberInstitution, "")
	f.c.SuspendMember(suspended)
	applied := f.c.ApplyMember("NewBankMSP", model.MemberInstitution, "")
	cases := []struct {
		name   string
		code   model.Code
		change func(*model.ProcessStart)
	}{
		{"unknown applicant", model.CodeNotFound, func(s *model.ProcessStart) { s.Applicant = model.DeriveID("nobody") }},
		{"frozen applicant", model.CodeState, func(s *model.ProcessStart) { s.Applicant = frozen.ID }},
		{"pending applicant", model.CodeState, func(s *model.ProcessStart) { s.Applicant = pending.ID }},
		{"department not a member", model.CodeInvalid, func(s *model.ProcessStart) { s.Steps[5].Department = "NoSuchBankMSP" }},
		{"department suspended", model.CodeState, func(s *model.ProcessStart) { s.Steps[5].Department = suspended.ID }},
		{"department not admitted", model.CodeState, func(s *model.ProcessStart) { s.Steps[5].Department = applied.ID }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := f.defaultStart(app)
			tc.change(&s)
			f.fails(tc.code, f.clerk, "StartProcess", mustJSON(t, &s))
		})
	}
}

func TestStartProcess_SerialProcess(t *testing.T) {
	f := newFixture(t)
	// A serial chain market → seal → tax, one department after another.
	s := f.defaultStart(app)
	s.Steps = []model.StepPlan{
		{Key: "market", Department: f.depts[model.DeptMarket].ID, LimitSeconds: 60},
		{Key: "seal", Department: f.depts[model.DeptSeal].ID, DependsOn: []string{"market"}, LimitSeconds: 60},
		{Key: "tax", Department: f.depts[model.DeptTax].ID, DependsOn: []string{"seal"}, LimitSeconds: 60},
	}
	f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(t, &s)))
	f.ok(f.decide(model.DeptMarket, true))
	f.fails(model.CodeState, f.depts[model.DeptTax].Client, "DecideStep", signedArgs(f, model.DeptTax, true)...)
	seal := f.ok(f.decide(model.DeptSeal, true))
	if st := f.step("tax"); !st.Ready || st.ReadyAt != at(seal) || st.Deadline != after(at(seal), 60) {
		t.Fatalf("tax after seal = %+v", st)
	}
	f.ok(f.decide(model.DeptTax, true))
}

func TestGetProcess_NotFoundAndInvalid(t *testing.T) {
	f := newFixture(t)
	res := f.l.Evaluate(f.clerk, model.ChaincodeApproval, "GetProcess", "APP-none")
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeNotFound {
		t.Fatalf("unknown process: %q", res.Message)
	}
	for _, id := range []string{"", "a b", "a\x00b", "\xff"} {
		res := f.l.Evaluate(f.clerk, model.ChaincodeApproval, "GetProcess", id)
		if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
			t.Fatalf("GetProcess(%q): %q", id, res.Message)
		}
	}
}

func listProcesses(t *testing.T, f *fixture, size int32, bookmark string) model.ProcessPage {
	t.Helper()
	var page model.ProcessPage
	f.decode(f.ok(f.l.Evaluate(f.clerk, model.ChaincodeApproval, "ListProcesses", itoa(size), bookmark)), &page)
	return page
}

func TestListProcesses_EmptyAndPaged(t *testing.T) {
	f := newFixture(t)
	if page := listProcesses(t, f, 0, ""); page.Items == nil || len(page.Items) != 0 || page.Bookmark != "" {
		t.Fatalf("empty page = %+v", page)
	}
	ids := []string{"APP-1", "APP-2", "APP-3"}
	for _, id := range ids {
		s := f.defaultStart(id)
		f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(t, &s)))
	}
	var got []string
	bookmark := ""
	for pages := 0; ; pages++ {
		page := listProcesses(t, f, 2, bookmark)
		for _, p := range page.Items {
			got = append(got, p.ID)
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
		if pages > 3 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("listed %v, want %v", got, ids)
	}
	res := f.l.Evaluate(f.clerk, model.ChaincodeApproval, "ListProcesses", "-1", "")
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeInvalid {
		t.Fatalf("negative page size: %q", res.Message)
	}
}
