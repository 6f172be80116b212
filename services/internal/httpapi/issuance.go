package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
)

// The unified issuance operations (api-spec block `# --- issuance ---`):
// department systems issue their result documents, the window issues a
// process's bundle, and anyone verifies a document or its QR payload.

// errIssuanceOff is the answer of a process that does not run issuance.
var errIssuanceOff = errors.New("unified issuance does not run in this process")

func init() {
	// The contract validator reads a PDF body as an opaque file.
	openapi3filter.RegisterBodyDecoder("application/pdf", openapi3filter.FileBodyDecoder)
}

func (s *Server) issuanceService() (*issuance.Service, error) {
	if s.issuance == nil {
		return nil, errIssuanceOff
	}
	return s.issuance, nil
}

// IssueDocument issues the caller's department's result for a process.
func (s *Server) IssueDocument(ctx context.Context, r api.IssueDocumentRequestObject) (api.IssueDocumentResponseObject, error) {
	svc, err := s.issuanceService()
	if err != nil {
		return nil, err
	}
	p := identity.PrincipalFrom(ctx)
	if p == nil || p.Department == "" {
		return nil, fmt.Errorf("%w: only a department's system or staff issues documents", issuance.ErrDenied)
	}
	req := issuance.DepartmentIssue{Department: p.Department, Process: r.Body.Process,
		Kind: issuance.Kind(r.Body.Kind), Password: deref(r.Body.Password)}
	if l := r.Body.Licence; l != nil {
		req.Licence = &issuance.Licence{USCC: l.Uscc, Name: l.Name, Type: l.Type, LegalRepresentative: l.LegalRepresentative,
			RegisteredCapital: l.RegisteredCapital, EstablishedOn: l.EstablishedOn.Time, Address: l.Address, Scope: l.Scope}
	}
	if r.Body.Results != nil {
		for _, f := range *r.Body.Results {
			req.Results = append(req.Results, issuance.Field{Key: f.Key, Label: f.Label, Value: f.Value})
		}
	}
	d, err := svc.IssueForDepartment(ctx, req)
	if err != nil {
		return nil, err
	}
	return api.IssueDocument201JSONResponse(issuedDocument(*d)), nil
}

// ListIssuedDocuments lists a process's documents.
func (s *Server) ListIssuedDocuments(ctx context.Context, r api.ListIssuedDocumentsRequestObject) (api.ListIssuedDocumentsResponseObject, error) {
	svc, err := s.issuanceService()
	if err != nil {
		return nil, err
	}
	ds, err := svc.Documents(ctx, r.ProcessId)
	if err != nil {
		return nil, err
	}
	out := api.IssuedDocumentList{Items: make([]api.IssuedDocument, 0, len(ds))}
	for _, d := range ds {
		out.Items = append(out.Items, issuedDocument(d))
	}
	return api.ListIssuedDocuments200JSONResponse(out), nil
}

// IssueBundle queues a decided process's bundle.
func (s *Server) IssueBundle(ctx context.Context, r api.IssueBundleRequestObject) (api.IssueBundleResponseObject, error) {
	svc, err := s.issuanceService()
	if err != nil {
		return nil, err
	}
	items, err := svc.Bundle(ctx, r.ProcessId)
	if err != nil {
		return nil, err
	}
	out := api.IssuanceBundle{Process: r.ProcessId, Items: make([]api.IssuanceBundleItem, 0, len(items))}
	for _, it := range items {
		item := api.IssuanceBundleItem{Step: it.Step, Status: api.IssuanceBundleItemStatus(it.Status)}
		if it.Asset != "" {
			item.Asset = &it.Asset
		}
		out.Items = append(out.Items, item)
	}
	return api.IssueBundle202JSONResponse(out), nil
}

// VerifyDocumentPdf verifies an uploaded PDF.
func (s *Server) VerifyDocumentPdf(ctx context.Context, r api.VerifyDocumentPdfRequestObject) (api.VerifyDocumentPdfResponseObject, error) {
	svc, err := s.issuanceService()
	if err != nil {
		return nil, err
	}
	pdf, err := io.ReadAll(io.LimitReader(r.Body, issuance.MaxPDFBytes+1))
	if err != nil {
		return nil, err
	}
	v, err := svc.VerifyPDF(ctx, pdf)
	if err != nil {
		return nil, err
	}
	return api.VerifyDocumentPdf200JSONResponse(verification(v)), nil
}

// VerifyDocumentPayload verifies a QR payload.
func (s *Server) VerifyDocumentPayload(ctx context.Context, r api.VerifyDocumentPayloadRequestObject) (api.VerifyDocumentPayloadResponseObject, error) {
	svc, err := s.issuanceService()
	if err != nil {
		return nil, err
	}
	v, err := svc.VerifyPayload(ctx, r.Body.Payload)
	if err != nil {
		return nil, err
	}
	return api.VerifyDocumentPayload200JSONResponse(verification(v)), nil
}

func issuedDocument(d issuance.Issued) api.IssuedDocument {
	return api.IssuedDocument{Asset: d.Asset, Kind: api.DocumentKind(d.Kind), PdfDigest: d.PDFDigest,
		Payload: d.Payload, Queued: d.OutboxKey, Existing: d.Existing}
}

func verification(v issuance.Verification) api.DocumentVerification {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	out := api.DocumentVerification{Valid: v.Valid, Authentic: v.Authentic, Status: opt(v.Status),
		Asset: opt(v.Asset), Kind: opt(string(v.Kind)), Uscc: opt(v.USCC), Issuer: opt(v.Issuer),
		Digest: opt(v.Digest), TxId: opt(v.TxID), Reason: opt(v.Reason)}
	if !v.IssuedAt.IsZero() {
		t := v.IssuedAt.UTC().Truncate(time.Second)
		out.IssuedAt = &t
	}
	return out
}
