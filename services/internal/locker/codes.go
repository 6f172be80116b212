package locker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
)

// Actions for authorization codes.
const (
	ActionIssueAuthCode  = model.ChaincodeAuthorization + ".IssueAuthCode"
	ActionRevokeAuthCode = model.ChaincodeAuthorization + ".RevokeAuthCode"
)

// CodeBytes is the entropy of an authorization code: 128 bits.
const CodeBytes = 16

// AuthCodeInput issues an authorization code for one asset (7.4.4 d 3).
type AuthCodeInput struct {
	Asset     string
	Owner     string
	Password  string
	Scope     model.Scope
	Purpose   string
	ExpiresAt time.Time
}

// IssuedCode is a new authorization code: Code is shown to the owner once and
// kept nowhere; the chain holds only its salt and salted SM3 hash.
type IssuedCode struct {
	Code     string         `json:"code"`
	AuthCode model.AuthCode `json:"authCode"`
}

// IssueAuthCode generates a 128-bit random code, registers its salt and
// SM3(salt ‖ code) on chain signed by the owner, and keeps the asset's data
// key sealed under a key derived from the code, so that the code's holder
// (and only it) can open the content later.
func (s *Service) IssueAuthCode(ctx context.Context, in AuthCodeInput) (*IssuedCode, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if in.Scope == "" {
		in.Scope = model.ScopeView
	}
	exp, err := expiry(in.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("issue code: %w", err)
	}
	raw := make([]byte, CodeBytes)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	code := hex.EncodeToString(raw)
	salt, err := gm.NewSalt()
	if err != nil {
		return nil, err
	}
	issue := model.AuthCodeIssue{Asset: in.Asset, Owner: in.Owner, Scope: in.Scope, Purpose: in.Purpose,
		Salt: hex.EncodeToString(salt), Hash: gm.Commitment(salt, []byte(code)), ExpiresAt: exp}
	if err := issue.Validate(); err != nil {
		return nil, fmt.Errorf("issue code: %w: %v", ErrInvalid, err)
	}
	asset, err := s.chainAsset(ctx, in.Asset)
	if err != nil {
		return nil, err
	}
	w := ownerKey(asset)
	if asset.Owner != in.Owner || w == nil {
		return nil, fmt.Errorf("issue code: %s does not own asset %s: %w", in.Owner, in.Asset, ErrDenied)
	}
	owner := keys.Owner{Kind: keys.KindSubject, ID: in.Owner}
	dk, err := s.keys.Unwrap(ctx, owner, in.Password, asset.ID, *w)
	if err != nil {
		return nil, fmt.Errorf("issue code: %w", keyErr(err))
	}
	defer clear(dk)
	id := model.AuthCodeID(in.Asset, issue.Hash)
	sealed, err := gm.SealGCM(codeKey(salt, code), dk, []byte(id))
	if err != nil {
		return nil, err
	}
	var ac model.AuthCode
	if err := s.submitSigned(ctx, owner, in.Password, ActionIssueAuthCode, "IssueAuthCode", &issue, &ac); err != nil {
		return nil, fmt.Errorf("issue code for %s: %w", in.Asset, err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO locker_auth_codes (id, asset, owner, salt, sealed_key) VALUES ($1, $2, $3, $4, $5)`,
		ac.ID, in.Asset, in.Owner, salt, sealed); err != nil {
		return nil, fmt.Errorf("issue code for %s: %w", in.Asset, err)
	}
	return &IssuedCode{Code: code, AuthCode: ac}, nil
}

// codeKey derives the SM4 key that seals a data key for a code's holder.
func codeKey(salt []byte, code string) []byte {
	return gm.HMAC(salt, []byte("kaiban locker code key\x00"+code))[:gm.SM4KeySize]
}

// RevokeAuthCode revokes an authorization code, signed by its owner.
func (s *Service) RevokeAuthCode(ctx context.Context, owner, password, id, note string) (*model.AuthCode, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	rev := model.AuthCodeRevocation{AuthCode: id, Note: note}
	if err := rev.Validate(); err != nil {
		return nil, fmt.Errorf("revoke code: %w: %v", ErrInvalid, err)
	}
	canonical, err := model.Canonical(&rev)
	if err != nil {
		return nil, err
	}
	sig, err := s.keys.Sign(ctx, keys.Owner{Kind: keys.KindSubject, ID: owner}, password, model.SigningMessage(ActionRevokeAuthCode, canonical))
	if err != nil {
		return nil, fmt.Errorf("revoke code: %w", keyErr(err))
	}
	var ac model.AuthCode
	if err := s.submitAs(ctx, s.gateway, "RevokeAuthCode", &ac, id, note, keys.EncodeSignature(sig.Value)); err != nil {
		return nil, fmt.Errorf("revoke code %s: %w", id, err)
	}
	return &ac, nil
}

// VerifyAuthCode checks a code against the asset's codes on chain (7.4.4 d 4),
// the code travelling in transient data only. It returns the matching code's
// record.
func (s *Service) VerifyAuthCode(ctx context.Context, asset, code string) (*model.AuthCode, error) {
	if asset == "" || code == "" || len(code) > 256 {
		return nil, fmt.Errorf("verify code: asset and code are required: %w", ErrInvalid)
	}
	ct, err := s.chain.Contract(s.gateway, model.ChaincodeAuthorization)
	if err != nil {
		return nil, err
	}
	ac, err := chain.EvaluateJSON[model.AuthCode](ctx, ct, "VerifyAuthCode", chain.WithArguments(asset),
		chain.WithTransient(map[string][]byte{model.TransientAuthCode: []byte(code)}))
	if err != nil {
		return nil, fmt.Errorf("verify code for %s: %w", asset, chainErr(err))
	}
	return &ac, nil
}

// CodeViewInput reads an asset's content by authorization code (7.4.4 d 3, 4).
// The accessor is a member (its system presents the code), or a subject
// with its password.
type CodeViewInput struct {
	Asset    string
	Code     string
	Accessor Accessor
	Reason   string
}

// ViewByCode checks the code on chain, records the access with it (the code
// in transient data), then opens the data key sealed under the code and
// returns the content with the access record.
func (s *Service) ViewByCode(ctx context.Context, in CodeViewInput) (*Content, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := checkReason(in.Reason); err != nil {
		return nil, err
	}
	if (in.Accessor.Subject == "") == (in.Accessor.Member == "") || (in.Accessor.Subject != "" && in.Accessor.Password == "") {
		return nil, fmt.Errorf("view by code: one accessor, a member or a subject with its password: %w", ErrInvalid)
	}
	ac, err := s.VerifyAuthCode(ctx, in.Asset, in.Code)
	if err != nil {
		return nil, err
	}
	var salt, sealed []byte
	err = s.pool.QueryRow(ctx, `SELECT salt, sealed_key FROM locker_auth_codes WHERE id = $1`, ac.ID).Scan(&salt, &sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("view by code: code %s was not issued here: %w", ac.ID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	dk, err := gm.OpenGCM(codeKey(salt, in.Code), sealed, []byte(ac.ID))
	if err != nil {
		return nil, fmt.Errorf("view by code: %w", ErrDenied)
	}
	defer clear(dk)
	asset, err := s.chainAsset(ctx, in.Asset)
	if err != nil {
		return nil, err
	}
	rec := model.AccessRecording{Asset: in.Asset, Accessor: in.Accessor.id(), Action: model.AccessView, Reason: in.Reason, AuthCode: ac.ID}
	access, res, err := s.recordAccess(ctx, rec, in.Accessor, map[string][]byte{model.TransientAuthCode: []byte(in.Code)})
	if err != nil {
		return nil, err
	}
	plain, err := objectstore.GetSealed(ctx, s.store, asset.StorageRef, dk, []byte(asset.ID))
	if err != nil {
		return nil, fmt.Errorf("view by code %s: content: %w", in.Asset, err)
	}
	return &Content{Asset: asset.ID, Type: asset.Type, Content: plain, Access: *access, Block: res.Block}, nil
}

// AuthCodes lists an asset's authorization codes from the projection, newest
// first: what the chain keeps of each (salt and digest, never the code).
func (s *Service) AuthCodes(ctx context.Context, asset string) ([]model.AuthCode, error) {
	return queryRecords[model.AuthCode](ctx, s, `
		SELECT record FROM ledger_auth_codes WHERE asset = $1 ORDER BY block_number DESC, id`, asset)
}
