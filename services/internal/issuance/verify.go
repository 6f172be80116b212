package issuance

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// MaxPDFBytes bounds a PDF sent for verification; issued documents are a
// few hundred kilobytes.
const MaxPDFBytes = 8 << 20

// Verification is the answer to "is this document genuine, and does it still
// hold?". It is an answer, not an error: a forged or altered document is a
// Verification with Authentic false and the reason.
type Verification struct {
	// Valid is Authentic and the asset available on chain.
	Valid bool `json:"valid"`
	// Authentic says the document (or payload) was signed by the issuing
	// department recorded on chain, unaltered, for the asset named.
	Authentic bool `json:"authentic"`
	// Status is the asset's status on chain: available, revoked or
	// abolished; empty when the chain has no such asset.
	Status   string    `json:"status,omitempty"`
	Asset    string    `json:"asset,omitempty"`
	Kind     Kind      `json:"kind,omitempty"`
	USCC     string    `json:"uscc,omitempty"`
	Issuer   string    `json:"issuer,omitempty"`
	IssuedAt time.Time `json:"issuedAt,omitzero"`
	// Digest is the SM3 digest of the PDF checked (PDF verification only).
	Digest string `json:"digest,omitempty"`
	// TxID is the chain transaction that last changed the asset.
	TxID string `json:"txId,omitempty"`
	// Reason says why the document is not valid; empty when it is.
	Reason string `json:"reason,omitempty"`
}

// onChain is what the chain (through its projection) says of an asset.
type onChain struct {
	asset     model.Asset
	publicKey string
	found     bool
}

func (s *Service) chainAsset(ctx context.Context, q querier, id string) (onChain, error) {
	var out onChain
	var record, member []byte
	var inForce *string
	// The issuer's key in force when the asset was created signed it: a
	// department that rotated its key since still has its earlier documents
	// verified, and a document made with a retired key after the change is
	// not. Without a key history the member's current key is all there is.
	err := q.QueryRow(ctx, `
		SELECT a.record, m.record,
			(SELECT k.public_key FROM ledger_member_keys k WHERE k.member = a.issuer AND k.valid_from <= a.created_at
			 ORDER BY k.valid_from DESC LIMIT 1)
		FROM ledger_assets a LEFT JOIN ledger_members m ON m.id = a.issuer
		WHERE a.id = $1`, id).Scan(&record, &member, &inForce)
	if errors.Is(err, pgx.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read asset %s: %w", id, err)
	}
	if err := json.Unmarshal(record, &out.asset); err != nil {
		return out, fmt.Errorf("asset %s: %w", id, err)
	}
	if member != nil {
		var m model.Member
		if err := json.Unmarshal(member, &m); err != nil {
			return out, fmt.Errorf("member %s: %w", out.asset.Issuer, err)
		}
		out.publicKey = m.PublicKey
	}
	if inForce != nil {
		out.publicKey = *inForce
	}
	out.found = true
	return out, nil
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// VerifyPDF checks a PDF file: that it is, byte for byte, a document issued
// here (its SM3 digest), that the issuing department's key on chain signed
// that digest, that the asset on chain has that content digest, and the
// asset's status. A file that is not a PDF is ErrInvalid.
func (s *Service) VerifyPDF(ctx context.Context, pdf []byte) (Verification, error) {
	if len(pdf) == 0 || len(pdf) > MaxPDFBytes || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return Verification{}, fmt.Errorf("%w: the file is not a PDF of at most %d MiB", ErrInvalid, MaxPDFBytes>>20)
	}
	v := Verification{Digest: gm.Hex(pdf)}
	var sig string
	err := s.pool.QueryRow(ctx, `
		SELECT asset_id, kind, uscc, issuer, pdf_signature, issued_at FROM issuance_documents WHERE pdf_digest = $1`,
		v.Digest).Scan(&v.Asset, &v.Kind, &v.USCC, &v.Issuer, &sig, &v.IssuedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		v.Reason = "no document with this SM3 digest was issued: the file is not an issued document, or it was altered"
		return v, nil
	}
	if err != nil {
		return v, fmt.Errorf("verify PDF %s: %w", v.Digest, err)
	}
	v.IssuedAt = v.IssuedAt.UTC()
	c, err := s.chainAsset(ctx, s.pool, v.Asset)
	if err != nil {
		return v, err
	}
	if reason := s.checkChain(&v, c); reason != "" {
		v.Reason = reason
		return v, nil
	}
	if c.asset.ContentDigest != v.Digest {
		v.Reason = "the asset on chain has another content digest"
		return v, nil
	}
	rawSig, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return v, fmt.Errorf("verify PDF %s: stored signature: %w", v.Digest, err)
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(c.publicKey))
	if err != nil {
		v.Reason = "the issuer's public key on chain is unusable"
		return v, nil
	}
	if err := VerifyPDFSignature(pub, v.Asset, v.Digest, rawSig); err != nil {
		v.Reason = "the issuing department's signature does not verify"
		return v, nil
	}
	return s.conclude(v, c), nil
}

// VerifyPayload checks a QR payload: its signature under the key the chain
// records for the issuing department, that it names the asset's kind and
// issuer on chain, and the asset's status. A payload that does not parse is
// ErrInvalid.
func (s *Service) VerifyPayload(ctx context.Context, payload string) (Verification, error) {
	p, err := DecodePayload(payload)
	if err != nil {
		return Verification{}, err
	}
	v := Verification{Asset: p.Asset, Kind: p.Kind, USCC: p.USCC, Issuer: p.Issuer}
	c, err := s.chainAsset(ctx, s.pool, p.Asset)
	if err != nil {
		return v, err
	}
	if reason := s.checkChain(&v, c); reason != "" {
		v.Reason = reason
		return v, nil
	}
	if c.asset.Issuer != p.Issuer || c.asset.Type != string(p.Kind) {
		v.Reason = "the payload names another issuer or kind than the asset on chain"
		return v, nil
	}
	pub, err := gm.ParsePublicKeyPEM([]byte(c.publicKey))
	if err != nil {
		v.Reason = "the issuer's public key on chain is unusable"
		return v, nil
	}
	if err := VerifyPayloadSignature(pub, p); err != nil {
		v.Reason = "the issuing department's signature does not verify"
		return v, nil
	}
	if at, err := model.ParseTime(c.asset.CreatedAt); err == nil {
		v.IssuedAt = at
	}
	return s.conclude(v, c), nil
}

func (s *Service) checkChain(v *Verification, c onChain) string {
	if !c.found {
		return "the chain has no such asset (not issued, or not yet committed)"
	}
	v.Status, v.TxID = c.asset.Status, c.asset.UpdatedTx
	if c.publicKey == "" {
		return "the chain has no public key for the issuer " + c.asset.Issuer
	}
	return ""
}

func (s *Service) conclude(v Verification, c onChain) Verification {
	v.Authentic = true
	switch c.asset.Status {
	case model.AssetAvailable:
		v.Valid = true
	case model.AssetRevoked:
		v.Reason = "the document is genuine but was revoked on chain"
	case model.AssetAbolished:
		v.Reason = "the document is genuine but was abolished on chain"
	default:
		v.Reason = "the document is genuine but its asset is " + c.asset.Status
	}
	return v
}
