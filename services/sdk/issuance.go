package sdk

import (
	"context"
	"net/url"
	"time"
)

// Document kinds: what each department issues (also the asset type on
// chain).
const (
	KindLicence     = "business-licence"
	KindSeal        = "seal-record"
	KindSocial      = "social-security-registration"
	KindMedical     = "medical-insurance-registration"
	KindHousingFund = "housing-fund-account"
	KindBank        = "bank-account-appointment"
	KindTax         = "tax-registration"
)

// Field is one printed result line of a notice.
type Field struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// Licence is a business licence's content; the market department assigns
// the USCC. EstablishedOn is a date ("2006-01-02").
type Licence struct {
	USCC                string `json:"uscc"`
	Name                string `json:"name"`
	Type                string `json:"type"`
	LegalRepresentative string `json:"legalRepresentative"`
	RegisteredCapital   string `json:"registeredCapital"`
	EstablishedOn       string `json:"establishedOn"`
	Address             string `json:"address"`
	Scope               string `json:"scope"`
}

// DocumentRequest is a department's result to issue for a process.
type DocumentRequest struct {
	Process string   `json:"process"`
	Kind    string   `json:"kind"`
	Licence *Licence `json:"licence,omitempty"`
	Results []Field  `json:"results,omitempty"`
	// Password unlocks the department's key in custody, which signs.
	Password string `json:"password"`
}

// IssuedDocument is a document issued into the applicant's locker.
type IssuedDocument struct {
	// Asset is the asset ID: name it in the step decision's Outputs.
	Asset     string `json:"asset"`
	Kind      string `json:"kind"`
	PDFDigest string `json:"pdfDigest"`
	// Payload is the verification payload printed as the QR code.
	Payload  string `json:"payload"`
	Queued   string `json:"queued"`
	Existing bool   `json:"existing"`
}

// IssueDocument renders the department's result (a licence or a notice) as
// a PDF signed with the department's key and issues it into the applicant's
// locker. Issuing the same document again returns the first issue.
func (c *Client) IssueDocument(ctx context.Context, r DocumentRequest) (*IssuedDocument, error) {
	var d IssuedDocument
	if err := c.do(ctx, "issueDocument", "POST", "/api/v1/issuance/documents", nil, r, "", &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// IssuedDocuments lists the documents issued for a process.
func (c *Client) IssuedDocuments(ctx context.Context, process string) ([]IssuedDocument, error) {
	var out struct {
		Items []IssuedDocument `json:"items"`
	}
	if err := c.do(ctx, "listIssuedDocuments", "GET", "/api/v1/issuance/processes/"+url.PathEscape(process)+"/documents", nil, nil, "", &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}

// Verification is the platform's answer about a document.
type Verification struct {
	Valid     bool      `json:"valid"`
	Authentic bool      `json:"authentic"`
	Status    string    `json:"status,omitempty"`
	Asset     string    `json:"asset,omitempty"`
	Kind      string    `json:"kind,omitempty"`
	USCC      string    `json:"uscc,omitempty"`
	Issuer    string    `json:"issuer,omitempty"`
	IssuedAt  time.Time `json:"issuedAt,omitzero"`
	Digest    string    `json:"digest,omitempty"`
	TxID      string    `json:"txId,omitempty"`
	Reason    string    `json:"reason,omitempty"`
}

// VerifyPDF checks a document file against the chain (no credentials
// needed).
func (c *Client) VerifyPDF(ctx context.Context, pdf []byte) (*Verification, error) {
	var v Verification
	if err := c.do(ctx, "verifyDocumentPdf", "POST", "/api/v1/issuance/verification/pdf", nil, pdf, "application/pdf", &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// VerifyPayload checks a document's QR payload against the chain.
func (c *Client) VerifyPayload(ctx context.Context, payload string) (*Verification, error) {
	var v Verification
	if err := c.do(ctx, "verifyDocumentPayload", "POST", "/api/v1/issuance/verification/payload", nil,
		map[string]string{"payload": payload}, "", &v); err != nil {
		return nil, err
	}
	return &v, nil
}
