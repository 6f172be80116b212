package authorization

import (
	"encoding/hex"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// IssueAuthCode registers an authorization code (授权码, 7.4.4 d 3) for an
// available asset: issue is a canonical model.AuthCodeIssue signed by the
// asset's owner, an active subject holding the transact permission, carrying
// only a random salt and SM3(salt || code); the code itself never reaches the
// chain. The expiry must lie after the transaction's time. Emits
// AuthCodeIssued. The ID derives from asset and hash, so the same issue again
// returns the stored code and writes nothing.
func (c *Contract) IssueAuthCode(ctx contractapi.TransactionContextInterface, issue, signature string) (*model.AuthCode, error) {
	var req model.AuthCodeIssue
	if err := model.DecodeCanonical(issue, &req); err != nil {
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
	id := model.AuthCodeID(req.Asset, req.Hash)
	var existing model.AuthCode
	found, err := load(stub, objAuthCode, id, &existing)
	if err != nil {
		return nil, err
	}
	if found {
		return retriedAuthCode(ctx, &existing, issue, signature)
	}

	if err := ownerActs(ctx, req.Asset, req.Owner, ActionIssueAuthCode, issue, signature, "issue codes for it"); err != nil {
		return nil, err
	}
	if _, err := future("expiresAt", req.ExpiresAt, now); err != nil {
		return nil, err
	}

	code := &model.AuthCode{
		ID:             id,
		Asset:          req.Asset,
		Owner:          req.Owner,
		Scope:          req.Scope,
		Purpose:        req.Purpose,
		Salt:           req.Salt,
		Hash:           req.Hash,
		ExpiresAt:      req.ExpiresAt,
		OwnerSignature: signature,
		Status:         model.GrantActive,
		CreatedAt:      st.At,
		CreatedTx:      st.Tx,
		UpdatedAt:      st.At,
		UpdatedTx:      st.Tx,
	}
	if err := put(stub, objAuthCode, id, code); err != nil {
		return nil, err
	}
	if err := ledger.PutIndex(stub, idxAuthCodeAsset, code.Asset, id); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAuthCodeIssued, code); err != nil {
		return nil, err
	}
	return code, nil
}

// authCodeIssueOf rebuilds the issue a code was registered from; its
// canonical bytes are what the owner signed.
func authCodeIssueOf(a *model.AuthCode) *model.AuthCodeIssue {
	return &model.AuthCodeIssue{
		Asset:     a.Asset,
		Owner:     a.Owner,
		Scope:     a.Scope,
		Purpose:   a.Purpose,
		Salt:      a.Salt,
		Hash:      a.Hash,
		ExpiresAt: a.ExpiresAt,
	}
}

// retriedAuthCode answers an IssueAuthCode whose ID exists, as retriedGrant
// does for grants.
func retriedAuthCode(ctx contractapi.TransactionContextInterface, a *model.AuthCode, issue, signature string) (*model.AuthCode, error) {
	canon, err := model.Canonical(authCodeIssueOf(a))
	if err != nil {
		return nil, err
	}
	if string(canon) != issue {
		return nil, model.Errorf(model.CodeConflict, "authorization code %s exists with other content", a.ID)
	}
	if signature != a.OwnerSignature {
		if _, err := signedBySubject(ctx, a.Owner, ActionIssueAuthCode, issue, signature, false); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// RevokeAuthCode revokes an active authorization code. The owner who issued
// it signs the canonical model.AuthCodeRevocation{AuthCode: id, Note: note}.
// Emits AuthCodeRevoked. Revoking a revoked code again with the same note is
// a retry and writes nothing; with another note it is a STATE error.
func (c *Contract) RevokeAuthCode(ctx contractapi.TransactionContextInterface, id, note, signature string) (*model.AuthCode, error) {
	rev := model.AuthCodeRevocation{AuthCode: id, Note: note}
	if err := rev.Validate(); err != nil {
		return nil, err
	}
	canon, err := model.Canonical(&rev)
	if err != nil {
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
	var a model.AuthCode
	if err := mustLoad(stub, objAuthCode, id, &a, "authorization code"); err != nil {
		return nil, err
	}
	if _, err := signedBySubject(ctx, a.Owner, ActionRevokeAuthCode, string(canon), signature, false); err != nil {
		return nil, err
	}
	if a.Status == model.GrantRevoked {
		if a.Note == note {
			return &a, nil
		}
		return nil, model.Errorf(model.CodeState, "authorization code %s is already revoked", a.ID)
	}
	a.Status = model.GrantRevoked
	a.Note = note
	a.UpdatedAt, a.UpdatedTx = st.At, st.Tx
	if err := put(stub, objAuthCode, a.ID, &a); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAuthCodeRevoked, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// GetAuthCode returns an authorization code's record: its salt and salted
// hash, never the code.
func (c *Contract) GetAuthCode(ctx contractapi.TransactionContextInterface, id string) (*model.AuthCode, error) {
	var a model.AuthCode
	if err := mustLoad(ctx.GetStub(), objAuthCode, id, &a, "authorization code"); err != nil {
		return nil, err
	}
	return &a, nil
}

// VerifyAuthCode checks the authorization code presented in transient data
// under model.TransientAuthCode against the asset's codes (7.4.4 d 4) and
// returns the one it matches: active, unexpired, issued by the asset's
// current owner, the asset available. Hashes are compared in constant time.
// A code that matches none is DENIED.
func (c *Contract) VerifyAuthCode(ctx contractapi.TransactionContextInterface, asset string) (*model.AuthCode, error) {
	if err := required("asset", asset); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	code, err := presentedCode(stub)
	if err != nil {
		return nil, err
	}
	_, now, err := begin(stub)
	if err != nil {
		return nil, err
	}
	a, err := availableAsset(ctx, asset)
	if err != nil {
		return nil, err
	}
	var match *model.AuthCode
	err = ledger.All(stub, idxAuthCodeAsset, []string{a.ID}, func(attrs []string, _ []byte) error {
		if match != nil {
			return nil
		}
		var ac model.AuthCode
		if err := mustLoad(stub, objAuthCode, attrs[len(attrs)-1], &ac, "authorization code"); err != nil {
			return err
		}
		if usableCode(&ac, a, now) == nil && codeMatches(&ac, code) {
			match = &ac
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if match == nil {
		return nil, model.Errorf(model.CodeDenied, "the code presented is not a valid authorization code for asset %s", a.ID)
	}
	return match, nil
}

// presentedCode reads the authorization code a caller presents in transient
// data.
func presentedCode(stub ledger.Stub) ([]byte, error) {
	t, err := stub.GetTransient()
	if err != nil {
		return nil, model.Errorf(model.CodeInvalid, "transient data unreadable: %v", err)
	}
	code := t[model.TransientAuthCode]
	switch {
	case len(code) == 0:
		return nil, model.Errorf(model.CodeInvalid, "present the authorization code in transient data under %q", model.TransientAuthCode)
	case len(code) > maxAuthCodeLen:
		return nil, model.Errorf(model.CodeInvalid, "authorization code is %d bytes, more than the %d allowed", len(code), maxAuthCodeLen)
	}
	return code, nil
}

// usableCode says why an authorization code gives no access to the asset
// now, or nil when it does. A code dies with its owner's ownership: after a
// transfer only the new owner's codes count.
func usableCode(ac *model.AuthCode, asset *model.Asset, now time.Time) error {
	switch {
	case ac.Asset != asset.ID:
		return model.Errorf(model.CodeDenied, "authorization code %s is for asset %s, not %s", ac.ID, ac.Asset, asset.ID)
	case ac.Status != model.GrantActive:
		return model.Errorf(model.CodeDenied, "authorization code %s is %s", ac.ID, ac.Status)
	case expired(ac.ExpiresAt, now):
		return model.Errorf(model.CodeDenied, "authorization code %s expired at %s", ac.ID, ac.ExpiresAt)
	case ac.Owner != asset.Owner:
		return model.Errorf(model.CodeDenied, "authorization code %s was issued by %s, who no longer owns asset %s", ac.ID, ac.Owner, asset.ID)
	}
	return nil
}

// codeMatches reports in constant time whether code hashes, with the
// stored salt, to the stored hash.
func codeMatches(ac *model.AuthCode, code []byte) bool {
	salt, err := hex.DecodeString(ac.Salt)
	if err != nil {
		return false
	}
	return gm.VerifyCommitment(salt, code, ac.Hash)
}
