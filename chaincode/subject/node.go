package subject

import (
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// nodeKinds are the kinds ListNodes accepts.
var nodeKinds = []model.NodeKind{model.NodeConsensus, model.NodeTransaction, model.NodeStorage, model.NodeChainEnd}

// AdmitNode admits a consensus, transaction, storage or chain-end node of an
// active member (节点准入, 7.4.2 c; A.2), recording its endpoint and the SM3
// digest of its TLS certificate. The caller is an admin of an active member
// holding model.PermNode. admission is a JSON model.NodeAdmission; the node's
// ID is model.NodeID(member, name). An identical retry returns the node; a
// retired node may be admitted again; a different admission for an active
// node is a CONFLICT.
func (c *Contract) AdmitNode(ctx contractapi.TransactionContextInterface, admission string) (*model.Node, error) {
	var a model.NodeAdmission
	if err := model.Decode(admission, &a); err != nil {
		return nil, err
	}
	admitter, err := governor(ctx, model.PermNode)
	if err != nil {
		return nil, err
	}
	owner, err := directory{}.Member(ctx, a.Member)
	if err != nil {
		return nil, err
	}
	if owner.Status != model.StatusActive {
		return nil, model.Errorf(model.CodeState, "member %s is %s; only an active member's nodes are admitted", owner.ID, owner.Status)
	}
	stub := ctx.GetStub()
	id := model.NodeID(a.Member, a.Name)
	var existing model.Node
	found, err := load(stub, objNode, id, &existing)
	if err != nil {
		return nil, err
	}
	if found && existing.Status != model.StatusRetired {
		if sameAdmission(&existing, &a) {
			return &existing, nil
		}
		return nil, model.Errorf(model.CodeConflict, "node %s of %s is %s with a different admission", a.Name, a.Member, existing.Status)
	}
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	n := &model.Node{
		ID:            id,
		Member:        a.Member,
		Name:          a.Name,
		Kind:          a.Kind,
		Endpoint:      a.Endpoint,
		TLSCertDigest: a.TLSCertDigest,
		Status:        model.StatusActive,
		AdmittedBy:    admitter.ID,
		CreatedAt:     st.At,
		CreatedTx:     st.Tx,
		UpdatedAt:     st.At,
		UpdatedTx:     st.Tx,
	}
	oldKind := ""
	if found {
		n.CreatedAt, n.CreatedTx = existing.CreatedAt, existing.CreatedTx
		oldKind = string(existing.Kind)
	}
	if err := store(stub, objNode, idxNodeKind, n.ID, string(n.Kind), oldKind, n); err != nil {
		return nil, err
	}
	return done(n, ledger.Emit(stub, model.EventNodeAdmitted, n))
}

// RetireNode retires an active node (节点准出, 7.4.2 c). The caller is an
// admin of an active member holding model.PermNode. retirement is a JSON
// model.NodeRetirement; retrying it with the same note returns the retired
// node unchanged.
func (c *Contract) RetireNode(ctx contractapi.TransactionContextInterface, retirement string) (*model.Node, error) {
	var r model.NodeRetirement
	if err := model.Decode(retirement, &r); err != nil {
		return nil, err
	}
	if _, err := governor(ctx, model.PermNode); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	var n model.Node
	if err := mustLoad(stub, objNode, r.Node, &n, "node"); err != nil {
		return nil, err
	}
	if n.Status == model.StatusRetired {
		if n.Note == r.Note {
			return &n, nil
		}
		return nil, model.Errorf(model.CodeState, "node %s is already retired", n.ID)
	}
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	n.Status, n.Note, n.UpdatedAt, n.UpdatedTx = model.StatusRetired, r.Note, st.At, st.Tx
	if err := store(stub, objNode, idxNodeKind, n.ID, string(n.Kind), string(n.Kind), &n); err != nil {
		return nil, err
	}
	return done(&n, ledger.Emit(stub, model.EventNodeRetired, &n))
}

// GetNode returns the node with ID id, or a NOT_FOUND error.
func (c *Contract) GetNode(ctx contractapi.TransactionContextInterface, id string) (*model.Node, error) {
	var n model.Node
	if err := mustLoad(ctx.GetStub(), objNode, id, &n, "node"); err != nil {
		return nil, err
	}
	return &n, nil
}

// ListNodes returns a page of nodes in ID order, all of them when kind is ""
// or those of one model.NodeKind (the node monitoring list of 7.4.3 f 1).
func (c *Contract) ListNodes(ctx contractapi.TransactionContextInterface, kind string, pageSize int32, bookmark string) (*model.NodePage, error) {
	if kind != "" && !slices.Contains(nodeKinds, model.NodeKind(kind)) {
		return nil, model.Errorf(model.CodeInvalid, "node kind %q is not one of %v", kind, nodeKinds)
	}
	items, next, err := list[model.Node](ctx.GetStub(), objNode, idxNodeKind, kind, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	return &model.NodePage{Items: items, Bookmark: next}, nil
}

func sameAdmission(n *model.Node, a *model.NodeAdmission) bool {
	return n.Kind == a.Kind && n.Endpoint == a.Endpoint && n.TLSCertDigest == a.TLSCertDigest
}
