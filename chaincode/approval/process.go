package approval

import (
	"encoding/json"
	"slices"
	"sort"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// StartProcess starts the process of an accepted application (7.5 d): the
// process record, one pending step per step of the definition, and each step in
// its department's task queue. The caller is a clerk (综合受理) of an active
// member; the applicant is an active subject and every step's department an
// active member. The process ID is the application ID, so starting the same
// application again returns the process already started, and a different
// start for it is a conflict.
func (c *Contract) StartProcess(ctx contractapi.TransactionContextInterface, start string) (*model.Process, error) {
	who, err := c.caller(ctx, model.RoleClerk)
	if err != nil {
		return nil, err
	}
	var req model.ProcessStart
	if err := model.Decode(start, &req); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	pk, err := ledger.Key(stub, keyProcess, req.Application)
	if err != nil {
		return nil, err
	}
	var existing model.Process
	found, err := ledger.Get(stub, pk, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return sameStart(stub, &existing, &req)
	}
	if _, err := access.ActiveSubject(ctx, c.dir, req.Applicant); err != nil {
		return nil, err
	}
	checked := make(map[string]bool, len(req.Steps))
	for _, s := range req.Steps {
		if checked[s.Department] {
			continue
		}
		checked[s.Department] = true
		m, err := c.dir.Member(ctx, s.Department)
		if model.IsCode(err, model.CodeNotFound) {
			return nil, model.Errorf(model.CodeInvalid, "department %s of step %s is not an alliance member", s.Department, s.Key)
		}
		if err != nil {
			return nil, err
		}
		if m.Status != model.StatusActive {
			return nil, model.Errorf(model.CodeState, "department %s of step %s is %s", s.Department, s.Key, m.Status)
		}
	}

	_, st, err := txNow(stub)
	if err != nil {
		return nil, err
	}
	p := &model.Process{
		ID:               req.Application,
		Item:             req.Item,
		DefinitionDigest: req.DefinitionDigest,
		Applicant:        req.Applicant,
		Sponsor:          who.MSPID,
		StepKeys:         make([]string, 0, len(req.Steps)),
		Status:           model.ProcessRunning,
		CreatedAt:        st.At,
		CreatedTx:        st.Tx,
		UpdatedAt:        st.At,
		UpdatedTx:        st.Tx,
	}
	view := &model.ProcessView{
		Steps:         make([]model.StepView, 0, len(req.Steps)),
		Interventions: make([]model.Intervention, 0),
	}
	deps := make(map[string]*model.Step, len(req.Steps))
	for _, plan := range req.Steps {
		s := &model.Step{
			Process:      p.ID,
			Key:          plan.Key,
			Department:   plan.Department,
			DependsOn:    plan.DependsOn,
			LimitSeconds: plan.LimitSeconds,
			Status:       model.StepPending,
			UpdatedAt:    st.At,
			UpdatedTx:    st.Tx,
		}
		if err := putStep(stub, s); err != nil {
			return nil, err
		}
		if err := ledger.PutIndex(stub, indexPending, s.Department, p.ID, s.Key); err != nil {
			return nil, err
		}
		p.StepKeys = append(p.StepKeys, s.Key)
		deps[s.Key] = s
		v, err := viewStep(p, s, func(key string) (*model.Step, error) { return deps[key], nil })
		if err != nil {
			return nil, err
		}
		view.Steps = append(view.Steps, v)
	}
	if err := ledger.Put(stub, pk, p); err != nil {
		return nil, err
	}
	view.Process = *p
	if err := ledger.Emit(stub, model.EventProcessStarted, view); err != nil {
		return nil, err
	}
	return p, nil
}

// sameStart returns the existing process when req is the start that created
// it, and a CONFLICT error otherwise. The definition digest pins the whole
// definition; the step plans are compared as well where interventions cannot
// have changed them (a reassignment changes a step's department).
func sameStart(stub ledger.Stub, p *model.Process, req *model.ProcessStart) (*model.Process, error) {
	conflict := model.Errorf(model.CodeConflict, "process %s was started with another definition, item or applicant", p.ID)
	if p.Item != req.Item || p.DefinitionDigest != req.DefinitionDigest || p.Applicant != req.Applicant || len(p.StepKeys) != len(req.Steps) {
		return nil, conflict
	}
	for i, plan := range req.Steps {
		if p.StepKeys[i] != plan.Key {
			return nil, conflict
		}
		s, err := getStep(stub, p.ID, plan.Key)
		if err != nil {
			return nil, err
		}
		if s.LimitSeconds != plan.LimitSeconds || !slices.Equal(s.DependsOn, plan.DependsOn) {
			return nil, conflict
		}
	}
	return p, nil
}

// GetProcess returns a process with its steps (ready times and deadlines
// computed for the pending ones), its interventions in the order they were made
// and its issuance bundle, if issued: the supervision view of 7.6.6.
func (c *Contract) GetProcess(ctx contractapi.TransactionContextInterface, id string) (*model.ProcessView, error) {
	if err := checkID("process", id); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	p, err := getProcess(stub, id)
	if err != nil {
		return nil, err
	}
	steps, err := processSteps(stub, p)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*model.Step, len(steps))
	for _, s := range steps {
		byKey[s.Key] = s
	}
	dep := func(key string) (*model.Step, error) {
		if s, ok := byKey[key]; ok {
			return s, nil
		}
		return nil, model.Errorf(model.CodeNotFound, "step %s of process %s not found", key, id)
	}
	view := &model.ProcessView{Process: *p, Steps: make([]model.StepView, 0, len(steps))}
	for _, s := range steps {
		v, err := viewStep(p, s, dep)
		if err != nil {
			return nil, err
		}
		view.Steps = append(view.Steps, v)
	}
	if view.Interventions, err = interventionsOf(stub, id); err != nil {
		return nil, err
	}
	if view.Bundle, err = bundleOf(stub, id); err != nil {
		return nil, err
	}
	return view, nil
}

// interventionsOf lists a process's interventions oldest first.
func interventionsOf(stub ledger.Stub, process string) ([]model.Intervention, error) {
	out := make([]model.Intervention, 0)
	err := ledger.All(stub, keyIntervention, []string{process}, func(_ []string, raw []byte) error {
		var iv model.Intervention
		if err := json.Unmarshal(raw, &iv); err != nil {
			return err
		}
		out = append(out, iv)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].At != out[j].At {
			return out[i].At < out[j].At
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ListProcesses returns a page of processes in ID order.
func (c *Contract) ListProcesses(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (*model.ProcessPage, error) {
	page := &model.ProcessPage{Items: make([]model.Process, 0)}
	next, err := ledger.Page(ctx.GetStub(), keyProcess, nil, pageSize, bookmark, func(_ []string, raw []byte) error {
		var p model.Process
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		page.Items = append(page.Items, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.Bookmark = next
	return page, nil
}
