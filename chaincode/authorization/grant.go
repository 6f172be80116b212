package authorization

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Grant authorizes (授权, 7.4.4 b) or delegates (委托, 7.4.4 c) the use of an
// asset: request is a canonical model.GrantRequest signed by the grantor, who
// must be the asset's owner, an active subject holding the transact
// permission. The asset must be available, the grantee an active subject or
// active alliance member, the expiry after the transaction's time. With Push
// the grant, carrying the data key re-wrapped for the grantee, lands in the
// grantee's locker (ListGrantsByGrantee). Request, when set, must be a
// pending access request by the grantee for the same asset; it becomes
// approved. Emits GrantCreated.
//
// The grant's ID derives from kind, asset, grantee and nonce: submitting the
// same request again returns the grant and writes nothing; another request
// with the same ID is a CONFLICT.
func (c *Contract) Grant(ctx contractapi.TransactionContextInterface, request, signature string) (*model.Grant, error) {
	var req model.GrantRequest
	if err := model.DecodeCanonical(request, &req); err != nil {
		return nil, err
	}
	if _, err := gateway(ctx); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	st, now, err := begin(stub)
	if err != nil {
		return nil, err
	}
	id := model.GrantID(req.Kind, req.Asset, req.Grantee, req.Nonce)
	var existing model.Grant
	found, err := load(stub, objGrant, id, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return retriedGrant(ctx, &existing, request, signature)
	}

	if err := ownerActs(ctx, req.Asset, req.Grantor, ActionGrant, request, signature, "grant it"); err != nil {
		return nil, err
	}
	if _, err := future("expiresAt", req.ExpiresAt, now); err != nil {
		return nil, err
	}
	if _, err := activeParty(ctx, req.Grantee, "grantee"); err != nil {
		return nil, err
	}
	var answered *model.AccessRequest
	if req.Request != "" {
		if answered, err = pendingRequestFor(stub, req.Request, req.Asset, req.Grantee); err != nil {
			return nil, err
		}
	}

	g := &model.Grant{
		ID:               id,
		Kind:             req.Kind,
		Asset:            req.Asset,
		Grantor:          req.Grantor,
		Grantee:          req.Grantee,
		Scope:            req.Scope,
		Purpose:          req.Purpose,
		ExpiresAt:        req.ExpiresAt,
		Push:             req.Push,
		GranteeKey:       req.GranteeKey,
		Request:          req.Request,
		Nonce:            req.Nonce,
		GrantorSignature: signature,
		Status:           model.GrantActive,
		CreatedAt:        st.At,
		CreatedTx:        st.Tx,
		UpdatedAt:        st.At,
		UpdatedTx:        st.Tx,
	}
	if err := put(stub, objGrant, id, g); err != nil {
		return nil, err
	}
	if err := ledger.PutIndex(stub, idxGrantAsset, g.Asset, id); err != nil {
		return nil, err
	}
	if g.Push {
		if err := ledger.PutIndex(stub, idxGrantGrantee, g.Grantee, id); err != nil {
			return nil, err
		}
	}
	if answered != nil {
		if err := closeRequest(stub, answered, model.RequestApproved, id, "", st); err != nil {
			return nil, err
		}
	}
	if err := ledger.Emit(stub, model.EventGrantCreated, g); err != nil {
		return nil, err
	}
	return g, nil
}

// grantRequestOf rebuilds the request a grant was made from; its canonical
// bytes are what the grantor signed.
func grantRequestOf(g *model.Grant) *model.GrantRequest {
	return &model.GrantRequest{
		Kind:       g.Kind,
		Asset:      g.Asset,
		Grantor:    g.Grantor,
		Grantee:    g.Grantee,
		Scope:      g.Scope,
		Purpose:    g.Purpose,
		ExpiresAt:  g.ExpiresAt,
		Push:       g.Push,
		GranteeKey: g.GranteeKey,
		Request:    g.Request,
		Nonce:      g.Nonce,
	}
}

// retriedGrant answers a Grant whose ID exists: the same request is a retry
// and gets the stored grant back, whatever happened to it since; anything
// else is a CONFLICT. A retry with a fresh signature must still verify under
// the grantor's key.
func retriedGrant(ctx contractapi.TransactionContextInterface, g *model.Grant, request, signature string) (*model.Grant, error) {
	canon, err := model.Canonical(grantRequestOf(g))
	if err != nil {
		return nil, err
	}
	if string(canon) != request {
		return nil, model.Errorf(model.CodeConflict, "grant %s exists with other content (choose another nonce)", g.ID)
	}
	if signature != g.GrantorSignature {
		if _, err := signedBySubject(ctx, g.Grantor, ActionGrant, request, signature, false); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// RevokeGrant revokes an active grant: revocation is a canonical
// model.GrantRevocation signed by the grantor. Emits GrantRevoked. Revoking
// a revoked grant again with the same note is a retry and writes nothing;
// with another note it is a STATE error.
func (c *Contract) RevokeGrant(ctx contractapi.TransactionContextInterface, revocation, signature string) (*model.Grant, error) {
	var rev model.GrantRevocation
	if err := model.DecodeCanonical(revocation, &rev); err != nil {
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
	var g model.Grant
	if err := mustLoad(stub, objGrant, rev.Grant, &g, "grant"); err != nil {
		return nil, err
	}
	if _, err := signedBySubject(ctx, g.Grantor, ActionRevokeGrant, revocation, signature, false); err != nil {
		return nil, err
	}
	if g.Status == model.GrantRevoked {
		if g.Note == rev.Note {
			return &g, nil
		}
		return nil, model.Errorf(model.CodeState, "grant %s is already revoked", g.ID)
	}
	g.Status = model.GrantRevoked
	g.Note = rev.Note
	g.UpdatedAt, g.UpdatedTx = st.At, st.Tx
	if err := put(stub, objGrant, g.ID, &g); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventGrantRevoked, &g); err != nil {
		return nil, err
	}
	return &g, nil
}

// GetGrant returns a grant.
func (c *Contract) GetGrant(ctx contractapi.TransactionContextInterface, id string) (*model.Grant, error) {
	var g model.Grant
	if err := mustLoad(ctx.GetStub(), objGrant, id, &g, "grant"); err != nil {
		return nil, err
	}
	return &g, nil
}

// ListGrantsByAsset returns one page of the grants of an asset, active and
// revoked, in ID order.
func (c *Contract) ListGrantsByAsset(ctx contractapi.TransactionContextInterface, asset string, pageSize int32, bookmark string) (*model.GrantPage, error) {
	if err := required("asset", asset); err != nil {
		return nil, err
	}
	items, next, err := list[model.Grant](ctx.GetStub(), objGrant, idxGrantAsset, []string{asset}, pageSize, bookmark, nil)
	if err != nil {
		return nil, err
	}
	return &model.GrantPage{Items: items, Bookmark: next}, nil
}

// ListGrantsByGrantee returns one page of the grantee's locker: the grants
// pushed to it (7.4.4 b 2, c 2), active and revoked, in ID order.
func (c *Contract) ListGrantsByGrantee(ctx contractapi.TransactionContextInterface, grantee string, pageSize int32, bookmark string) (*model.GrantPage, error) {
	if err := required("grantee", grantee); err != nil {
		return nil, err
	}
	items, next, err := list[model.Grant](ctx.GetStub(), objGrant, idxGrantGrantee, []string{grantee}, pageSize, bookmark, nil)
	if err != nil {
		return nil, err
	}
	return &model.GrantPage{Items: items, Bookmark: next}, nil
}
