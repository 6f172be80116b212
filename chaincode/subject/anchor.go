package subject

import (
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Object types of audit anchors: the anchors themselves, and per member the
// latest one, which keeps each member's anchors moving forward.
const (
	objAuditAnchor  = "auditanchor"
	objLatestAnchor = "auditanchor~latest" // member
)

// AnchorAudit puts the head of the caller's member's audit log on chain
// (8.2 d). The caller is any identity of an active member; the anchor is the
// member's own. Anchors only move forward: an identical retry returns the
// anchor, a different head for an anchored sequence number is a CONFLICT (the
// log was rewritten), and a sequence number below the latest is STATE.
func (c *Contract) AnchorAudit(ctx contractapi.TransactionContextInterface, request string) (*model.AuditAnchor, error) {
	var r model.AuditAnchorRequest
	if err := model.Decode(request, &r); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := access.ActiveMember(ctx, directory{}, caller); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	var latest model.AuditAnchor
	found, err := load(stub, objLatestAnchor, caller.MSPID, &latest)
	if err != nil {
		return nil, err
	}
	switch {
	case found && latest.Seq == r.Seq && latest.Head == r.Head:
		return &latest, nil
	case found && latest.Seq == r.Seq:
		return nil, model.Errorf(model.CodeConflict, "row %d of %s's audit log was anchored with another head: the log was rewritten", r.Seq, caller.MSPID)
	case found && latest.Seq > r.Seq:
		return nil, model.Errorf(model.CodeState, "%s's audit log is anchored up to row %d; row %d is behind it", caller.MSPID, latest.Seq, r.Seq)
	}
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	a := &model.AuditAnchor{
		ID:     model.AuditAnchorID(caller.MSPID, r.Seq),
		Member: caller.MSPID,
		Seq:    r.Seq,
		Head:   r.Head,
		At:     st.At,
		TxID:   st.Tx,
	}
	put := func(objectType, id string) error {
		key, err := ledger.Key(stub, objectType, id)
		if err != nil {
			return err
		}
		return ledger.Put(stub, key, a)
	}
	if err := put(objAuditAnchor, a.ID); err != nil {
		return nil, err
	}
	if err := put(objLatestAnchor, a.Member); err != nil {
		return nil, err
	}
	return done(a, ledger.Emit(stub, model.EventAuditAnchored, a))
}

// GetAuditAnchor returns member's anchor of row seq.
func (c *Contract) GetAuditAnchor(ctx contractapi.TransactionContextInterface, member string, seq int64) (*model.AuditAnchor, error) {
	var a model.AuditAnchor
	if err := mustLoad(ctx.GetStub(), objAuditAnchor, model.AuditAnchorID(member, seq), &a, fmt.Sprintf("audit anchor %d of %s", seq, member)); err != nil {
		return nil, err
	}
	return &a, nil
}

// LatestAuditAnchor returns member's most recent anchor; NOT_FOUND when the
// member has anchored nothing yet.
func (c *Contract) LatestAuditAnchor(ctx contractapi.TransactionContextInterface, member string) (*model.AuditAnchor, error) {
	var a model.AuditAnchor
	if err := mustLoad(ctx.GetStub(), objLatestAnchor, member, &a, "audit anchor of "+member); err != nil {
		return nil, err
	}
	return &a, nil
}
