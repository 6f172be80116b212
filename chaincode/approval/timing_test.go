package approval

import (
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// These tests exercise the deadline arithmetic without a ledger: a process
// started at t0 with market → {seal, tax}.

var t0 = time.Date(2021, 12, 1, 9, 0, 0, 0, time.UTC)

func at(d time.Duration) string { return model.FormatTime(t0.Add(d)) }

func timingFixture() (*model.Process, map[string]*model.Step, depFunc) {
	p := &model.Process{ID: "APP-1", Status: model.ProcessRunning, CreatedAt: at(0), StepKeys: []string{"market", "seal", "tax"}}
	steps := map[string]*model.Step{
		"market": {Process: "APP-1", Key: "market", LimitSeconds: 3600, Status: model.StepPending},
		"seal":   {Process: "APP-1", Key: "seal", DependsOn: []string{"market"}, LimitSeconds: 600, Status: model.StepPending},
		"tax":    {Process: "APP-1", Key: "tax", DependsOn: []string{"market", "seal"}, LimitSeconds: 60, ExtensionSeconds: 30, Status: model.StepPending},
	}
	return p, steps, func(key string) (*model.Step, error) { return steps[key], nil }
}

func TestViewStep_FirstStepReadyAtProcessStart(t *testing.T) {
	p, steps, dep := timingFixture()
	v, err := viewStep(p, steps["market"], dep)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Ready || v.ReadyAt != at(0) || v.Deadline != at(time.Hour) {
		t.Fatalf("market view = ready %v at %s due %s", v.Ready, v.ReadyAt, v.Deadline)
	}
	v, err = viewStep(p, steps["seal"], dep)
	if err != nil {
		t.Fatal(err)
	}
	if v.Ready || v.ReadyAt != "" || v.Deadline != "" {
		t.Fatalf("waiting seal view = ready %v at %q due %q", v.Ready, v.ReadyAt, v.Deadline)
	}
}

func TestViewStep_ReadyAtLatestDependencyDecision(t *testing.T) {
	p, steps, dep := timingFixture()
	steps["market"].Status, steps["market"].DecidedAt = model.StepApproved, at(10*time.Minute)
	steps["seal"].Status, steps["seal"].DecidedAt = model.StepApproved, at(25*time.Minute)
	v, err := viewStep(p, steps["tax"], dep)
	if err != nil {
		t.Fatal(err)
	}
	// Ready when seal, the later dependency, was approved; due 60 s + 30 s extension later.
	if !v.Ready || v.ReadyAt != at(25*time.Minute) || v.Deadline != at(25*time.Minute+90*time.Second) {
		t.Fatalf("tax view = ready %v at %s due %s", v.Ready, v.ReadyAt, v.Deadline)
	}
}

func TestViewStep_ReopenedStepCountsFromReopening(t *testing.T) {
	p, steps, dep := timingFixture()
	steps["market"].ReadyAt = at(2 * time.Hour)
	v, err := viewStep(p, steps["market"], dep)
	if err != nil {
		t.Fatal(err)
	}
	if v.ReadyAt != at(2*time.Hour) || v.Deadline != at(3*time.Hour) {
		t.Fatalf("reopened market view = at %s due %s", v.ReadyAt, v.Deadline)
	}
}

func TestViewStep_NotReadyUnlessProcessRuns(t *testing.T) {
	p, steps, dep := timingFixture()
	p.Status = model.ProcessRejected
	v, err := viewStep(p, steps["market"], dep)
	if err != nil {
		t.Fatal(err)
	}
	if v.Ready || v.Deadline == "" {
		t.Fatalf("market of a rejected process: ready %v due %q", v.Ready, v.Deadline)
	}
}

func TestViewStep_DecidedStepAsStored(t *testing.T) {
	p, steps, dep := timingFixture()
	s := steps["market"]
	s.Status, s.ReadyAt, s.Deadline, s.Overdue, s.DecidedAt = model.StepApproved, at(0), at(time.Hour), true, at(2*time.Hour)
	v, err := viewStep(p, s, dep)
	if err != nil {
		t.Fatal(err)
	}
	if v.Ready || v.Step.ReadyAt != at(0) || v.Step.Deadline != at(time.Hour) || !v.Overdue {
		t.Fatalf("decided view = %+v", v)
	}
}

func TestViewStep_CorruptTimesAreErrors(t *testing.T) {
	for name, spoil := range map[string]func(*model.Process, map[string]*model.Step){
		"process start":   func(p *model.Process, _ map[string]*model.Step) { p.CreatedAt = "yesterday" },
		"reopen time":     func(_ *model.Process, s map[string]*model.Step) { s["market"].ReadyAt = "soon" },
		"dependency time": func(_ *model.Process, s map[string]*model.Step) { s["market"].Status = model.StepApproved },
	} {
		t.Run(name, func(t *testing.T) {
			p, steps, dep := timingFixture()
			spoil(p, steps)
			key := "market"
			if name == "dependency time" {
				key = "seal"
			}
			if _, err := viewStep(p, steps[key], dep); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestWaitingFor_NamesFirstUndecidedDependency(t *testing.T) {
	_, steps, dep := timingFixture()
	if w, _ := waitingFor(steps["tax"], dep); w != "market" {
		t.Fatalf("waiting for %q, want market", w)
	}
	steps["market"].Status = model.StepApproved
	if w, _ := waitingFor(steps["tax"], dep); w != "seal" {
		t.Fatalf("waiting for %q, want seal", w)
	}
	steps["seal"].Status = model.StepApproved
	if w, _ := waitingFor(steps["tax"], dep); w != "" {
		t.Fatalf("waiting for %q, want nothing", w)
	}
}

func TestCheckID(t *testing.T) {
	for _, ok := range []string{"APP-2021-0001", "market", "Org1MSP", "a"} {
		if err := checkID("id", ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-x", "a b", "a\x00b", string(make([]byte, 129))} {
		if err := checkID("id", bad); !model.IsCode(err, model.CodeInvalid) {
			t.Errorf("%q: %v, want INVALID", bad, err)
		}
	}
}
