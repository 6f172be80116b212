package keys

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Asset data keys are wrapped in the two modes of 7.4.4 d 5 and recorded on
// chain as model.WrappedKey:
//
//   - asymmetric (model.EncryptAsymmetric): Key is the base64 of
//     gm.Encrypt(recipient's SM2 public key, data key), the GM/T 0009
//     ciphertext any 国密 implementation opens with the recipient's private
//     key — department systems do so with their own keys;
//   - symmetric (model.EncryptSymmetric): Key is the base64 of
//     symWrapVersion ‖ key ID (16 bytes) ‖ gm.SealGCM(account key, data key,
//     AAD), where the account key is the owner's SM4 key held in custody under
//     the unlock password, and the AAD binds the owner and the asset ID. This
//     is 7.4.4 d 6: asset ID + unlock password give the data key.
//
// The symmetric account key is a custody secret rather than the password
// derivation itself, so that a password change or a k-of-n recovery (both
// re-seal custody under a new password) leaves every wrapped data key on
// chain readable; the key ID in the blob says which key version wrapped it,
// so rotation does not either.

const symWrapVersion = 1

// symWrapLen is the length of a symmetric wrapped data key.
const symWrapLen = 1 + 16 + gm.GCMNonceSize + gm.SM4KeySize + gm.GCMTagSize

// WrapForPublicKey wraps dataKey for recipientID's SM2 public key
// (asymmetric mode).
func WrapForPublicKey(recipientID string, pub *ecdsa.PublicKey, dataKey []byte) (model.WrappedKey, error) {
	if err := checkDataKey(dataKey); err != nil {
		return model.WrappedKey{}, err
	}
	ct, err := gm.Encrypt(pub, dataKey)
	if err != nil {
		return model.WrappedKey{}, fmt.Errorf("%w: recipient key: %w", ErrInvalid, err)
	}
	return model.WrappedKey{Recipient: recipientID, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString(ct)}, nil
}

// wrapSymmetric wraps dataKey for owner and assetID under the account key of
// sk (symmetric mode).
func wrapSymmetric(sk *SoftKey, assetID string, dataKey []byte) (model.WrappedKey, error) {
	if err := checkDataKey(dataKey); err != nil {
		return model.WrappedKey{}, err
	}
	if err := checkAssetID(assetID); err != nil {
		return model.WrappedKey{}, err
	}
	k := sk.Key()
	id, err := hex.DecodeString(k.ID)
	if err != nil || len(id) != 16 {
		return model.WrappedKey{}, fmt.Errorf("key ID %q is not 16 hex bytes", k.ID)
	}
	sealed, err := sk.sealSymmetric(dataKey, symWrapAAD(k.Owner, assetID, k.ID))
	if err != nil {
		return model.WrappedKey{}, err
	}
	blob := append(append([]byte{symWrapVersion}, id...), sealed...)
	return model.WrappedKey{Recipient: k.Owner.ID, Mode: model.EncryptSymmetric, Key: base64.StdEncoding.EncodeToString(blob)}, nil
}

// symmetricKeyID returns the ID of the key that wrapped a symmetric
// wrapped key, and the sealed data key.
func symmetricKeyID(blob []byte) (string, []byte, error) {
	if len(blob) != symWrapLen || blob[0] != symWrapVersion {
		return "", nil, fmt.Errorf("%w: not a symmetric wrapped key made by this service", ErrInvalid)
	}
	return hex.EncodeToString(blob[1:17]), blob[17:], nil
}

func symWrapAAD(owner Owner, assetID, keyID string) []byte {
	return joinAAD("KAIBAN-KEYS-ASSET-KEY-V1", string(owner.Kind), owner.ID, assetID, keyID)
}

// decodeWrapped checks a wrapped key's shape and decodes its Key field.
func decodeWrapped(owner Owner, w model.WrappedKey) ([]byte, error) {
	if w.Recipient != owner.ID {
		return nil, fmt.Errorf("%w: the key is wrapped for %q, not for %s", ErrInvalid, w.Recipient, owner)
	}
	if w.Mode != model.EncryptAsymmetric && w.Mode != model.EncryptSymmetric {
		return nil, fmt.Errorf("%w: wrapped key mode %q, want %q or %q", ErrInvalid, w.Mode, model.EncryptAsymmetric, model.EncryptSymmetric)
	}
	if len(w.Key) > 1024 {
		return nil, fmt.Errorf("%w: wrapped key is longer than 1024 characters", ErrInvalid)
	}
	raw, err := base64.StdEncoding.DecodeString(w.Key)
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("%w: wrapped key is not base64", ErrInvalid)
	}
	return raw, nil
}

func checkDataKey(dataKey []byte) error {
	if len(dataKey) != gm.SM4KeySize {
		return fmt.Errorf("%w: a data key is an SM4 key of %d bytes, not %d", ErrInvalid, gm.SM4KeySize, len(dataKey))
	}
	return nil
}

// checkAssetID applies chaincode/model's asset ID rule (DeriveID: 32
// lower-case hex digits).
func checkAssetID(assetID string) error {
	if !subjectIDPattern.MatchString(assetID) {
		return fmt.Errorf("%w: asset ID %q must be a 32-character lower-case hex ID", ErrInvalid, assetID)
	}
	return nil
}

// Digest returns the lower-case hex SM3 digest of everything r yields: the
// digest service of 7.4.3 d for asset content, transactions and blocks.
func Digest(r io.Reader) (string, error) {
	h := gm.NewHash()
	if _, err := io.Copy(h, r); err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyWithPublicKey checks sig, a DER SM2 signature, over msg by the PEM
// public key pubPEM. It wraps ErrInvalid for an unusable key and
// ErrBadSignature for a signature that does not verify.
func VerifyWithPublicKey(pubPEM string, msg, sig []byte) error {
	pub, err := gm.ParsePublicKeyPEM([]byte(pubPEM))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !gm.Verify(pub, msg, sig) {
		return ErrBadSignature
	}
	return nil
}
