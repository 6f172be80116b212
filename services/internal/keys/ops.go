package keys

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Signature is an SM2 signature with the key that made it.
type Signature struct {
	KeyID string `json:"keyId"`
	// Value is the GM/T 0009 DER signature; chaincode arguments carry it in
	// standard base64.
	Value []byte `json:"value"`
}

// Sign unlocks owner's active key with password and signs msg through the
// Signer interface. To sign a chain request, msg is
// model.SigningMessage(action, canonical request).
func (s *Service) Sign(ctx context.Context, owner Owner, password string, msg []byte) (Signature, error) {
	sk, err := s.Unlock(ctx, owner, password)
	if err != nil {
		return Signature{}, err
	}
	defer sk.Destroy()
	return signWith(sk, sk.Key().ID, msg)
}

// signWith is the one place the service signs: through a Signer, never
// with a private key directly, so that an HSM-backed Signer slots in.
func signWith(signer Signer, keyID string, msg []byte) (Signature, error) {
	sig, err := signer.Sign(msg)
	if err != nil {
		return Signature{}, err
	}
	return Signature{KeyID: keyID, Value: sig}, nil
}

// Verify checks sig over msg against owner's keys, the active one first,
// then the retired ones (a signature made before a rotation stays valid). It
// returns the key that verifies, or ErrBadSignature.
func (s *Service) Verify(ctx context.Context, owner Owner, msg, sig []byte) (Key, error) {
	if err := owner.Validate(); err != nil {
		return Key{}, err
	}
	rs, err := s.db.ownerKeys(ctx, owner)
	if err != nil {
		return Key{}, err
	}
	for _, r := range rs {
		pub, err := r.PublicKey()
		if err != nil {
			return Key{}, err
		}
		if gm.Verify(pub, msg, sig) {
			return r.Key, nil
		}
	}
	return Key{}, fmt.Errorf("signature by %s: %w", owner, ErrBadSignature)
}

// WrapFor wraps dataKey for recipient's active public key (asymmetric
// mode); no password is needed.
func (s *Service) WrapFor(ctx context.Context, recipient Owner, dataKey []byte) (model.WrappedKey, error) {
	k, err := s.ActiveKey(ctx, recipient)
	if err != nil {
		return model.WrappedKey{}, err
	}
	pub, err := k.PublicKey()
	if err != nil {
		return model.WrappedKey{}, err
	}
	return WrapForPublicKey(recipient.ID, pub, dataKey)
}

// WrapSymmetric wraps dataKey for assetID under owner's symmetric account
// key, unlocked with password (symmetric mode).
func (s *Service) WrapSymmetric(ctx context.Context, owner Owner, password, assetID string, dataKey []byte) (model.WrappedKey, error) {
	if err := checkDataKey(dataKey); err != nil {
		return model.WrappedKey{}, err
	}
	if err := checkAssetID(assetID); err != nil {
		return model.WrappedKey{}, err
	}
	sk, err := s.Unlock(ctx, owner, password)
	if err != nil {
		return model.WrappedKey{}, err
	}
	defer sk.Destroy()
	return wrapSymmetric(sk, assetID, dataKey)
}

// Unwrap recovers an asset's data key from w, a key wrapped for owner, with
// owner's unlock password: in asymmetric mode with whichever of owner's keys
// it was encrypted to, in symmetric mode with the account key the blob
// names, bound to assetID (7.4.4 d 6). A key that none of owner's keys opens
// is ErrDecrypt.
func (s *Service) Unwrap(ctx context.Context, owner Owner, password, assetID string, w model.WrappedKey) ([]byte, error) {
	if err := owner.Validate(); err != nil {
		return nil, err
	}
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	raw, err := decodeWrapped(owner, w)
	if err != nil {
		return nil, err
	}
	if w.Mode == model.EncryptSymmetric {
		return s.unwrapSymmetric(ctx, owner, password, assetID, raw)
	}
	// The active key first and under the lockout counter; the retired ones,
	// which share its password, only if it fails.
	rs, err := s.db.ownerKeys(ctx, owner)
	if err != nil {
		return nil, err
	}
	for i, r := range rs {
		var sk *SoftKey
		if i == 0 {
			sk, err = s.sessionUnlock(ctx, owner, r, password)
		} else {
			sk, err = s.open(ctx, r, password)
		}
		if err != nil {
			return nil, err
		}
		dataKey, err := unwrapWith(sk, raw)
		sk.Destroy()
		if err == nil {
			return dataKey, nil
		}
	}
	return nil, fmt.Errorf("data key for %s: %w", owner, ErrDecrypt)
}

// unwrapWith opens an asymmetric wrapped key through the Decrypter
// interface.
func unwrapWith(d Decrypter, ciphertext []byte) ([]byte, error) {
	dataKey, err := d.Decrypt(ciphertext)
	if err != nil {
		return nil, err
	}
	if checkDataKey(dataKey) != nil {
		clear(dataKey)
		return nil, ErrDecrypt
	}
	return dataKey, nil
}

func (s *Service) unwrapSymmetric(ctx context.Context, owner Owner, password, assetID string, raw []byte) ([]byte, error) {
	if err := checkAssetID(assetID); err != nil {
		return nil, err
	}
	keyID, sealed, err := symmetricKeyID(raw)
	if err != nil {
		return nil, err
	}
	r, err := s.db.keyByID(ctx, keyID)
	if errors.Is(err, ErrNotFound) || (err == nil && r.Owner != owner) {
		return nil, fmt.Errorf("data key for %s: %w", owner, ErrDecrypt)
	}
	if err != nil {
		return nil, err
	}
	sk, err := s.sessionUnlock(ctx, owner, r, password)
	if err != nil {
		return nil, err
	}
	defer sk.Destroy()
	dataKey, err := sk.openSymmetric(sealed, symWrapAAD(owner, assetID, keyID))
	if err != nil {
		return nil, fmt.Errorf("data key for %s: %w", owner, err)
	}
	return dataKey, nil
}

// EncodeSignature renders a signature as chaincode arguments carry it.
func EncodeSignature(sig []byte) string { return base64.StdEncoding.EncodeToString(sig) }
