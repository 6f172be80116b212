package issuance

import (
	"bytes"
	"encoding/asn1"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
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

// Prefixes of the payload's string forms: scanners recognise a Kaiban
// document by them. KBV2 (what Encode makes) packs the same fields in
// binary and writes them in base32, all in the QR code's alphanumeric set:
// 233 characters in 5.5 bits each instead of 372 bytes of base64url JSON, a
// version 8 symbol (49 modules a side) instead of version 13 (69), which
// halves the encoder's work and prints larger modules. KBV1 (base64url of
// the canonical JSON) is still read, and still written for a payload KBV2
// cannot carry.
const (
	payloadPrefix   = "KBV1:"
	payloadPrefixV2 = "KBV2:"
)

// base32V2 is RFC 4648 base32 without padding: upper-case letters and 2-7.
var base32V2 = base32.StdEncoding.WithPadding(base32.NoPadding)

// The fixed-size part of a KBV2 payload: asset (16 bytes), kind (1, its
// index in Kinds), fields digest (32), signature r ‖ s (64), USCC (18); the
// issuer's member ID (ASCII) follows.
const v2Fixed = 16 + 1 + 32 + 64 + 18

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

// Encode returns the compact string form printed in the QR code: "KBV2:"
// and the base32 of the packed fields, or, for a payload whose fields do
// not pack exactly (not lower-case hex, a signature not of two 256-bit
// integers, a non-ASCII issuer), "KBV1:" and the unpadded base64url of the
// canonical JSON.
func (p Payload) Encode() (string, error) {
	if packed, ok := p.packV2(); ok {
		return payloadPrefixV2 + base32V2.EncodeToString(packed), nil
	}
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
	case strings.HasPrefix(s, payloadPrefixV2):
		b, err := base32V2.DecodeString(s[len(payloadPrefixV2):])
		if err != nil {
			return Payload{}, fmt.Errorf("%w: payload is not base32: %v", ErrInvalid, err)
		}
		p, err := unpackV2(b)
		if err != nil {
			return Payload{}, err
		}
		return p, nil
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

// packV2 packs p for KBV2; ok is false when unpacking would not give p
// back exactly.
func (p Payload) packV2() ([]byte, bool) {
	kind := slices.Index(Kinds, p.Kind)
	asset, err1 := hex.DecodeString(p.Asset)
	content, err2 := hex.DecodeString(p.Content)
	der, err3 := base64.StdEncoding.DecodeString(p.Signature)
	var sig struct{ R, S *big.Int }
	rest, err4 := asn1.Unmarshal(der, &sig)
	if kind < 0 || err1 != nil || err2 != nil || err3 != nil || err4 != nil || len(rest) > 0 ||
		len(asset) != 16 || len(content) != 32 || len(p.USCC) != 18 || p.Issuer == "" || len(p.Issuer) > 64 ||
		sig.R.Sign() <= 0 || sig.S.Sign() <= 0 || sig.R.BitLen() > 256 || sig.S.BitLen() > 256 {
		return nil, false
	}
	out := make([]byte, 0, v2Fixed+len(p.Issuer))
	out = append(out, asset...)
	out = append(out, byte(kind))
	out = append(out, content...)
	out = append(out, sig.R.FillBytes(make([]byte, 32))...)
	out = append(out, sig.S.FillBytes(make([]byte, 32))...)
	out = append(out, p.USCC...)
	out = append(out, p.Issuer...)
	back, err := unpackV2(out)
	if err != nil || back != p {
		return nil, false
	}
	return out, true
}

// unpackV2 reads a KBV2 payload's packed fields.
func unpackV2(b []byte) (Payload, error) {
	if len(b) <= v2Fixed || len(b) > v2Fixed+64 || int(b[16]) >= len(Kinds) {
		return Payload{}, fmt.Errorf("%w: KBV2 payload of %d bytes or unknown kind", ErrInvalid, len(b))
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(b[49:81]), new(big.Int).SetBytes(b[81:113])})
	if err != nil {
		return Payload{}, fmt.Errorf("%w: KBV2 signature: %v", ErrInvalid, err)
	}
	p := Payload{
		Asset: hex.EncodeToString(b[:16]), Kind: Kinds[b[16]], Content: hex.EncodeToString(b[17:49]),
		Signature: base64.StdEncoding.EncodeToString(der), USCC: string(b[113:131]), Issuer: string(b[131:]),
	}
	for _, c := range []byte(p.USCC + p.Issuer) {
		if c <= ' ' || c > '~' {
			return Payload{}, fmt.Errorf("%w: KBV2 USCC or issuer is not printable ASCII", ErrInvalid)
		}
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
