package asset

import (
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// IssueAsset puts an asset on chain (数字资产发行, 7.4.4 a; 上链, 7.6.2 c)
// into the owner's locker. issue is the canonical JSON of a model.AssetIssue
// and signature the issuer's base64 SM2 signature over
// model.SigningMessage("asset.IssueAsset", issue). The caller is an identity
// of an active member, and who the issuer may be depends on the channel:
//
//   - authority, window, department: the issuer is the caller's own member,
//     listed in the type's Issuers, signing with its member key; or a subject
//     holding PermIssueAsset, listed in the type's Issuers, issuing to another
//     subject. The asset is available at once.
//   - self (7.6.2 c 4): the issuer is the owner itself, holding PermTransact,
//     the type accepts self-upload, and the owner signs. The asset waits in
//     pending-review until a reviewing member decides it (ReviewAsset); a
//     rejected upload may be uploaded again with new content.
//
// The owner must be an active subject, the type active, and the owner's
// wrapped data key in the mode the issue names. The ID is model.AssetID of
// type, owner, issuer and business key, so a retried issue with the same
// content returns the record already written and writes nothing; other
// content under the same ID is a CONFLICT.
func (c *Contract) IssueAsset(ctx contractapi.TransactionContextInterface, issue, signature string) (*model.Asset, error) {
	var req model.AssetIssue
	if err := model.DecodeCanonical(issue, &req); err != nil {
		return nil, err
	}
	if err := checkKeys(&req); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	submitter, err := access.ActiveMember(ctx, c.dir, caller)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	t, _, err := loadType(stub, req.Type)
	if err != nil {
		return nil, err
	}
	if t.Status != model.StatusActive {
		return nil, model.Errorf(model.CodeState, "asset type %s is %s", t.Code, t.Status)
	}
	issuerKind, issuerKey, err := c.issuer(ctx, submitter, t, &req)
	if err != nil {
		return nil, err
	}
	if req.Channel != model.ChannelSelf {
		// For self-upload the issuer is the owner, checked already.
		if _, err := access.ActiveSubject(ctx, c.dir, req.Owner); err != nil {
			return nil, err
		}
	}
	if err := verify(issuerKey, ActionIssueAsset, []byte(issue), signature, req.Issuer); err != nil {
		return nil, err
	}

	id := model.AssetID(req.Type, req.Owner, req.Issuer, req.BusinessKey)
	k, err := key(stub, assetObject, id)
	if err != nil {
		return nil, err
	}
	var a model.Asset
	exists, err := ledger.Get(stub, k, &a)
	if err != nil {
		return nil, err
	}
	if exists {
		if sameIssue(&a, &req) {
			return &a, nil
		}
		if a.Status != model.AssetRejected {
			return nil, model.Errorf(model.CodeConflict, "asset %s exists with other content", id)
		}
	}
	stamp, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	created := stamp
	if exists {
		created = ledger.Stamp{At: a.CreatedAt, Tx: a.CreatedTx}
	}
	status := model.AssetAvailable
	if req.Channel == model.ChannelSelf {
		status = model.AssetPendingReview
	}
	a = model.Asset{
		ID:              id,
		Type:            req.Type,
		Owner:           req.Owner,
		Issuer:          req.Issuer,
		IssuerKind:      issuerKind,
		Channel:         req.Channel,
		BusinessKey:     req.BusinessKey,
		ContentDigest:   req.ContentDigest,
		CipherDigest:    req.CipherDigest,
		StorageRef:      req.StorageRef,
		Size:            req.Size,
		Encryption:      req.Encryption,
		Keys:            req.Keys,
		IssuerSignature: signature,
		Status:          status,
		SubmittedBy:     submitter.ID,
		CreatedAt:       created.At,
		CreatedTx:       created.Tx,
		UpdatedAt:       stamp.At,
		UpdatedTx:       stamp.Tx,
	}
	if !exists {
		if err := ledger.PutIndex(stub, ownerIndex, a.Owner, a.Type, a.ID); err != nil {
			return nil, err
		}
	}
	if err := saveAsset(stub, k, &a, model.EventAssetIssued); err != nil {
		return nil, err
	}
	return &a, nil
}

// issuer checks that req's issuer may issue an asset of type t through
// req's channel and returns its kind and SM2 public key.
func (c *Contract) issuer(ctx contractapi.TransactionContextInterface, submitter *model.Member, t *model.AssetType, req *model.AssetIssue) (kind, publicKey string, err error) {
	switch {
	case req.Channel == model.ChannelSelf:
		if req.Issuer != req.Owner {
			return "", "", model.Errorf(model.CodeInvalid, "a self-upload is issued by its owner")
		}
		if !t.SelfUpload {
			return "", "", model.Errorf(model.CodeDenied, "asset type %s does not accept self-upload", t.Code)
		}
		owner, err := activeSubjectAs(ctx, c.dir, req.Owner, "owner", model.PermTransact)
		if err != nil {
			return "", "", err
		}
		return model.IssuerSubject, owner.PublicKey, nil
	case req.Issuer == submitter.ID:
		if !slices.Contains(t.Issuers, submitter.ID) {
			return "", "", model.Errorf(model.CodeDenied, "member %s may not issue asset type %s", submitter.ID, t.Code)
		}
		return model.IssuerMember, submitter.PublicKey, nil
	case req.Issuer == req.Owner:
		return "", "", model.Errorf(model.CodeInvalid, "a subject puts its own material on chain through the self channel")
	case req.Channel != model.ChannelAuthority:
		// The window and department channels are by definition a member's
		// own window or department issuing (7.6.2 c 2, 3).
		return "", "", model.Errorf(model.CodeDenied, "%s: a %s issue is made by the caller's member %s itself", req.Issuer, req.Channel, submitter.ID)
	}
	issuer, err := activeSubjectAs(ctx, c.dir, req.Issuer, "issuer", model.PermIssueAsset)
	if err != nil {
		return "", "", err
	}
	if !slices.Contains(t.Issuers, issuer.ID) {
		return "", "", model.Errorf(model.CodeDenied, "subject %s may not issue asset type %s", issuer.ID, t.Code)
	}
	return model.IssuerSubject, issuer.PublicKey, nil
}

// checkKeys adds to the model's validation: each recipient gets one wrapped
// key, and the owner's is wrapped in the mode the asset declares (7.4.4 d 5).
func checkKeys(req *model.AssetIssue) error {
	recipients := make([]string, len(req.Keys))
	for i, k := range req.Keys {
		if k.Recipient == req.Owner && k.Mode != req.Encryption {
			return model.Errorf(model.CodeInvalid, "the owner's key is wrapped in mode %s, the asset declares %s", k.Mode, req.Encryption)
		}
		recipients[i] = k.Recipient
	}
	return noDuplicates("keys", recipients)
}

// sameIssue reports whether req issues what a already records. Type, owner,
// issuer and business key are equal since they make the ID. The wrapped keys
// are not compared: SM2 and SM4-GCM wrapping is randomised, so a client that
// rebuilds the request wraps the same data key differently, and a transfer
// re-wraps them anyway.
func sameIssue(a *model.Asset, req *model.AssetIssue) bool {
	return a.Channel == req.Channel && a.ContentDigest == req.ContentDigest &&
		a.CipherDigest == req.CipherDigest && a.StorageRef == req.StorageRef && a.Size == req.Size
}

// ReviewAsset decides a self-uploaded asset (7.6.2 c 4): approved it becomes
// a trusted, available asset; rejected it stays out of use with the reason in
// Note. review is the canonical JSON of a model.AssetReview and signature the
// reviewing member's base64 SM2 signature over
// model.SigningMessage("asset.ReviewAsset", review), kept as ReviewSignature.
// The caller is an identity of an active member listed in the type's
// Reviewers; the asset is pending-review; approval needs the type still
// active and the owner still active. Repeating the same decision writes
// nothing.
func (c *Contract) ReviewAsset(ctx contractapi.TransactionContextInterface, review, signature string) (*model.Asset, error) {
	var req model.AssetReview
	if err := model.DecodeCanonical(review, &req); err != nil {
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
	t, _, err := loadType(stub, a.Type)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(t.Reviewers, member.ID) {
		return nil, model.Errorf(model.CodeDenied, "member %s does not review asset type %s", member.ID, t.Code)
	}
	if err := verify(member.PublicKey, ActionReviewAsset, []byte(review), signature, member.ID); err != nil {
		return nil, err
	}
	decided := model.AssetRejected
	if req.Approve {
		decided = model.AssetAvailable
	}
	if a.Status != model.AssetPendingReview {
		if a.ReviewedBy == member.ID && a.Status == decided && a.Note == req.Note {
			return a, nil
		}
		return nil, model.Errorf(model.CodeState, "asset %s is %s, not %s", a.ID, a.Status, model.AssetPendingReview)
	}
	if req.Approve {
		if t.Status != model.StatusActive {
			return nil, model.Errorf(model.CodeState, "asset type %s is %s", t.Code, t.Status)
		}
		if _, err := access.ActiveSubject(ctx, c.dir, a.Owner); err != nil {
			return nil, err
		}
	}
	stamp, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	a.Status, a.Note = decided, req.Note
	a.ReviewedBy, a.ReviewSignature = member.ID, signature
	a.UpdatedAt, a.UpdatedTx = stamp.At, stamp.Tx
	if err := saveAsset(stub, k, a, model.EventAssetReviewed); err != nil {
		return nil, err
	}
	return a, nil
}
