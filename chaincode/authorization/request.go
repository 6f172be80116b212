package authorization

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// RequestAccess asks an available asset's owner for a grant: creation is a
// canonical model.AccessRequestCreation. The requester is an active subject
// that signs it, or the caller's own member, which does not (signature "").
// DueAt, after the transaction's time, is when the owner should have
// answered; pending requests past it drive the reminders of 7.6.2 f
// (ListPendingRequests). Emits AccessRequested. The ID derives from asset,
// requester and nonce, so the same creation again returns the request and
// writes nothing.
func (c *Contract) RequestAccess(ctx contractapi.TransactionContextInterface, creation, signature string) (*model.AccessRequest, error) {
	var req model.AccessRequestCreation
	if err := model.DecodeCanonical(creation, &req); err != nil {
		return nil, err
	}
	caller, err := gateway(ctx)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	st, now, err := begin(stub)
	if err != nil {
		return nil, err
	}
	id := model.AccessRequestID(req.Asset, req.Requester, req.Nonce)
	var existing model.AccessRequest
	found, err := load(stub, objRequest, id, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		if !sameRequest(&existing, &req) {
			return nil, model.Errorf(model.CodeConflict, "access request %s exists with other content (choose another nonce)", id)
		}
		if _, err := actor(ctx, caller, req.Requester, ActionRequestAccess, creation, signature, false); err != nil {
			return nil, err
		}
		return &existing, nil
	}

	asset, err := availableAsset(ctx, req.Asset)
	if err != nil {
		return nil, err
	}
	if req.Requester == asset.Owner {
		return nil, model.Errorf(model.CodeInvalid, "%s owns asset %s and needs no grant for it", req.Requester, asset.ID)
	}
	if _, err := actor(ctx, caller, req.Requester, ActionRequestAccess, creation, signature, true); err != nil {
		return nil, err
	}
	due, err := future("dueAt", req.DueAt, now)
	if err != nil {
		return nil, err
	}

	r := &model.AccessRequest{
		ID:        id,
		Asset:     req.Asset,
		Owner:     asset.Owner,
		Requester: req.Requester,
		Kind:      req.Kind,
		Scope:     req.Scope,
		Purpose:   req.Purpose,
		DueAt:     model.FormatTime(due),
		Status:    model.RequestPending,
		CreatedAt: st.At,
		CreatedTx: st.Tx,
		UpdatedAt: st.At,
		UpdatedTx: st.Tx,
	}
	if err := put(stub, objRequest, id, r); err != nil {
		return nil, err
	}
	if err := ledger.PutIndex(stub, idxRequestDue, r.DueAt, id); err != nil {
		return nil, err
	}
	if err := ledger.PutIndex(stub, idxRequestOwnerDue, r.Owner, r.DueAt, id); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAccessRequested, r); err != nil {
		return nil, err
	}
	return r, nil
}

// sameRequest reports whether a stored request is the one creation makes;
// asset, requester and nonce are already equal through the ID.
func sameRequest(r *model.AccessRequest, c *model.AccessRequestCreation) bool {
	due, err := model.ParseTime(c.DueAt)
	return err == nil && r.Kind == c.Kind && r.Scope == c.Scope && r.Purpose == c.Purpose &&
		r.DueAt == model.FormatTime(due)
}

// actor authenticates the party a request speaks for: the caller's own
// member, which signs nothing because the transaction's creator is its
// identity, or a subject whose SM2 signature over the canonical request
// verifies (active as for signedBySubject). Another member's ID is DENIED:
// a member acts only as itself.
func actor(ctx contractapi.TransactionContextInterface, caller *access.Caller, party, action, canonical, signature string, active bool) (isSubject bool, err error) {
	if party == caller.MSPID {
		if signature != "" {
			return false, model.Errorf(model.CodeInvalid, "member %s acts as the transaction's creator and signs no request (signature must be empty)", party)
		}
		return false, nil
	}
	if _, err := signedBySubject(ctx, party, action, canonical, signature, active); err != nil {
		if model.IsCode(err, model.CodeNotFound) {
			return false, model.Errorf(model.CodeDenied, "%s is not a subject, and %s may act only as itself", party, caller.MSPID)
		}
		return false, err
	}
	return true, nil
}

// DenyRequest denies a pending access request: denial is a canonical
// model.AccessRequestDenial signed by the request's owner. Emits
// AccessRequestDenied. Denying a denied request again with the same note is a
// retry and writes nothing; any other non-pending request is a STATE error.
func (c *Contract) DenyRequest(ctx contractapi.TransactionContextInterface, denial, signature string) (*model.AccessRequest, error) {
	var req model.AccessRequestDenial
	if err := model.DecodeCanonical(denial, &req); err != nil {
		return nil, err
	}
	if _, err := gateway(ctx); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	st, _, err := begin(stub)
	if err != nil {
		return nil, err
	}
	var r model.AccessRequest
	if err := mustLoad(stub, objRequest, req.Request, &r, "access request"); err != nil {
		return nil, err
	}
	if _, err := signedBySubject(ctx, r.Owner, ActionDenyRequest, denial, signature, false); err != nil {
		return nil, err
	}
	if r.Status == model.RequestDenied && r.Note == req.Note {
		return &r, nil
	}
	if r.Status != model.RequestPending {
		return nil, model.Errorf(model.CodeState, "access request %s is %s, not %s", r.ID, r.Status, model.RequestPending)
	}
	if err := closeRequest(stub, &r, model.RequestDenied, "", req.Note, st); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAccessRequestDenied, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// pendingRequestFor loads the access request a grant answers and checks that
// it is pending and asks for this asset on behalf of this grantee.
func pendingRequestFor(stub ledger.Stub, id, asset, grantee string) (*model.AccessRequest, error) {
	var r model.AccessRequest
	if err := mustLoad(stub, objRequest, id, &r, "access request"); err != nil {
		return nil, err
	}
	if r.Asset != asset || r.Requester != grantee {
		return nil, model.Errorf(model.CodeInvalid, "access request %s is by %s for asset %s, not by the grantee for this asset", r.ID, r.Requester, r.Asset)
	}
	if r.Status != model.RequestPending {
		return nil, model.Errorf(model.CodeState, "access request %s is %s, not %s", r.ID, r.Status, model.RequestPending)
	}
	return &r, nil
}

// closeRequest records the answer to a pending request and takes it out of
// the pending indexes.
func closeRequest(stub ledger.Stub, r *model.AccessRequest, status, grant, note string, st ledger.Stamp) error {
	r.Status, r.Grant, r.Note = status, grant, note
	r.UpdatedAt, r.UpdatedTx = st.At, st.Tx
	if err := put(stub, objRequest, r.ID, r); err != nil {
		return err
	}
	if err := ledger.DelIndex(stub, idxRequestDue, r.DueAt, r.ID); err != nil {
		return err
	}
	return ledger.DelIndex(stub, idxRequestOwnerDue, r.Owner, r.DueAt, r.ID)
}

// GetRequest returns an access request.
func (c *Contract) GetRequest(ctx contractapi.TransactionContextInterface, id string) (*model.AccessRequest, error) {
	var r model.AccessRequest
	if err := mustLoad(ctx.GetStub(), objRequest, id, &r, "access request"); err != nil {
		return nil, err
	}
	return &r, nil
}

// ListPendingRequests returns one page of the pending access requests in due
// order, earliest first: an owner's (owner "" = everybody's), and only those
// due strictly before dueBefore (RFC 3339; "" = no bound). The reminder jobs
// of 7.6.2 f ask for the requests due before now.
func (c *Contract) ListPendingRequests(ctx contractapi.TransactionContextInterface, owner, dueBefore string, pageSize int32, bookmark string) (*model.AccessRequestPage, error) {
	index, attrs := idxRequestDue, []string(nil)
	if owner != "" {
		index, attrs = idxRequestOwnerDue, []string{owner}
	}
	var keep func([]string) bool
	if dueBefore != "" {
		t, err := model.ParseTime(dueBefore)
		if err != nil {
			return nil, err
		}
		bound := model.FormatTime(t)
		keep = func(keyAttrs []string) bool { return keyAttrs[len(keyAttrs)-2] < bound }
	}
	items, next, err := list[model.AccessRequest](ctx.GetStub(), objRequest, index, attrs, pageSize, bookmark, keep)
	if err != nil {
		return nil, err
	}
	return &model.AccessRequestPage{Items: items, Bookmark: next}, nil
}
