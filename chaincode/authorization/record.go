package authorization

import (
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// RecordAccess records one access to an asset's content (使用记录, 7.6.2 b)
// before the content is released: recording is a canonical
// model.AccessRecording, signed by the accessor when it is a subject; a
// member accessor is the caller's own member and signs nothing. The access
// is allowed, in this order of precedence, to
//
//   - the grantee of the active, unexpired grant named in Grant, made by the
//     asset's current owner, whose scope covers the action (view covers
//     view; use covers view and use), the asset available;
//   - the holder of the authorization code named in AuthCode, presented in
//     transient data under model.TransientAuthCode, on the same terms
//     (7.4.4 d 4);
//   - the asset's owner, for view, use and key (the release of the
//     symmetric data key, 7.4.4 d 6), whatever the asset's status;
//   - a member whose caller holds the regulator role, for regulate (7.4.3 g).
//
// Anything else is DENIED. The record's ID derives from the transaction ID
// and its time is the transaction's timestamp, so the record can be checked
// against the block that holds it. Emits AccessRecorded.
func (c *Contract) RecordAccess(ctx contractapi.TransactionContextInterface, recording, signature string) (*model.AccessRecord, error) {
	var req model.AccessRecording
	if err := model.DecodeCanonical(recording, &req); err != nil {
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
	asset, err := getAsset(ctx, req.Asset)
	if err != nil {
		return nil, err
	}
	isSubject, err := actor(ctx, caller, req.Accessor, ActionRecordAccess, recording, signature, true)
	if err != nil {
		return nil, err
	}

	switch {
	case req.Grant != "":
		var g model.Grant
		if err := mustLoad(stub, objGrant, req.Grant, &g, "grant"); err != nil {
			return nil, err
		}
		if err := usableGrant(&g, asset, req.Accessor, req.Action, now); err != nil {
			return nil, err
		}
	case req.AuthCode != "":
		code, err := presentedCode(stub)
		if err != nil {
			return nil, err
		}
		var ac model.AuthCode
		if err := mustLoad(stub, objAuthCode, req.AuthCode, &ac, "authorization code"); err != nil {
			return nil, err
		}
		if err := usableCode(&ac, asset, now); err != nil {
			return nil, err
		}
		if err := usable(asset, ac.Scope, req.Action); err != nil {
			return nil, err
		}
		if !codeMatches(&ac, code) {
			return nil, model.Errorf(model.CodeDenied, "the code presented does not match authorization code %s", ac.ID)
		}
	case req.Accessor == asset.Owner:
		if req.Action == model.AccessRegulate {
			return nil, model.Errorf(model.CodeDenied, "%s is recorded only for regulators", model.AccessRegulate)
		}
	case !isSubject && caller.Role == model.RoleRegulator:
		if req.Action != model.AccessRegulate {
			return nil, model.Errorf(model.CodeDenied, "a regulator's access is recorded as %s, not %s", model.AccessRegulate, req.Action)
		}
	default:
		return nil, model.Errorf(model.CodeDenied, "%s is neither the owner of asset %s nor a regulator and names no grant or authorization code", req.Accessor, asset.ID)
	}

	rec := &model.AccessRecord{
		ID:        model.DeriveID(objAccess, st.Tx),
		Asset:     asset.ID,
		Accessor:  req.Accessor,
		Action:    req.Action,
		Reason:    req.Reason,
		Grant:     req.Grant,
		AuthCode:  req.AuthCode,
		Signature: signature,
		Time:      st.At,
		TxID:      st.Tx,
	}
	if err := put(stub, objAccess, rec.ID, rec); err != nil {
		return nil, err
	}
	if err := ledger.PutIndex(stub, idxAccessAsset, rec.Asset, rec.Time, rec.ID); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAccessRecorded, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// usableGrant says why a grant does not let accessor perform action on the
// asset now, or nil when it does. A grant dies with its grantor's
// ownership: after a transfer only the new owner's grants count.
func usableGrant(g *model.Grant, asset *model.Asset, accessor, action string, now time.Time) error {
	switch {
	case g.Asset != asset.ID:
		return model.Errorf(model.CodeDenied, "grant %s is for asset %s, not %s", g.ID, g.Asset, asset.ID)
	case g.Grantee != accessor:
		return model.Errorf(model.CodeDenied, "grant %s is to %s, not %s", g.ID, g.Grantee, accessor)
	case g.Status != model.GrantActive:
		return model.Errorf(model.CodeDenied, "grant %s is %s", g.ID, g.Status)
	case expired(g.ExpiresAt, now):
		return model.Errorf(model.CodeDenied, "grant %s expired at %s", g.ID, g.ExpiresAt)
	case g.Grantor != asset.Owner:
		return model.Errorf(model.CodeDenied, "grant %s was made by %s, who no longer owns asset %s", g.ID, g.Grantor, asset.ID)
	}
	return usable(asset, g.Scope, action)
}

// usable checks what a grant or code allows: an available asset, and an
// action its scope covers. Use includes viewing; neither releases the
// owner's symmetric key nor counts as regulation.
func usable(asset *model.Asset, scope model.Scope, action string) error {
	if asset.Status != model.AssetAvailable {
		return model.Errorf(model.CodeDenied, "asset %s is %s; only its owner and regulators may access it", asset.ID, asset.Status)
	}
	switch {
	case action == model.AccessView && (scope == model.ScopeView || scope == model.ScopeUse),
		action == model.AccessUse && scope == model.ScopeUse:
		return nil
	}
	return model.Errorf(model.CodeDenied, "scope %s does not cover %s", scope, action)
}

// ListAccessRecords returns one page of an asset's access records, oldest
// first (7.6.2 b: the asset's usage records).
func (c *Contract) ListAccessRecords(ctx contractapi.TransactionContextInterface, asset string, pageSize int32, bookmark string) (*model.AccessRecordPage, error) {
	if err := required("asset", asset); err != nil {
		return nil, err
	}
	items, next, err := list[model.AccessRecord](ctx.GetStub(), objAccess, idxAccessAsset, []string{asset}, pageSize, bookmark, nil)
	if err != nil {
		return nil, err
	}
	return &model.AccessRecordPage{Items: items, Bookmark: next}, nil
}
