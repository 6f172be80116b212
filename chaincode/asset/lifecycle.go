package asset

import (
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// TransferAsset moves an available asset to a new owner (转移, 7.4.2 e).
// transfer is the canonical JSON of a model.AssetTransfer and signature the
// current owner's base64 SM2 signature over
// model.SigningMessage("asset.TransferAsset", transfer). The caller is an
// identity of an active member; the current owner is active and holds
// PermTransact; the new owner is an active subject; LatestTx is the asset's
// current UpdatedTx, so a signed transfer applies to one version of the asset
// only. The owner's wrapped data key is replaced by the new owner's, whose
// mode becomes the asset's encryption mode, and the asset moves between the
// two lockers. Repeating the transfer writes nothing.
//
// The issuer's signature covers the issue as first written; GetAssetHistory
// keeps that version, so it stays verifiable after transfers.
func (c *Contract) TransferAsset(ctx contractapi.TransactionContextInterface, transfer, signature string) (*model.Asset, error) {
	var req model.AssetTransfer
	if err := model.DecodeCanonical(transfer, &req); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := access.ActiveMember(ctx, c.dir, caller); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	a, k, err := loadAsset(stub, req.Asset)
	if err != nil {
		return nil, err
	}
	if a.Owner == req.NewOwner {
		// The new owner's wrapped key is freshly randomised for each transfer,
		// so finding it together with the note identifies this very transfer.
		if a.Note == req.Note && slices.Contains(a.Keys, req.Key) {
			return a, nil
		}
		return nil, model.Errorf(model.CodeInvalid, "asset %s is owned by %s already", a.ID, a.Owner)
	}
	if a.Status != model.AssetAvailable {
		return nil, model.Errorf(model.CodeState, "asset %s is %s, not %s", a.ID, a.Status, model.AssetAvailable)
	}
	if req.LatestTx != a.UpdatedTx {
		return nil, model.Errorf(model.CodeState, "asset %s has changed since the transfer was signed: latest transaction is %s, not %s", a.ID, a.UpdatedTx, req.LatestTx)
	}
	owner, err := activeSubjectAs(ctx, c.dir, a.Owner, "owner", model.PermTransact)
	if err != nil {
		return nil, err
	}
	if err := verify(owner.PublicKey, ActionTransferAsset, []byte(transfer), signature, owner.ID); err != nil {
		return nil, err
	}
	if _, err := access.ActiveSubject(ctx, c.dir, req.NewOwner); err != nil {
		return nil, err
	}
	stamp, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	if err := ledger.DelIndex(stub, ownerIndex, a.Owner, a.Type, a.ID); err != nil {
		return nil, err
	}
	if err := ledger.PutIndex(stub, ownerIndex, req.NewOwner, a.Type, a.ID); err != nil {
		return nil, err
	}
	keys := make([]model.WrappedKey, 0, len(a.Keys))
	for _, w := range a.Keys {
		if w.Recipient != a.Owner && w.Recipient != req.NewOwner {
			keys = append(keys, w)
		}
	}
	a.Keys = append(keys, req.Key)
	a.Owner, a.Encryption, a.Note = req.NewOwner, req.Key.Mode, req.Note
	a.UpdatedAt, a.UpdatedTx = stamp.At, stamp.Tx
	if err := saveAsset(stub, k, a, model.EventAssetTransferred); err != nil {
		return nil, err
	}
	return a, nil
}

// RevokeAsset revokes an available asset (撤销, 7.4.4 d 1). change is the JSON
// of a model.AssetStatusChange whose note says why. The caller is an identity
// of the active member that answers for the asset: its issuing member, the
// member that reviewed a self-upload, or the member that submitted a
// subject's issue. Repeating the revocation writes nothing.
func (c *Contract) RevokeAsset(ctx contractapi.TransactionContextInterface, change string) (*model.Asset, error) {
	return c.changeStatus(ctx, change, model.AssetRevoked, model.EventAssetRevoked, model.AssetAvailable)
}

// AbolishAsset abolishes an available or revoked asset for good (废除,
// 7.4.4 d 1); who may call it is as for RevokeAsset. Repeating the abolition
// writes nothing.
func (c *Contract) AbolishAsset(ctx contractapi.TransactionContextInterface, change string) (*model.Asset, error) {
	return c.changeStatus(ctx, change, model.AssetAbolished, model.EventAssetAbolished, model.AssetAvailable, model.AssetRevoked)
}

// changeStatus moves an asset from one of the statuses from to status to.
func (c *Contract) changeStatus(ctx contractapi.TransactionContextInterface, change, to, event string, from ...string) (*model.Asset, error) {
	var req model.AssetStatusChange
	if err := model.Decode(change, &req); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	member, err := access.ActiveMember(ctx, c.dir, caller)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	a, k, err := loadAsset(stub, req.Asset)
	if err != nil {
		return nil, err
	}
	if answerable(a) != member.ID {
		return nil, model.Errorf(model.CodeDenied, "member %s does not answer for asset %s", member.ID, a.ID)
	}
	if a.Status == to {
		if a.Note == req.Note {
			return a, nil
		}
		return nil, model.Errorf(model.CodeState, "asset %s is %s already", a.ID, to)
	}
	if !slices.Contains(from, a.Status) {
		return nil, model.Errorf(model.CodeState, "asset %s is %s; only %v can become %s", a.ID, a.Status, from, to)
	}
	stamp, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	a.Status, a.Note = to, req.Note
	a.UpdatedAt, a.UpdatedTx = stamp.At, stamp.Tx
	if err := saveAsset(stub, k, a, event); err != nil {
		return nil, err
	}
	return a, nil
}

// answerable returns the member that answers for an asset (7.1 d): the issuing
// member, the reviewer of a self-upload (none before review), or the member
// that submitted another subject-issued asset.
func answerable(a *model.Asset) string {
	switch {
	case a.IssuerKind == model.IssuerMember:
		return a.Issuer
	case a.Channel == model.ChannelSelf:
		return a.ReviewedBy
	default:
		return a.SubmittedBy
	}
}
