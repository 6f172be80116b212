package httpapi

import (
	"context"
	"errors"
	"strconv"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// The audit operations (tag audit), for the audit administrator.

var errNoAudit = errors.New("audit log not configured")

func (s *Server) ListAuditRecords(ctx context.Context, r api.ListAuditRecordsRequestObject) (api.ListAuditRecordsResponseObject, error) {
	if s.sec.Audit == nil {
		return nil, errNoAudit
	}
	p := r.Params
	f := audit.Filter{ActorID: deref(p.Actor), Action: deref(p.Action), RequestID: deref(p.RequestId), Limit: 50}
	if p.Result != nil {
		f.Result = string(*p.Result)
	}
	if p.From != nil {
		f.From = *p.From
	}
	if p.To != nil {
		f.To = *p.To
	}
	if p.Limit != nil {
		f.Limit = *p.Limit
	}
	if p.Cursor != nil {
		before, err := strconv.ParseUint(*p.Cursor, 10, 63)
		if err != nil || before == 0 {
			return nil, badCursor()
		}
		f.Before = before
	}
	recs, err := s.sec.Audit.Query(ctx, f)
	if errors.Is(err, audit.ErrBadFilter) {
		return nil, &ValidationError{Fields: []api.FieldError{{In: "query", Field: "from", Detail: err.Error()}}}
	}
	if err != nil {
		return nil, err
	}
	out := api.ListAuditRecords200JSONResponse{Items: make([]api.AuditRecord, len(recs))}
	for i, rec := range recs {
		out.Items[i] = api.AuditRecord{Seq: int64(rec.Seq), Time: rec.Time, ActorKind: api.AuditRecordActorKind(rec.ActorKind),
			ActorId: rec.ActorID, ActorName: rec.ActorName, Action: rec.Action, Resource: rec.Resource,
			Result: api.AuditResult(rec.Result), Status: rec.Status, Source: rec.Source, RequestId: rec.RequestID,
			Detail: rec.Detail, PrevHash: rec.PrevHash, Hash: rec.Hash}
	}
	if len(recs) == f.Limit && recs[len(recs)-1].Seq > 1 {
		next := strconv.FormatUint(recs[len(recs)-1].Seq, 10)
		out.Next = &next
	}
	return out, nil
}

func (s *Server) VerifyAudit(ctx context.Context, _ api.VerifyAuditRequestObject) (api.VerifyAuditResponseObject, error) {
	if s.sec.Audit == nil {
		return nil, errNoAudit
	}
	rep, err := s.sec.Audit.Verify(ctx, s.sec.Anchors)
	if err != nil {
		return nil, err
	}
	out := api.VerifyAudit200JSONResponse{Ok: rep.OK, Rows: int64(rep.Rows), HeadSeq: int64(rep.HeadSeq), HeadHash: rep.HeadHash,
		Anchors: rep.Anchors, ChainChecked: rep.ChainChecked, Truncated: rep.Truncated, VerifiedAt: rep.VerifiedAt,
		Problems: make([]api.AuditProblem, len(rep.Problems))}
	if rep.LatestAnchor != nil {
		a := toAnchor(*rep.LatestAnchor)
		out.LatestAnchor = &a
	}
	for i, p := range rep.Problems {
		out.Problems[i] = api.AuditProblem{Seq: int64(p.Seq), Kind: api.AuditProblemKind(p.Kind), Detail: p.Detail}
	}
	return out, nil
}

func (s *Server) ListAuditAnchors(ctx context.Context, r api.ListAuditAnchorsRequestObject) (api.ListAuditAnchorsResponseObject, error) {
	if s.sec.Audit == nil {
		return nil, errNoAudit
	}
	limit := 50
	if r.Params.Limit != nil {
		limit = *r.Params.Limit
	}
	list, err := s.sec.Audit.Anchors(ctx, limit)
	if err != nil {
		return nil, err
	}
	out := api.ListAuditAnchors200JSONResponse{Items: make([]api.AuditAnchor, len(list))}
	for i, a := range list {
		out.Items[i] = toAnchor(a)
	}
	return out, nil
}

func toAnchor(a audit.Anchor) api.AuditAnchor {
	return api.AuditAnchor{Seq: int64(a.Seq), Head: a.Head, TxId: a.TxID, AnchoredAt: a.AnchoredAt}
}
