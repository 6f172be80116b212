package approval

import (
	"strconv"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Intervene records a supervisor's manual intervention in a step (人工干预,
// 7.6.6) with its reason, and applies it:
//   - extend: adds ExtendSeconds to the pending step's deadline (clearing an
//     overdue mark the new deadline lifts);
//   - reassign: hands the pending step to another department, an active member,
//     moving it to that department's task queue;
//   - note: records a supervision note or urging on any step;
//   - reopen: returns the rejected step of a rejected process that no bundle
//     has closed yet to pending for a new decision, its time limit running
//     again from now, and the process to running.
//
// Extend and reassign need a running process. The step counts its
// interventions; the n-th has ID model.DeriveID("intervention", process, step,
// n). Submitting the step's latest intervention again while nothing else has
// changed the step returns that intervention instead of applying it twice.
func (c *Contract) Intervene(ctx contractapi.TransactionContextInterface, request string) (*model.Intervention, error) {
	who, err := c.caller(ctx, model.RoleSupervisor)
	if err != nil {
		return nil, err
	}
	var req model.InterventionRequest
	if err := model.Decode(request, &req); err != nil {
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
	if last, err := latestIntervention(stub, s); err != nil {
		return nil, err
	} else if last != nil && last.TxID == s.UpdatedTx && last.By == who.MSPID && last.Action == req.Action &&
		last.Reason == req.Reason && last.ExtendSeconds == req.ExtendSeconds && last.NewDepartment == req.NewDepartment {
		return last, nil
	}

	now, st, err := txNow(stub)
	if err != nil {
		return nil, err
	}
	switch req.Action {
	case model.InterveneExtend:
		if err := requirePendingRunning(p, s); err != nil {
			return nil, err
		}
		if s.ExtensionSeconds+req.ExtendSeconds > maxExtensionSeconds {
			return nil, model.Errorf(model.CodeInvalid, "step %s would be extended by more than %d seconds in all", s.Key, maxExtensionSeconds)
		}
		s.ExtensionSeconds += req.ExtendSeconds
		if s.Overdue {
			v, err := viewStep(p, s, stepDeps(stub, p.ID))
			if err != nil {
				return nil, err
			}
			due, err := model.ParseTime(v.Deadline)
			if err != nil {
				return nil, err
			}
			s.Overdue = !due.After(now)
		}
	case model.InterveneReassign:
		if err := requirePendingRunning(p, s); err != nil {
			return nil, err
		}
		if req.NewDepartment == s.Department {
			return nil, model.Errorf(model.CodeState, "step %s already belongs to %s", s.Key, s.Department)
		}
		m, err := c.dir.Member(ctx, req.NewDepartment)
		if model.IsCode(err, model.CodeNotFound) {
			return nil, model.Errorf(model.CodeInvalid, "department %s is not an alliance member", req.NewDepartment)
		}
		if err != nil {
			return nil, err
		}
		if m.Status != model.StatusActive {
			return nil, model.Errorf(model.CodeState, "department %s is %s", m.ID, m.Status)
		}
		if err := ledger.DelIndex(stub, indexPending, s.Department, p.ID, s.Key); err != nil {
			return nil, err
		}
		if err := ledger.PutIndex(stub, indexPending, req.NewDepartment, p.ID, s.Key); err != nil {
			return nil, err
		}
		s.Department = req.NewDepartment
	case model.InterveneReopen:
		if s.Status != model.StepRejected || p.Status != model.ProcessRejected {
			return nil, model.Errorf(model.CodeState, "only the rejected step of a rejected process can be reopened; step %s is %s, process %s is %s",
				s.Key, s.Status, p.ID, p.Status)
		}
		// A rejected process keeps its status after its bundle; the bundle
		// is what closes it for good.
		if b, err := bundleOf(stub, p.ID); err != nil {
			return nil, err
		} else if b != nil {
			return nil, model.Errorf(model.CodeState, "process %s is closed by its bundle (tx %s); step %s cannot be reopened", p.ID, b.TxID, s.Key)
		}
		*s = model.Step{
			Process:          s.Process,
			Key:              s.Key,
			Department:       s.Department,
			DependsOn:        s.DependsOn,
			LimitSeconds:     s.LimitSeconds,
			ExtensionSeconds: s.ExtensionSeconds,
			Status:           model.StepPending,
			ReadyAt:          st.At,
			Interventions:    s.Interventions,
		}
		if err := ledger.PutIndex(stub, indexPending, s.Department, p.ID, s.Key); err != nil {
			return nil, err
		}
		p.Status, p.Note = model.ProcessRunning, ""
		p.UpdatedAt, p.UpdatedTx = st.At, st.Tx
		if err := putProcess(stub, p); err != nil {
			return nil, err
		}
	}

	s.Interventions++
	iv := &model.Intervention{
		ID:            interventionID(s.Process, s.Key, s.Interventions),
		Process:       s.Process,
		Step:          s.Key,
		Action:        req.Action,
		Reason:        req.Reason,
		ExtendSeconds: req.ExtendSeconds,
		NewDepartment: req.NewDepartment,
		By:            who.MSPID,
		User:          who.User,
		At:            st.At,
		TxID:          st.Tx,
	}
	s.UpdatedAt, s.UpdatedTx = st.At, st.Tx
	if err := putStep(stub, s); err != nil {
		return nil, err
	}
	k, err := ledger.Key(stub, keyIntervention, iv.Process, iv.ID)
	if err != nil {
		return nil, err
	}
	if err := ledger.Put(stub, k, iv); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventInterventionRecorded, iv); err != nil {
		return nil, err
	}
	return iv, nil
}

// interventionID derives the ID of the n-th intervention in a step.
func interventionID(process, step string, n int) string {
	return model.DeriveID("intervention", process, step, strconv.Itoa(n))
}

// latestIntervention returns the step's latest intervention, or nil if it has
// none.
func latestIntervention(stub ledger.Stub, s *model.Step) (*model.Intervention, error) {
	if s.Interventions == 0 {
		return nil, nil
	}
	k, err := ledger.Key(stub, keyIntervention, s.Process, interventionID(s.Process, s.Key, s.Interventions))
	if err != nil {
		return nil, err
	}
	var iv model.Intervention
	if err := ledger.MustGet(stub, k, &iv, "intervention"); err != nil {
		return nil, err
	}
	return &iv, nil
}

func requirePendingRunning(p *model.Process, s *model.Step) error {
	if s.Status != model.StepPending || p.Status != model.ProcessRunning {
		return model.Errorf(model.CodeState, "step %s is %s and process %s is %s; only a pending step of a running process can be extended or reassigned",
			s.Key, s.Status, p.ID, p.Status)
	}
	return nil
}
