package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// The locker's operations (api-spec block `# --- locker ---`): each handler
// turns the generated request into one locker.Service call and the result
// into the generated response. Passwords go from the body to the service and
// nowhere else.

// errLockerOff is the answer of a process that does not run the locker.
var errLockerOff = errors.New("the locker does not run in this process")

func (s *Server) lockerService() (*locker.Service, error) {
	if s.locker == nil {
		return nil, errLockerOff
	}
	return s.locker, nil
}

// recast converts a domain value into the generated type of the same JSON
// shape.
func recast[T any](v any) (T, error) {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("response shape: %w", err)
	}
	return out, nil
}

func str[T ~string](p *T) string {
	if p == nil {
		return ""
	}
	return string(*p)
}

// accessor is the subject or member a body names. A department system (an
// API client) acts only as its own member: naming another is refused, and
// naming none with no subject means itself. A person naming a member acts
// for its own department only: a member's access request or a read by code
// needs no key password, so the name alone must not let anyone speak for
// another department.
func (s *Server) accessor(ctx context.Context, subject, member, password *string) (locker.Accessor, error) {
	a := locker.Accessor{Subject: str(subject), Member: str(member), Password: str(password)}
	own, err := s.callerMember(ctx)
	if err != nil {
		return a, err
	}
	if own == "" {
		return a, s.personMember(ctx, a.Member)
	}
	switch {
	case a.Member == "" && a.Subject == "":
		a.Member = own
	case a.Member != "" && a.Member != own:
		return a, fmt.Errorf("a department system acts as its own member %s, not %s: %w", own, a.Member, locker.ErrDenied)
	}
	return a, nil
}

// personMember refuses a person naming a member other than its
// department's (the registry maps departments to members; without one, as in
// tests that run no registry, nothing can be checked).
func (s *Server) personMember(ctx context.Context, member string) error {
	p := identity.PrincipalFrom(ctx)
	if member == "" || p == nil || p.Kind != identity.KindUser || s.workflow.Registry == nil {
		return nil
	}
	own, err := s.workflow.Registry.Member(ctx, p.Department)
	if err != nil && !errors.Is(err, registry.ErrNotFound) {
		return err
	}
	if own != member {
		return fmt.Errorf("a person acts for its own department's member, not %s: %w", member, locker.ErrDenied)
	}
	return nil
}

// callerMember is the chain member of a calling department system, "" for
// a person or when the registry that maps departments to members is absent.
func (s *Server) callerMember(ctx context.Context) (string, error) {
	p := identity.PrincipalFrom(ctx)
	if p == nil || p.Kind != identity.KindClient || p.Department == "" || s.workflow.Registry == nil {
		return "", nil
	}
	return s.workflow.Registry.Member(ctx, p.Department)
}

// ownMember checks a member named in a body against a calling department
// system's.
func (s *Server) ownMember(ctx context.Context, member string) error {
	_, err := s.accessor(ctx, nil, &member, nil)
	return err
}

// OpenLocker opens a locker (A.5 a).
func (s *Server) OpenLocker(ctx context.Context, r api.OpenLockerRequestObject) (api.OpenLockerResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	in := locker.OpenInput{Kind: model.SubjectKind(str(b.Kind)), ClerkID: b.ClerkId, Password: str(b.Password)}
	if b.Enterprise != nil {
		in.Enterprise = &locker.Enterprise{Name: b.Enterprise.Name, USCC: str(b.Enterprise.Uscc), Type: str(b.Enterprise.Type),
			Address: str(b.Enterprise.Address), Capital: str(b.Enterprise.Capital)}
	}
	person := func(p *api.LockerPerson) *locker.Person {
		if p == nil {
			return nil
		}
		return &locker.Person{Name: p.Name, IDNumber: p.IdNumber, Phone: str(p.Phone)}
	}
	in.LegalRep, in.Person = person(b.LegalRepresentative), person(b.Person)
	l, err := svc.Open(ctx, in)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.Locker](l)
	return api.OpenLocker202JSONResponse(out), err
}

// GetLocker returns a locker.
func (s *Server) GetLocker(ctx context.Context, r api.GetLockerRequestObject) (api.GetLockerResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadLocker(ctx, svc, r.LockerId); err != nil {
		return nil, err
	}
	l, err := svc.Get(ctx, r.LockerId)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.Locker](l)
	return api.GetLocker200JSONResponse(out), err
}

// ReviewLocker decides a locker opening (A.5 b).
func (s *Server) ReviewLocker(ctx context.Context, r api.ReviewLockerRequestObject) (api.ReviewLockerResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	l, err := svc.Review(ctx, r.LockerId, locker.ReviewInput{Approve: r.Body.Approve, Note: str(r.Body.Note), Reviewer: callerID(ctx)})
	if err != nil {
		return nil, err
	}
	out, err := recast[api.Locker](l)
	return api.ReviewLocker202JSONResponse(out), err
}

// callerID names the authenticated caller, for the records that keep who
// decided.
func callerID(ctx context.Context) string {
	if p := identity.PrincipalFrom(ctx); p != nil {
		return p.Kind + ":" + p.ID
	}
	return ""
}

// ListLockerAssets lists a locker's assets by type (7.6.2 a).
func (s *Server) ListLockerAssets(ctx context.Context, r api.ListLockerAssetsRequestObject) (api.ListLockerAssetsResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadLocker(ctx, svc, r.LockerId); err != nil {
		return nil, err
	}
	es, err := svc.Assets(ctx, r.LockerId, str(r.Params.Type))
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.LockerAsset](es)
	return api.ListLockerAssets200JSONResponse{Items: items}, err
}

func issueResponse(i *locker.Issued) api.LockerIssue {
	return api.LockerIssue{AssetId: i.AssetID, OutboxKey: i.OutboxKey, Existing: i.Existing,
		ContentDigest: &i.Issue.ContentDigest, CipherDigest: &i.Issue.CipherDigest}
}

// UploadToLocker is a self-upload (7.6.2 c 4).
func (s *Server) UploadToLocker(ctx context.Context, r api.UploadToLockerRequestObject) (api.UploadToLockerResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	i, err := svc.Upload(ctx, locker.UploadInput{Owner: r.LockerId, Password: str(b.Password), Type: b.Type, BusinessKey: b.BusinessKey,
		Content: b.Content, Encryption: model.EncryptionMode(str(b.Encryption))})
	if err != nil {
		return nil, err
	}
	return api.UploadToLocker202JSONResponse(issueResponse(i)), nil
}

// IssueToLocker is a member's issue (7.6.2 c 1–3).
func (s *Server) IssueToLocker(ctx context.Context, r api.IssueToLockerRequestObject) (api.IssueToLockerResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	if err := s.ownMember(ctx, b.Member); err != nil {
		return nil, err
	}
	i, err := svc.IssueByMember(ctx, locker.MemberIssueInput{Member: b.Member, Password: str(b.Password), Channel: model.IssueChannel(b.Channel),
		Type: b.Type, Owner: r.LockerId, BusinessKey: b.BusinessKey, Content: b.Content})
	if err != nil {
		return nil, err
	}
	return api.IssueToLocker202JSONResponse(issueResponse(i)), nil
}

// ReviewLockerUpload decides a self-upload.
func (s *Server) ReviewLockerUpload(ctx context.Context, r api.ReviewLockerUploadRequestObject) (api.ReviewLockerUploadResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	if err := s.ownMember(ctx, b.Member); err != nil {
		return nil, err
	}
	key, err := svc.ReviewUpload(ctx, locker.UploadReview{Asset: r.AssetId, Member: b.Member, Password: str(b.Password), Approve: b.Approve, Note: str(b.Note)})
	if err != nil {
		return nil, err
	}
	return api.ReviewLockerUpload202JSONResponse{OutboxKey: key}, nil
}

// ViewLockerAsset releases content after recording the access (7.6.2 b).
func (s *Server) ViewLockerAsset(ctx context.Context, r api.ViewLockerAssetRequestObject) (api.ViewLockerAssetResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	who, err := s.accessor(ctx, b.Subject, b.Member, b.Password)
	if err != nil {
		return nil, err
	}
	c, err := svc.View(ctx, locker.ViewInput{Asset: r.AssetId, Accessor: who, Reason: b.Reason,
		Grant: str(b.Grant), Action: str(b.Action)})
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerContent](c)
	return api.ViewLockerAsset200JSONResponse(out), err
}

// GrantLockerAsset authorizes or delegates an asset (7.4.4 b, c).
func (s *Server) GrantLockerAsset(ctx context.Context, r api.GrantLockerAssetRequestObject) (api.GrantLockerAssetResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	g, err := svc.Grant(ctx, locker.GrantInput{Asset: r.AssetId, Grantor: b.Grantor, Password: str(b.Password), Grantee: b.Grantee,
		GranteeMember: b.GranteeMember != nil && *b.GranteeMember, Kind: model.GrantKind(str(b.Kind)), Scope: model.Scope(str(b.Scope)),
		Purpose: b.Purpose, ExpiresAt: b.ExpiresAt, Push: b.Push != nil && *b.Push, Request: str(b.Request)})
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerGrant](g)
	return api.GrantLockerAsset201JSONResponse(out), err
}

// ListLockerGrants lists an asset's grants.
func (s *Server) ListLockerGrants(ctx context.Context, r api.ListLockerGrantsRequestObject) (api.ListLockerGrantsResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadAsset(ctx, svc, r.AssetId, false); err != nil {
		return nil, err
	}
	gs, err := svc.Grants(ctx, r.AssetId, "")
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.LockerGrant](gs)
	return api.ListLockerGrants200JSONResponse{Items: items}, err
}

// ListLockerGrantsReceived lists the grants a grantee holds with their
// assets (授权给我的资产). Without a grantee it is the caller's department's
// member; a department system may list only its own member's.
func (s *Server) ListLockerGrantsReceived(ctx context.Context, r api.ListLockerGrantsReceivedRequestObject) (api.ListLockerGrantsReceivedResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	grantee := str(r.Params.Grantee)
	own, err := s.callerMember(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case own != "" && grantee != "" && grantee != own:
		return nil, fmt.Errorf("a department system lists its own member's grants (%s), not %s's: %w", own, grantee, locker.ErrDenied)
	case grantee == "" && own != "":
		grantee = own
	case grantee == "":
		if grantee, err = s.departmentMember(ctx); err != nil {
			return nil, err
		}
	}
	// A holder-scoped caller naming a grantee other than its department's
	// member names a locker, which it must hold.
	if p, err := s.holderScoped(ctx); err != nil {
		return nil, err
	} else if p != nil && r.Params.Grantee != nil {
		if own, _ := s.departmentMember(ctx); grantee != own {
			if err := s.mayReadLocker(ctx, svc, grantee); err != nil {
				return nil, err
			}
		}
	}
	rs, err := svc.Received(ctx, grantee)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.LockerGrantReceived](rs)
	return api.ListLockerGrantsReceived200JSONResponse{Grantee: grantee, Items: items}, err
}

// departmentMember is the chain member of the calling person's department,
// for the pages of a department's or institution's staff.
func (s *Server) departmentMember(ctx context.Context) (string, error) {
	p := identity.PrincipalFrom(ctx)
	if p == nil || p.Department == "" || s.workflow.Registry == nil {
		return "", fmt.Errorf("name the grantee: the caller's department has no chain member here: %w", locker.ErrInvalid)
	}
	m, err := s.workflow.Registry.Member(ctx, p.Department)
	if err != nil {
		return "", fmt.Errorf("grantee of department %s: %w", p.Department, err)
	}
	return m, nil
}

// RevokeLockerGrant revokes a grant.
func (s *Server) RevokeLockerGrant(ctx context.Context, r api.RevokeLockerGrantRequestObject) (api.RevokeLockerGrantResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	g, err := svc.RevokeGrant(ctx, r.Body.Owner, str(r.Body.Password), r.GrantId, r.Body.Note)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerGrant](g)
	return api.RevokeLockerGrant200JSONResponse(out), err
}

// RequestLockerAccess asks an asset's owner for access (7.6.2 d).
func (s *Server) RequestLockerAccess(ctx context.Context, r api.RequestLockerAccessRequestObject) (api.RequestLockerAccessResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	who, err := s.accessor(ctx, b.Subject, b.Member, b.Password)
	if err != nil {
		return nil, err
	}
	req, err := svc.RequestAccess(ctx, locker.RequestInput{Asset: r.AssetId, Requester: who,
		Kind: model.GrantKind(str(b.Kind)), Scope: model.Scope(str(b.Scope)), Purpose: b.Purpose, DueAt: b.DueAt})
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerAccessRequest](req)
	return api.RequestLockerAccess201JSONResponse(out), err
}

// ListLockerRequests lists the access requests addressed to a locker's owner.
func (s *Server) ListLockerRequests(ctx context.Context, r api.ListLockerRequestsRequestObject) (api.ListLockerRequestsResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadLocker(ctx, svc, r.LockerId); err != nil {
		return nil, err
	}
	if err := svc.Known(ctx, r.LockerId); err != nil {
		return nil, err
	}
	rs, err := svc.Requests(ctx, r.LockerId, "")
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.LockerAccessRequest](rs)
	return api.ListLockerRequests200JSONResponse{Items: items}, err
}

// DenyLockerRequest denies an access request.
func (s *Server) DenyLockerRequest(ctx context.Context, r api.DenyLockerRequestRequestObject) (api.DenyLockerRequestResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	req, err := svc.DenyRequest(ctx, r.Body.Owner, str(r.Body.Password), r.RequestId, r.Body.Note)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerAccessRequest](req)
	return api.DenyLockerRequest200JSONResponse(out), err
}

// IssueLockerAuthCode issues an authorization code (7.4.4 d 3).
func (s *Server) IssueLockerAuthCode(ctx context.Context, r api.IssueLockerAuthCodeRequestObject) (api.IssueLockerAuthCodeResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	ic, err := svc.IssueAuthCode(ctx, locker.AuthCodeInput{Asset: r.AssetId, Owner: b.Owner, Password: str(b.Password),
		Scope: model.Scope(str(b.Scope)), Purpose: b.Purpose, ExpiresAt: b.ExpiresAt})
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerIssuedCode](ic)
	return api.IssueLockerAuthCode201JSONResponse(out), err
}

// ListLockerAuthCodes lists an asset's authorization codes.
func (s *Server) ListLockerAuthCodes(ctx context.Context, r api.ListLockerAuthCodesRequestObject) (api.ListLockerAuthCodesResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadAsset(ctx, svc, r.AssetId, false); err != nil {
		return nil, err
	}
	cs, err := svc.AuthCodes(ctx, r.AssetId)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.LockerAuthCode](cs)
	return api.ListLockerAuthCodes200JSONResponse{Items: items}, err
}

// RevokeLockerAuthCode revokes an authorization code.
func (s *Server) RevokeLockerAuthCode(ctx context.Context, r api.RevokeLockerAuthCodeRequestObject) (api.RevokeLockerAuthCodeResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	ac, err := svc.RevokeAuthCode(ctx, r.Body.Owner, str(r.Body.Password), r.CodeId, r.Body.Note)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerAuthCode](ac)
	return api.RevokeLockerAuthCode200JSONResponse(out), err
}

// GetLockerAssetStatus answers 7.4.4 d 1.
func (s *Server) GetLockerAssetStatus(ctx context.Context, r api.GetLockerAssetStatusRequestObject) (api.GetLockerAssetStatusResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadAsset(ctx, svc, r.AssetId, true); err != nil {
		return nil, err
	}
	st, err := svc.AssetStatus(ctx, r.AssetId)
	if err != nil {
		return nil, err
	}
	return api.GetLockerAssetStatus200JSONResponse{Asset: r.AssetId, Status: &st}, nil
}

// GetLockerAssetLatestTx answers 7.4.4 d 2.
func (s *Server) GetLockerAssetLatestTx(ctx context.Context, r api.GetLockerAssetLatestTxRequestObject) (api.GetLockerAssetLatestTxResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadAsset(ctx, svc, r.AssetId, true); err != nil {
		return nil, err
	}
	tx, err := svc.LatestTxID(ctx, r.AssetId)
	if err != nil {
		return nil, err
	}
	return api.GetLockerAssetLatestTx200JSONResponse{Asset: r.AssetId, TxId: &tx}, nil
}

// ViewLockerAssetByCode answers 7.4.4 d 3.
func (s *Server) ViewLockerAssetByCode(ctx context.Context, r api.ViewLockerAssetByCodeRequestObject) (api.ViewLockerAssetByCodeResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	who, err := s.accessor(ctx, b.Subject, b.Member, b.Password)
	if err != nil {
		return nil, err
	}
	c, err := svc.ViewByCode(ctx, locker.CodeViewInput{Asset: r.AssetId, Code: str(b.Code), Accessor: who, Reason: b.Reason})
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerContent](c)
	return api.ViewLockerAssetByCode200JSONResponse(out), err
}

// VerifyLockerAuthCode answers 7.4.4 d 4.
func (s *Server) VerifyLockerAuthCode(ctx context.Context, r api.VerifyLockerAuthCodeRequestObject) (api.VerifyLockerAuthCodeResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	ac, err := svc.VerifyAuthCode(ctx, r.AssetId, str(r.Body.Code))
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerAuthCode](ac)
	return api.VerifyLockerAuthCode200JSONResponse(out), err
}

// GetLockerAssetEncryption answers 7.4.4 d 5.
func (s *Server) GetLockerAssetEncryption(ctx context.Context, r api.GetLockerAssetEncryptionRequestObject) (api.GetLockerAssetEncryptionResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadAsset(ctx, svc, r.AssetId, true); err != nil {
		return nil, err
	}
	m, err := svc.EncryptionMode(ctx, r.AssetId)
	if err != nil {
		return nil, err
	}
	mode := string(m)
	return api.GetLockerAssetEncryption200JSONResponse{Asset: r.AssetId, Encryption: &mode}, nil
}

// ReleaseLockerAssetKey answers 7.4.4 d 6.
func (s *Server) ReleaseLockerAssetKey(ctx context.Context, r api.ReleaseLockerAssetKeyRequestObject) (api.ReleaseLockerAssetKeyResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	k, err := svc.ReleaseKey(ctx, r.Body.Owner, str(r.Body.Password), r.AssetId, r.Body.Reason)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerReleasedKey](k)
	return api.ReleaseLockerAssetKey200JSONResponse(out), err
}

// ListLockerAccessRecords lists an asset's recorded accesses (7.6.2 b).
func (s *Server) ListLockerAccessRecords(ctx context.Context, r api.ListLockerAccessRecordsRequestObject) (api.ListLockerAccessRecordsResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadAsset(ctx, svc, r.AssetId, true); err != nil {
		return nil, err
	}
	rs, err := svc.AccessRecords(ctx, r.AssetId)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.LockerAccessEntry](rs)
	return api.ListLockerAccessRecords200JSONResponse{Items: items}, err
}

// permReadAnyLocker is what the roles that act for the platform or the
// departments hold (clerk, officer, department system, regulator): they read
// any locker. A caller with locker:read and without it reads only the lockers
// it holds (the applicant; migration 01110).
var permReadAnyLocker = identity.Perm("locker", "read-any")

// errNotHolder is the refusal of a holder-scoped caller: the same for a
// locker or asset that does not exist, so it tells nothing about either.
var errNotHolder = fmt.Errorf("only a holder of the locker reads it; a person becomes one by proving its unlock password (POST /api/v1/lockers/{lockerId}/holders): %w", locker.ErrDenied)

// holderScoped reports the person a caller's locker reads are limited to:
// nil for a caller that reads any locker, or in a process without
// authorization (only tests of other handlers build one). A caller that is
// not a person and cannot read any locker is refused outright.
func (s *Server) holderScoped(ctx context.Context) (*identity.Principal, error) {
	if s.sec.Identity == nil {
		return nil, nil
	}
	p := Caller(ctx)
	err := s.sec.Identity.Authorize(ctx, p, permReadAnyLocker)
	switch {
	case err == nil:
		return nil, nil
	case !errors.Is(err, identity.ErrForbidden):
		return nil, err
	case p.Kind != identity.KindUser:
		return nil, errNotHolder
	}
	return p, nil
}

// mayReadLocker refuses a holder-scoped caller that does not hold locker id.
func (s *Server) mayReadLocker(ctx context.Context, svc *locker.Service, id string) error {
	p, err := s.holderScoped(ctx)
	if err != nil || p == nil {
		return err
	}
	ok, err := svc.Holds(ctx, p.ID, id)
	if err != nil {
		return err
	}
	if !ok {
		return errNotHolder
	}
	return nil
}

// mayReadAsset refuses a holder-scoped caller that holds neither the asset's
// owner nor, with grantee, a locker the asset is granted to.
func (s *Server) mayReadAsset(ctx context.Context, svc *locker.Service, asset string, grantee bool) error {
	p, err := s.holderScoped(ctx)
	if err != nil || p == nil {
		return err
	}
	ok, err := svc.HoldsAsset(ctx, p.ID, asset, grantee)
	if err != nil {
		return err
	}
	if !ok {
		return errNotHolder
	}
	return nil
}

// BindLockerHolder makes the calling person a holder of the locker once it
// proves the unlock password.
func (s *Server) BindLockerHolder(ctx context.Context, r api.BindLockerHolderRequestObject) (api.BindLockerHolderResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	p := Caller(ctx)
	if p == nil || p.Kind != identity.KindUser {
		return nil, fmt.Errorf("only a person holds a locker: %w", locker.ErrDenied)
	}
	h, err := svc.Bind(ctx, r.LockerId, p.ID, str(r.Body.Password))
	if err != nil {
		return nil, err
	}
	out, err := recast[api.LockerHolding](h)
	return api.BindLockerHolder201JSONResponse(out), err
}

// ListLockerHoldings lists the lockers the calling person holds.
func (s *Server) ListLockerHoldings(ctx context.Context, _ api.ListLockerHoldingsRequestObject) (api.ListLockerHoldingsResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	items := []api.LockerHolding{}
	if p := Caller(ctx); p != nil && p.Kind == identity.KindUser {
		hs, err := svc.Holdings(ctx, p.ID)
		if err != nil {
			return nil, err
		}
		if items, err = recast[[]api.LockerHolding](hs); err != nil {
			return nil, err
		}
	}
	return api.ListLockerHoldings200JSONResponse{Items: items}, nil
}

// UnbindLockerHolder ends the calling person's holding of a locker.
func (s *Server) UnbindLockerHolder(ctx context.Context, r api.UnbindLockerHolderRequestObject) (api.UnbindLockerHolderResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	p := Caller(ctx)
	if p == nil || p.Kind != identity.KindUser {
		return nil, fmt.Errorf("only a person holds a locker: %w", locker.ErrDenied)
	}
	if err := svc.Unbind(ctx, r.LockerId, p.ID); err != nil {
		return nil, err
	}
	return api.UnbindLockerHolder204Response{}, nil
}

// ListLockerHolders lists a locker's holders to its holders and to the
// roles that read any locker, each with its masked display name where the
// identity service runs.
func (s *Server) ListLockerHolders(ctx context.Context, r api.ListLockerHoldersRequestObject) (api.ListLockerHoldersResponseObject, error) {
	svc, err := s.lockerService()
	if err != nil {
		return nil, err
	}
	if err := s.mayReadLocker(ctx, svc, r.LockerId); err != nil {
		return nil, err
	}
	hs, err := svc.Holders(ctx, r.LockerId)
	if err != nil {
		return nil, err
	}
	if s.sec.Identity != nil {
		for i := range hs {
			// GetUser answers from the identity cache; a user deleted
			// since the list was read is listed by ID and login alone.
			u, err := s.sec.Identity.GetUser(ctx, hs[i].UserID)
			switch {
			case err == nil:
				hs[i].Name = pii.MaskName(u.Name)
			case !errors.Is(err, identity.ErrNotFound):
				return nil, err
			}
		}
	}
	items, err := recast[[]api.LockerHolder](hs)
	return api.ListLockerHolders200JSONResponse{Items: items}, err
}
