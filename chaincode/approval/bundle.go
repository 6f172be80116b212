package approval

import (
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// IssueBundle records the unified issuance (统一出件, 7.6.7) that closes a
// process: for every step, the assets issued to the applicant's locker or why
// there are none. The process keeps its outcome: a running process, all of
// whose steps are decided, becomes completed; a rejected one stays rejected,
// so that a refused application is never counted as a completed one — its
// bundle is what tells that it is closed. The caller is a clerk of an active
// member. Every step must be decided — except that a rejected process may be
// closed with the steps it left pending listed as skipped, which also takes
// them off their departments' task queues. Per step:
//   - issued: the step was approved; the asset exists in the asset chaincode,
//     belongs to the applicant and is available (a step may issue several);
//   - rejected: the step was rejected;
//   - skipped: the step was approved without issuing anything, or left pending
//     by the rejection.
//
// A process has one bundle: issuing the same bundle again returns it, another
// bundle for the process is a conflict.
func (c *Contract) IssueBundle(ctx contractapi.TransactionContextInterface, issue string) (*model.Bundle, error) {
	who, err := c.caller(ctx, model.RoleClerk)
	if err != nil {
		return nil, err
	}
	var req model.BundleIssue
	if err := model.Decode(issue, &req); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	p, err := getProcess(stub, req.Process)
	if err != nil {
		return nil, err
	}
	if existing, err := bundleOf(stub, p.ID); err != nil {
		return nil, err
	} else if existing != nil {
		if slices.Equal(existing.Items, req.Items) {
			return existing, nil
		}
		return nil, model.Errorf(model.CodeConflict, "process %s already has another bundle", p.ID)
	}
	if p.Status != model.ProcessRunning && p.Status != model.ProcessRejected {
		return nil, model.Errorf(model.CodeState, "process %s is %s", p.ID, p.Status)
	}
	steps, err := processSteps(stub, p)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]*model.Step, len(steps))
	for _, s := range steps {
		if s.Status == model.StepPending && p.Status == model.ProcessRunning {
			return nil, model.Errorf(model.CodeState, "step %s of process %s is not decided yet", s.Key, p.ID)
		}
		byKey[s.Key] = s
	}
	if err := checkItems(ctx, p, byKey, req.Items); err != nil {
		return nil, err
	}

	_, st, err := txNow(stub)
	if err != nil {
		return nil, err
	}
	b := &model.Bundle{
		Process:  p.ID,
		Owner:    p.Applicant,
		Items:    req.Items,
		IssuedBy: who.MSPID,
		At:       st.At,
		TxID:     st.Tx,
	}
	k, err := ledger.Key(stub, keyBundle, p.ID)
	if err != nil {
		return nil, err
	}
	if err := ledger.Put(stub, k, b); err != nil {
		return nil, err
	}
	for _, s := range steps {
		if s.Status == model.StepPending {
			if err := ledger.DelIndex(stub, indexPending, s.Department, p.ID, s.Key); err != nil {
				return nil, err
			}
		}
	}
	if p.Status == model.ProcessRunning {
		p.Status = model.ProcessCompleted
	}
	// The process record carries the closing transaction either way.
	p.UpdatedAt, p.UpdatedTx = st.At, st.Tx
	if err := putProcess(stub, p); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventBundleIssued, b); err != nil {
		return nil, err
	}
	return b, nil
}

// checkItems checks a bundle's items against the process's steps: each item's
// status matches its step's outcome, nothing is listed twice, every step is
// accounted for — a step without issued assets by exactly one item — and,
// last because each is a call into the asset chaincode, issued assets are the
// applicant's and available.
func checkItems(ctx contractapi.TransactionContextInterface, p *model.Process, steps map[string]*model.Step, items []model.BundleItem) error {
	perStep := make(map[string]int, len(steps))
	for i, it := range items {
		s, ok := steps[it.Step]
		if !ok {
			return model.Errorf(model.CodeInvalid, "process %s has no step %s", p.ID, it.Step)
		}
		if slices.Contains(items[:i], it) {
			return model.Errorf(model.CodeInvalid, "item %s %s is listed twice", it.Step, it.Asset)
		}
		perStep[it.Step]++
		switch {
		case it.Status == model.BundleIssued && s.Status != model.StepApproved:
			return model.Errorf(model.CodeInvalid, "step %s is %s and cannot have issued %s", s.Key, s.Status, it.Asset)
		case it.Status == model.BundleRejected && s.Status != model.StepRejected:
			return model.Errorf(model.CodeInvalid, "step %s is %s, not rejected", s.Key, s.Status)
		case it.Status == model.BundleSkipped && s.Status == model.StepRejected:
			return model.Errorf(model.CodeInvalid, "step %s was rejected; list it as rejected", s.Key)
		}
	}
	for _, key := range p.StepKeys {
		if perStep[key] == 0 {
			return model.Errorf(model.CodeInvalid, "the bundle has no item for step %s", key)
		}
	}
	for _, it := range items {
		if it.Status != model.BundleIssued {
			if perStep[it.Step] > 1 {
				return model.Errorf(model.CodeInvalid, "step %s is listed as %s and with other items", it.Step, it.Status)
			}
			continue
		}
		var a model.Asset
		if err := access.Query(ctx, model.ChaincodeAsset, "GetAsset", &a, it.Asset); err != nil {
			return err
		}
		if a.Owner != p.Applicant {
			return model.Errorf(model.CodeInvalid, "asset %s belongs to %s, not to the applicant %s", it.Asset, a.Owner, p.Applicant)
		}
		if a.Status != model.AssetAvailable {
			return model.Errorf(model.CodeState, "asset %s is %s", it.Asset, a.Status)
		}
	}
	return nil
}

// bundleOf returns a process's bundle, or nil if none was issued.
func bundleOf(stub ledger.Stub, process string) (*model.Bundle, error) {
	k, err := ledger.Key(stub, keyBundle, process)
	if err != nil {
		return nil, err
	}
	var b model.Bundle
	found, err := ledger.Get(stub, k, &b)
	if err != nil || !found {
		return nil, err
	}
	return &b, nil
}
