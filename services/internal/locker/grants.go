package locker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// Actions subjects sign for the authorization chaincode.
const (
	ActionGrant         = model.ChaincodeAuthorization + ".Grant"
	ActionRevokeGrant   = model.ChaincodeAuthorization + ".RevokeGrant"
	ActionRequestAccess = model.ChaincodeAuthorization + ".RequestAccess"
	ActionDenyRequest   = model.ChaincodeAuthorization + ".DenyRequest"
)

// GrantInput authorizes (授权, 7.4.4 b) or delegates (委托, 7.4.4 c) one asset
// to a grantee: a subject (GranteeMember false) or a member.
type GrantInput struct {
	Asset         string
	Grantor       string // the owner
	Password      string // the owner's unlock password
	Grantee       string
	GranteeMember bool
	Kind          model.GrantKind
	Scope         model.Scope
	Purpose       string
	ExpiresAt     time.Time
	// Push puts the asset into the grantee's locker (7.4.4 b 2, c 2).
	Push bool
	// Request is the grantee's pending access request this grant answers.
	Request string
}

// Grant re-wraps the asset's data key for the grantee (the owner's password
// opens it) and submits the owner's signed grant through the gateway. It
// returns the grant as the chain wrote it.
func (s *Service) Grant(ctx context.Context, in GrantInput) (*model.Grant, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if in.Kind == "" {
		in.Kind = model.KindAuthorization
	}
	if in.Scope == "" {
		in.Scope = model.ScopeView
	}
	exp, err := expiry(in.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("grant: %w", err)
	}
	if in.Grantee == "" || in.Grantee == in.Grantor {
		return nil, fmt.Errorf("grant: a grantee other than the owner is required: %w", ErrInvalid)
	}
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	req := model.GrantRequest{Kind: in.Kind, Asset: in.Asset, Grantor: in.Grantor, Grantee: in.Grantee, Scope: in.Scope,
		Purpose: in.Purpose, ExpiresAt: exp, Push: in.Push, Request: in.Request, Nonce: nonce}
	// A placeholder key lets the request's own checks run before any key is
	// touched.
	req.GranteeKey = &model.WrappedKey{Recipient: in.Grantee, Mode: model.EncryptAsymmetric, Key: "AA=="}
	if err := req.Validate(); err != nil {
		return nil, fmt.Errorf("grant: %w: %v", ErrInvalid, err)
	}
	asset, err := s.chainAsset(ctx, in.Asset)
	if err != nil {
		return nil, err
	}
	if asset.Owner != in.Grantor {
		return nil, fmt.Errorf("grant: %s does not own asset %s: %w", in.Grantor, in.Asset, ErrDenied)
	}
	w := ownerKey(asset)
	if w == nil {
		return nil, fmt.Errorf("grant: asset %s has no key for its owner: %w", in.Asset, ErrState)
	}
	owner := keys.Owner{Kind: keys.KindSubject, ID: in.Grantor}
	dk, err := s.keys.Unwrap(ctx, owner, in.Password, asset.ID, *w)
	if err != nil {
		return nil, fmt.Errorf("grant: %w", keyErr(err))
	}
	defer clear(dk)
	grantee := keys.Owner{Kind: keys.KindSubject, ID: in.Grantee}
	if in.GranteeMember {
		grantee.Kind = keys.KindDepartment
	}
	gk, err := s.keys.WrapFor(ctx, grantee, dk)
	if err != nil {
		return nil, fmt.Errorf("grant: wrap for %s: %w", in.Grantee, keyErr(err))
	}
	req.GranteeKey = &gk
	var g model.Grant
	if err := s.submitSigned(ctx, owner, in.Password, ActionGrant, "Grant", &req, &g); err != nil {
		return nil, fmt.Errorf("grant asset %s to %s: %w", in.Asset, in.Grantee, err)
	}
	return &g, nil
}

// RevokeGrant revokes a grant, signed by its grantor.
func (s *Service) RevokeGrant(ctx context.Context, grantor, password, grant, note string) (*model.Grant, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	rev := model.GrantRevocation{Grant: grant, Note: note}
	if err := rev.Validate(); err != nil {
		return nil, fmt.Errorf("revoke grant: %w: %v", ErrInvalid, err)
	}
	var g model.Grant
	if err := s.submitSigned(ctx, keys.Owner{Kind: keys.KindSubject, ID: grantor}, password, ActionRevokeGrant, "RevokeGrant", &rev, &g); err != nil {
		return nil, fmt.Errorf("revoke grant %s: %w", grant, err)
	}
	return &g, nil
}

// Grants lists an asset's grants, or a grantee's, from the projection.
func (s *Service) Grants(ctx context.Context, asset, grantee string) ([]model.Grant, error) {
	return queryRecords[model.Grant](ctx, s, `
		SELECT record FROM ledger_grants WHERE ($1 = '' OR asset = $1) AND ($2 = '' OR grantee = $2)
		ORDER BY block_number, id`, asset, grantee)
}

// Received is a grant held by a grantee together with the asset it opens,
// as projected: what a department or institution sees of the assets granted
// to it (授权给我的资产).
type Received struct {
	Grant model.Grant `json:"grant"`
	Asset model.Asset `json:"asset"`
}

// Received lists the grants whose grantee is grantee (a subject or a member
// ID), each with its asset: active ones first, then newest first.
func (s *Service) Received(ctx context.Context, grantee string) ([]Received, error) {
	if grantee == "" {
		return nil, fmt.Errorf("grants received: a grantee is required: %w", ErrInvalid)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT g.record, a.record FROM ledger_grants g JOIN ledger_assets a ON a.id = g.asset
		WHERE g.grantee = $1
		ORDER BY (g.status = 'active' AND g.expires_at > now()) DESC, g.block_number DESC, g.id`, grantee)
	if err != nil {
		return nil, fmt.Errorf("grants received by %s: %w", grantee, err)
	}
	defer rows.Close()
	out := []Received{}
	for rows.Next() {
		var g, a []byte
		if err := rows.Scan(&g, &a); err != nil {
			return nil, err
		}
		var r Received
		if err := json.Unmarshal(g, &r.Grant); err != nil {
			return nil, fmt.Errorf("grants received by %s: %w", grantee, err)
		}
		if err := json.Unmarshal(a, &r.Asset); err != nil {
			return nil, fmt.Errorf("grants received by %s: %w", grantee, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RequestInput asks an asset's owner for access (7.6.2 d). The requester is
// a subject (with its password, which signs) or a member.
type RequestInput struct {
	Asset     string
	Requester Accessor
	Kind      model.GrantKind
	Scope     model.Scope
	Purpose   string
	DueAt     time.Time
}

// RequestAccess submits an access request; the owner answers with Grant
// (naming the request) or DenyRequest before DueAt, else reminders follow.
func (s *Service) RequestAccess(ctx context.Context, in RequestInput) (*model.AccessRequest, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if in.Kind == "" {
		in.Kind = model.KindAuthorization
	}
	if in.Scope == "" {
		in.Scope = model.ScopeView
	}
	due, err := expiry(in.DueAt)
	if err != nil {
		return nil, fmt.Errorf("request access: %w", err)
	}
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	if (in.Requester.Subject == "") == (in.Requester.Member == "") {
		return nil, fmt.Errorf("request access: one requester, a subject or a member: %w", ErrInvalid)
	}
	c := model.AccessRequestCreation{Asset: in.Asset, Requester: in.Requester.id(), Kind: in.Kind, Scope: in.Scope,
		Purpose: in.Purpose, DueAt: due, Nonce: nonce}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("request access: %w: %v", ErrInvalid, err)
	}
	var r model.AccessRequest
	if in.Requester.Subject != "" {
		err = s.submitSigned(ctx, in.Requester.owner(), in.Requester.Password, ActionRequestAccess, "RequestAccess", &c, &r)
	} else {
		err = s.submitAs(ctx, in.Requester.Member, "RequestAccess", &r, mustCanonical(&c), "")
	}
	if err != nil {
		return nil, fmt.Errorf("request access to %s: %w", in.Asset, err)
	}
	return &r, nil
}

// DenyRequest denies a pending access request, signed by the owner.
func (s *Service) DenyRequest(ctx context.Context, owner, password, request, note string) (*model.AccessRequest, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	d := model.AccessRequestDenial{Request: request, Note: note}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("deny request: %w: %v", ErrInvalid, err)
	}
	var r model.AccessRequest
	if err := s.submitSigned(ctx, keys.Owner{Kind: keys.KindSubject, ID: owner}, password, ActionDenyRequest, "DenyRequest", &d, &r); err != nil {
		return nil, fmt.Errorf("deny request %s: %w", request, err)
	}
	return &r, nil
}

// Requests lists access requests addressed to owner (or made by requester)
// from the projection, pending first in due order.
func (s *Service) Requests(ctx context.Context, owner, requester string) ([]model.AccessRequest, error) {
	return queryRecords[model.AccessRequest](ctx, s, `
		SELECT record FROM ledger_access_requests WHERE ($1 = '' OR owner = $1) AND ($2 = '' OR requester = $2)
		ORDER BY status <> 'pending', due_at, id`, owner, requester)
}

// submitSigned signs request as owner for action and submits function with
// it through the gateway, decoding the chain's answer into out.
func (s *Service) submitSigned(ctx context.Context, owner keys.Owner, password, action, function string, request any, out any) error {
	canonical, err := model.Canonical(request)
	if err != nil {
		return err
	}
	sig, err := s.keys.Sign(ctx, owner, password, model.SigningMessage(action, canonical))
	if err != nil {
		return keyErr(err)
	}
	return s.submitAs(ctx, s.gateway, function, out, string(canonical), keys.EncodeSignature(sig.Value))
}

func (s *Service) submitAs(ctx context.Context, identity, function string, out any, args ...string) error {
	if s.chain == nil {
		return fmt.Errorf("the locker has no chain client")
	}
	ct, err := s.chain.Contract(identity, model.ChaincodeAuthorization)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	res, err := ct.Submit(ctx, function, chain.WithArguments(args...))
	if err != nil {
		return chainErr(err)
	}
	return res.Decode(out)
}

func mustCanonical(v any) string {
	b, err := model.Canonical(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func queryRecords[T any](ctx context.Context, s *Service, sql string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func newNonce() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
