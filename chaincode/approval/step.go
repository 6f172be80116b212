package approval

import (
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// DecideStep records a department's decision on its step (审批信息, 7.3 b):
// approver, time, result, opinion and output assets, signed by the
// department's member key. The caller belongs to the step's department; the
// step is pending and ready and the process running. The decision writes only
// the step and its task-queue entry, so parallel departments never conflict —
// except a rejection, which also marks the process rejected. Submitting the
// decision already recorded again returns the step unchanged.
func (c *Contract) DecideStep(ctx contractapi.TransactionContextInterface, decision, signature string) (*model.StepView, error) {
	var req model.StepDecision
	if err := model.DecodeCanonical(decision, &req); err != nil {
		return nil, err
	}
	if len(signature) > maxSignatureLen {
		return nil, model.Errorf(model.CodeSignature, "signature is %d characters, more than an SM2 signature's %d", len(signature), maxSignatureLen)
	}
	who, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	p, err := getProcess(stub, req.Process)
	if err != nil {
		return nil, err
	}
	s, err := getStep(stub, req.Process, req.Step)
	if err != nil {
		return nil, err
	}
	if who.MSPID != s.Department {
		return nil, model.Errorf(model.CodeDenied, "%s may not decide step %s, which belongs to %s", who.MSPID, s.Key, s.Department)
	}
	if s.Status != model.StepPending {
		if sameDecision(s, &req) {
			return &model.StepView{Step: *s}, nil
		}
		return nil, model.Errorf(model.CodeState, "step %s of process %s is already %s", s.Key, p.ID, s.Status)
	}
	if p.Status != model.ProcessRunning {
		return nil, model.Errorf(model.CodeState, "process %s is %s", p.ID, p.Status)
	}
	dep := stepDeps(stub, p.ID)
	readyAt, ready, err := readyTime(p, s, dep)
	if err != nil {
		return nil, err
	}
	if !ready {
		waiting, err := waitingFor(s, dep)
		if err != nil {
			return nil, err
		}
		return nil, model.Errorf(model.CodeState, "step %s of process %s waits for step %s", s.Key, p.ID, waiting)
	}
	m, err := access.ActiveMember(ctx, c.dir, who)
	if err != nil {
		return nil, err
	}
	if err := access.VerifySignature(m.PublicKey, actionDecide, []byte(decision), signature, m.ID); err != nil {
		return nil, err
	}
	for _, out := range req.Outputs {
		var a model.Asset
		if err := access.Query(ctx, model.ChaincodeAsset, "GetAsset", &a, out); err != nil {
			return nil, err
		}
		if a.Owner != p.Applicant {
			return nil, model.Errorf(model.CodeInvalid, "output %s belongs to %s, not to the applicant %s", out, a.Owner, p.Applicant)
		}
	}

	now, st, err := txNow(stub)
	if err != nil {
		return nil, err
	}
	due := deadline(s, readyAt)
	s.Status = model.StepApproved
	if !req.Approve {
		s.Status = model.StepRejected
	}
	s.ReadyAt = model.FormatTime(readyAt)
	s.Deadline = model.FormatTime(due)
	s.Overdue = now.After(due)
	s.Approver = req.Approver
	s.Opinion = req.Opinion
	s.Outputs = req.Outputs
	s.Signature = signature
	s.DecidedAt, s.DecisionTx = st.At, st.Tx
	s.UpdatedAt, s.UpdatedTx = st.At, st.Tx
	if err := putStep(stub, s); err != nil {
		return nil, err
	}
	if err := ledger.DelIndex(stub, indexPending, s.Department, p.ID, s.Key); err != nil {
		return nil, err
	}
	if !req.Approve {
		p.Status = model.ProcessRejected
		p.Note = "rejected at step " + s.Key
		p.UpdatedAt, p.UpdatedTx = st.At, st.Tx
		if err := putProcess(stub, p); err != nil {
			return nil, err
		}
	}
	v := &model.StepView{Step: *s}
	if err := ledger.Emit(stub, model.EventStepDecided, v); err != nil {
		return nil, err
	}
	return v, nil
}

// sameDecision reports whether the decided step s records req. Signatures are
// not compared: SM2 signing is randomised, so a client that re-signs a retried
// decision produces another valid signature of the same decision.
func sameDecision(s *model.Step, req *model.StepDecision) bool {
	return (s.Status == model.StepApproved) == req.Approve &&
		s.Approver == req.Approver && s.Opinion == req.Opinion && slices.Equal(s.Outputs, req.Outputs)
}

// MarkOverdue records that a ready step has passed its deadline undecided (超时,
// 7.6.6). The caller is a supervisor of an active member. Marking a step
// already marked returns it unchanged.
func (c *Contract) MarkOverdue(ctx contractapi.TransactionContextInterface, process, step string) (*model.StepView, error) {
	if err := checkID("process", process); err != nil {
		return nil, err
	}
	if err := checkID("step", step); err != nil {
		return nil, err
	}
	if _, err := c.caller(ctx, model.RoleSupervisor); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	p, err := getProcess(stub, process)
	if err != nil {
		return nil, err
	}
	s, err := getStep(stub, process, step)
	if err != nil {
		return nil, err
	}
	if s.Status != model.StepPending {
		return nil, model.Errorf(model.CodeState, "step %s of process %s is %s", step, process, s.Status)
	}
	v, err := viewStep(p, s, stepDeps(stub, process))
	if err != nil {
		return nil, err
	}
	if !v.Ready {
		return nil, model.Errorf(model.CodeState, "step %s of process %s is not ready (process %s)", step, process, p.Status)
	}
	if s.Overdue {
		return &v, nil
	}
	now, st, err := txNow(stub)
	if err != nil {
		return nil, err
	}
	due, err := model.ParseTime(v.Deadline)
	if err != nil {
		return nil, err
	}
	if !now.After(due) {
		return nil, model.Errorf(model.CodeState, "step %s of process %s is due at %s", step, process, v.Deadline)
	}
	s.Overdue = true
	s.UpdatedAt, s.UpdatedTx = st.At, st.Tx
	if err := putStep(stub, s); err != nil {
		return nil, err
	}
	v.Step.Overdue, v.UpdatedAt, v.UpdatedTx = true, st.At, st.Tx
	if err := ledger.Emit(stub, model.EventStepOverdue, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// ListPendingSteps returns a page of a department's task queue: its pending
// steps, by process, each with its ready flag, ready time and deadline
// computed. Department "" lists the queues of all departments.
func (c *Contract) ListPendingSteps(ctx contractapi.TransactionContextInterface, department string, pageSize int32, bookmark string) (*model.StepPage, error) {
	var attrs []string
	if department != "" {
		if err := checkID("department", department); err != nil {
			return nil, err
		}
		attrs = []string{department}
	}
	stub := ctx.GetStub()
	page := &model.StepPage{Items: make([]model.StepView, 0)}
	processes := make(map[string]*model.Process)
	next, err := ledger.Page(stub, indexPending, attrs, pageSize, bookmark, func(keyAttrs []string, _ []byte) error {
		if len(keyAttrs) != 3 {
			return fmt.Errorf("malformed task-queue entry %q", keyAttrs)
		}
		id, key := keyAttrs[1], keyAttrs[2]
		p, ok := processes[id]
		if !ok {
			var err error
			if p, err = getProcess(stub, id); err != nil {
				return err
			}
			processes[id] = p
		}
		s, err := getStep(stub, id, key)
		if err != nil {
			return err
		}
		v, err := viewStep(p, s, stepDeps(stub, id))
		if err != nil {
			return err
		}
		page.Items = append(page.Items, v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.Bookmark = next
	return page, nil
}
