package issuance

import (
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// Signer signs with the issuing department's SM2 key; keys.Signer (a
// SoftKey unlocked from custody, or an HSM) implements it.
type Signer interface {
	Public() *ecdsa.PublicKey
	Sign(msg []byte) ([]byte, error)
}

// ErrBadSignature is wrapped when a signature does not verify under the
// issuer's key.
var ErrBadSignature = errors.New("signature does not verify")

// Signed is a rendered, signed document.
type Signed struct {
	Document Document
	Payload  Payload // with its signature
	// PDF is the rendered file; Digest its SM3 hex digest (the asset's
	// content digest) and Signature the issuer's SM2 signature (DER) over
	// pdfMessage(asset, Digest).
	PDF       []byte
	Digest    string
	Signature []byte
}

// Sign renders d and signs it with the issuing department's key: first the
// QR payload (which the PDF prints), then the PDF's SM3 digest.
func (r *Renderer) Sign(d Document, s Signer) (Signed, error) {
	if err := d.Validate(); err != nil {
		return Signed{}, err
	}
	content, err := FieldsDigest(d)
	if err != nil {
		return Signed{}, err
	}
	p := Payload{Asset: d.Asset, Kind: d.Kind, USCC: d.USCC, Issuer: d.Issuer, Content: content}
	msg, err := p.Message()
	if err != nil {
		return Signed{}, err
	}
	psig, err := s.Sign(msg)
	if err != nil {
		return Signed{}, fmt.Errorf("sign payload of %s: %w", d.Asset, err)
	}
	p.Signature = base64.StdEncoding.EncodeToString(psig)
	pdf, err := r.Render(d, p)
	if err != nil {
		return Signed{}, err
	}
	digest := gm.Hex(pdf)
	sig, err := s.Sign(pdfMessage(d.Asset, digest))
	if err != nil {
		return Signed{}, fmt.Errorf("sign PDF of %s: %w", d.Asset, err)
	}
	return Signed{Document: d, Payload: p, PDF: pdf, Digest: digest, Signature: sig}, nil
}

// VerifyPayloadSignature checks p's signature under the issuer's public key.
func VerifyPayloadSignature(pub *ecdsa.PublicKey, p Payload) error {
	sig, err := base64.StdEncoding.DecodeString(p.Signature)
	if err != nil {
		return fmt.Errorf("%w: payload signature is not base64", ErrInvalid)
	}
	msg, err := p.Message()
	if err != nil {
		return err
	}
	if !gm.Verify(pub, msg, sig) {
		return fmt.Errorf("payload of asset %s: %w", p.Asset, ErrBadSignature)
	}
	return nil
}

// VerifyPDFSignature checks the issuer's signature over the PDF digest of
// asset.
func VerifyPDFSignature(pub *ecdsa.PublicKey, asset, digest string, sig []byte) error {
	if !gm.Verify(pub, pdfMessage(asset, digest), sig) {
		return fmt.Errorf("PDF of asset %s: %w", asset, ErrBadSignature)
	}
	return nil
}
