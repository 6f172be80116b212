package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/alliance"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// The alliance administration operations (7.4.2 a, c, g; 7.4.3 e; 7.6.5)
// over package alliance: members, nodes and asset types are written on
// chain through the outbox (202 with the write's key) and read from the
// projection; the contract registry and the operations views are answered
// directly.

// errAllianceOff is the answer of a process that does not administer the
// alliance.
var errAllianceOff = errors.New("alliance administration does not run in this process")

func (s *Server) allianceService() (*alliance.Service, error) {
	if s.alliance == nil {
		return nil, errAllianceOff
	}
	return s.alliance, nil
}

func queued(q alliance.Queued) api.AllianceQueuedJSONResponse {
	return api.AllianceQueuedJSONResponse{OutboxKey: q.OutboxKey}
}

func permissionsOf(ps []api.AlliancePermission) []model.Permission {
	out := make([]model.Permission, len(ps))
	for i, p := range ps {
		out[i] = model.Permission(p)
	}
	return out
}

// ListAllianceMembers lists the members as projected.
func (s *Server) ListAllianceMembers(ctx context.Context, _ api.ListAllianceMembersRequestObject) (api.ListAllianceMembersResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	ms, err := svc.Members(ctx)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.AllianceMember](ms)
	return api.ListAllianceMembers200JSONResponse{Items: items}, err
}

// GetAllianceMember returns one member as projected.
func (s *Server) GetAllianceMember(ctx context.Context, r api.GetAllianceMemberRequestObject) (api.GetAllianceMemberResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	m, err := svc.Member(ctx, r.MemberId)
	if err != nil {
		return nil, err
	}
	out, err := recast[api.AllianceMember](m)
	return api.GetAllianceMember200JSONResponse(out), err
}

// ApplyAllianceMember files an admission application.
func (s *Server) ApplyAllianceMember(ctx context.Context, r api.ApplyAllianceMemberRequestObject) (api.ApplyAllianceMemberResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	q, err := svc.Apply(ctx, alliance.Application{ID: r.Body.Id, Name: r.Body.Name, Kind: model.MemberKind(r.Body.Kind),
		Department: str(r.Body.Department), KeyPassword: r.Body.KeyPassword})
	if err != nil {
		return nil, err
	}
	return api.ApplyAllianceMember202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// ReviewAllianceMember decides a pending application.
func (s *Server) ReviewAllianceMember(ctx context.Context, r api.ReviewAllianceMemberRequestObject) (api.ReviewAllianceMemberResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	rv := model.MemberReview{Member: r.MemberId, Approve: r.Body.Approve, Note: str(r.Body.Note)}
	if r.Body.Permissions != nil {
		rv.Permissions = permissionsOf(*r.Body.Permissions)
	}
	q, err := svc.Review(ctx, rv)
	if err != nil {
		return nil, err
	}
	return api.ReviewAllianceMember202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// SetAllianceMemberPermissions replaces a member's operation permissions.
func (s *Server) SetAllianceMemberPermissions(ctx context.Context, r api.SetAllianceMemberPermissionsRequestObject) (api.SetAllianceMemberPermissionsResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	q, err := svc.SetPermissions(ctx, model.MemberChange{Member: r.MemberId, Permissions: permissionsOf(r.Body.Permissions), Note: r.Body.Note})
	if err != nil {
		return nil, err
	}
	return api.SetAllianceMemberPermissions202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// SuspendAllianceMember suspends an active member.
func (s *Server) SuspendAllianceMember(ctx context.Context, r api.SuspendAllianceMemberRequestObject) (api.SuspendAllianceMemberResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	q, err := svc.Suspend(ctx, r.MemberId, r.Body.Note)
	if err != nil {
		return nil, err
	}
	return api.SuspendAllianceMember202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// ReinstateAllianceMember reinstates a suspended member.
func (s *Server) ReinstateAllianceMember(ctx context.Context, r api.ReinstateAllianceMemberRequestObject) (api.ReinstateAllianceMemberResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	q, err := svc.Reinstate(ctx, r.MemberId, r.Body.Note)
	if err != nil {
		return nil, err
	}
	return api.ReinstateAllianceMember202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// ListAllianceNodes lists the nodes as projected.
func (s *Server) ListAllianceNodes(ctx context.Context, _ api.ListAllianceNodesRequestObject) (api.ListAllianceNodesResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	ns, err := svc.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.AllianceNode](ns)
	return api.ListAllianceNodes200JSONResponse{Items: items}, err
}

// AdmitAllianceNode admits a node.
func (s *Server) AdmitAllianceNode(ctx context.Context, r api.AdmitAllianceNodeRequestObject) (api.AdmitAllianceNodeResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	q, id, err := svc.AdmitNode(ctx, model.NodeAdmission{Member: b.Member, Name: b.Name, Kind: model.NodeKind(b.Kind), Endpoint: b.Endpoint, TLSCertDigest: b.TlsCertDigest})
	if err != nil {
		return nil, err
	}
	return api.AdmitAllianceNode202JSONResponse{OutboxKey: q.OutboxKey, NodeId: id}, nil
}

// RetireAllianceNode retires a node.
func (s *Server) RetireAllianceNode(ctx context.Context, r api.RetireAllianceNodeRequestObject) (api.RetireAllianceNodeResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	q, err := svc.RetireNode(ctx, model.NodeRetirement{Node: r.NodeId, Note: r.Body.Note})
	if err != nil {
		return nil, err
	}
	return api.RetireAllianceNode202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// ListAllianceAssetTypes lists the asset types as projected.
func (s *Server) ListAllianceAssetTypes(ctx context.Context, _ api.ListAllianceAssetTypesRequestObject) (api.ListAllianceAssetTypesResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	ts, err := svc.AssetTypes(ctx)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.AllianceAssetType](ts)
	return api.ListAllianceAssetTypes200JSONResponse{Items: items}, err
}

// DefineAllianceAssetType defines or modifies an asset type.
func (s *Server) DefineAllianceAssetType(ctx context.Context, r api.DefineAllianceAssetTypeRequestObject) (api.DefineAllianceAssetTypeResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	d := model.AssetTypeDefinition{Code: r.Code, Name: b.Name, Schema: b.Schema, Issuers: b.Issuers}
	if b.Reviewers != nil {
		d.Reviewers = *b.Reviewers
	}
	if b.SelfUpload != nil {
		d.SelfUpload = *b.SelfUpload
	}
	q, err := svc.DefineAssetType(ctx, d)
	if err != nil {
		return nil, err
	}
	return api.DefineAllianceAssetType202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// AbolishAllianceAssetType abolishes an asset type.
func (s *Server) AbolishAllianceAssetType(ctx context.Context, r api.AbolishAllianceAssetTypeRequestObject) (api.AbolishAllianceAssetTypeResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	q, err := svc.AbolishAssetType(ctx, r.Code, r.Body.Note)
	if err != nil {
		return nil, err
	}
	return api.AbolishAllianceAssetType202JSONResponse{AllianceQueuedJSONResponse: queued(q)}, nil
}

// ListAllianceContracts lists the contract registry.
func (s *Server) ListAllianceContracts(ctx context.Context, _ api.ListAllianceContractsRequestObject) (api.ListAllianceContractsResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	cs, err := svc.Contracts(ctx)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.AllianceContract](cs)
	return api.ListAllianceContracts200JSONResponse{Items: items}, err
}

func contractOut(c *alliance.Contract, err error) (api.AllianceContract, error) {
	if err != nil {
		return api.AllianceContract{}, err
	}
	return recast[api.AllianceContract](c)
}

// SubmitAllianceContract registers a chaincode version.
func (s *Server) SubmitAllianceContract(ctx context.Context, r api.SubmitAllianceContractRequestObject) (api.SubmitAllianceContractResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	b := r.Body
	out, err := contractOut(svc.SubmitContract(ctx, actor(ctx), alliance.ContractDefinition{Chaincode: b.Chaincode, Version: b.Version,
		Name: b.Name, Purpose: b.Purpose, AssetTypes: b.AssetTypes, PackageDigest: b.PackageDigest}))
	if err != nil {
		return nil, err
	}
	return api.SubmitAllianceContract201JSONResponse(out), nil
}

// GetAllianceContract returns one registered version.
func (s *Server) GetAllianceContract(ctx context.Context, r api.GetAllianceContractRequestObject) (api.GetAllianceContractResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	out, err := contractOut(svc.Contract(ctx, r.ContractId))
	if err != nil {
		return nil, err
	}
	return api.GetAllianceContract200JSONResponse(out), nil
}

// ReviewAllianceContract approves or rejects a submitted version.
func (s *Server) ReviewAllianceContract(ctx context.Context, r api.ReviewAllianceContractRequestObject) (api.ReviewAllianceContractResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	out, err := contractOut(svc.ReviewContract(ctx, actor(ctx), r.ContractId, r.Body.Approve, str(r.Body.Note)))
	if err != nil {
		return nil, err
	}
	return api.ReviewAllianceContract200JSONResponse(out), nil
}

// DeployAllianceContract moves a version to test or production.
func (s *Server) DeployAllianceContract(ctx context.Context, r api.DeployAllianceContractRequestObject) (api.DeployAllianceContractResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	out, err := contractOut(svc.Deploy(ctx, actor(ctx), r.ContractId, string(r.Body.Stage), str(r.Body.Note)))
	if err != nil {
		return nil, err
	}
	return api.DeployAllianceContract200JSONResponse(out), nil
}

// AbolishAllianceContract abolishes a version.
func (s *Server) AbolishAllianceContract(ctx context.Context, r api.AbolishAllianceContractRequestObject) (api.AbolishAllianceContractResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	out, err := contractOut(svc.AbolishContract(ctx, actor(ctx), r.ContractId, r.Body.Note))
	if err != nil {
		return nil, err
	}
	return api.AbolishAllianceContract200JSONResponse(out), nil
}

// GetAllianceConfiguration returns the effective configuration, masked, as
// the JSON the process logs at start: written as it is, so its fields keep
// their declaration order (a Go map would sort them).
func (s *Server) GetAllianceConfiguration(_ context.Context, _ api.GetAllianceConfigurationRequestObject) (api.GetAllianceConfigurationResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	raw := svc.Configuration()
	var probe map[string]any
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return rawConfiguration(raw), nil
}

// rawConfiguration answers getAllianceConfiguration with JSON as it is.
type rawConfiguration json.RawMessage

// VisitGetAllianceConfigurationResponse writes the 200 response.
func (r rawConfiguration) VisitGetAllianceConfigurationResponse(w http.ResponseWriter) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(r)
	return err
}

// GetAllianceVersions returns every component's version.
func (s *Server) GetAllianceVersions(ctx context.Context, _ api.GetAllianceVersionsRequestObject) (api.GetAllianceVersionsResponseObject, error) {
	svc, err := s.allianceService()
	if err != nil {
		return nil, err
	}
	cs, err := svc.Versions(ctx)
	if err != nil {
		return nil, err
	}
	items, err := recast[[]api.AllianceComponent](cs)
	return api.GetAllianceVersions200JSONResponse{Items: items}, err
}
