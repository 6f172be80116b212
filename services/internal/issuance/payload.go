package issuance

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Signing actions: the domain tags of the two signatures a document carries
// (model.SigningMessage), so neither can be replayed as the other or as a
// chain transaction.
const (
	ActionPayload = "issuance.Payload"
	ActionPDF     = "issuance.PDF"
)

// payloadPrefix starts every encoded payload: scanners recognise a Kaiban
// document by it, and the version allows a later format.
const payloadPrefix = "KBV1:"

// Payload is the verification payload printed as a QR code on a document. It
// is self-contained: the digest pins the printed fields and the signature
// proves the issuing department made it for this asset.
type Payload struct {
	Asset  string `json:"a"`
	Kind   Kind   `json:"k"`
	USCC   string `json:"u"`
	Issuer string `json:"i"`
	// Content is the SM3 hex digest of the document's canonical fields
	// (FieldsDigest).
	Content string `json:"d"`
	// Signature is the issuer's SM2 signature (DER, base64) over
	// SigningMessage(ActionPayload, Canonical of the payload without it).
	Signature string `json:"s,omitempty"`
}

// Message returns the bytes the payload's signature covers.
func (p Payload) Message() ([]byte, error) {
	p.Signature = ""
	c, err := model.Canonical(p)
	if err != nil {
		return nil, fmt.Errorf("canonical payload: %w", err)
	}
	return model.SigningMessage(ActionPayload, c), nil
}

// Encode returns the compact string form printed in the QR code:
// "KBV1:" followed by the unpadded base64url of the canonical JSON.
func (p Payload) Encode() (string, error) {
	c, err := model.Canonical(p)
	if err != nil {
		return "", fmt.Errorf("canonical payload: %w", err)
	}
	return payloadPrefix + base64.RawURLEncoding.EncodeToString(c), nil
}

// DecodePayload parses a payload's string form (Encode), or its JSON.
func DecodePayload(s string) (Payload, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	switch {
	case strings.HasPrefix(s, payloadPrefix):
		b, err := base64.RawURLEncoding.DecodeString(s[len(payloadPrefix):])
		if err != nil {
			return Payload{}, fmt.Errorf("%w: payload is not base64url: %v", ErrInvalid, err)
		}
		raw = b
	case strings.HasPrefix(s, "{"):
		raw = []byte(s)
	default:
		return Payload{}, fmt.Errorf("%w: payload must start with %q", ErrInvalid, payloadPrefix)
	}
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Payload{}, fmt.Errorf("%w: payload JSON: %v", ErrInvalid, err)
	}
	if !p.Kind.Valid() || !isID(p.Asset) || len(p.Content) != 64 || p.Signature == "" || p.Issuer == "" {
		return Payload{}, fmt.Errorf("%w: payload lacks asset, kind, issuer, digest or signature", ErrInvalid)
	}
	return p, nil
}

// FieldsDigest returns the SM3 hex digest of the document's content as
// canonical JSON: kind, asset, company, issuer, issue time and fields. Layout
// changes of the PDF do not change it; a changed value does.
func FieldsDigest(d Document) (string, error) {
	c, err := model.Canonical(struct {
		Kind       Kind    `json:"kind"`
		Asset      string  `json:"asset"`
		USCC       string  `json:"uscc"`
		Company    string  `json:"companyName"`
		Issuer     string  `json:"issuer"`
		IssuerName string  `json:"issuerName"`
		IssuedAt   string  `json:"issuedAt"`
		Fields     []Field `json:"fields"`
	}{d.Kind, d.Asset, d.USCC, d.CompanyName, d.Issuer, d.IssuerName, model.FormatTime(d.IssuedAt), d.Fields})
	if err != nil {
		return "", fmt.Errorf("canonical document: %w", err)
	}
	return gm.Hex(c), nil
}

// pdfMessage returns the bytes the PDF signature covers: the asset and the
// SM3 digest of the file.
func pdfMessage(asset, digest string) []byte {
	c, _ := model.Canonical(struct {
		Asset  string `json:"asset"`
		Digest string `json:"digest"`
	}{asset, digest})
	return model.SigningMessage(ActionPDF, c)
}
