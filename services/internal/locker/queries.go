package locker

import (
	"context"
	"encoding/hex"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// The asset queries of 7.4.4 d that read the chain alone: d 1 status,
// d 2 latest transaction, d 5 encryption mode. d 3 and d 4 are ViewByCode and
// VerifyAuthCode, d 6 is ReleaseKey.

// AssetStatus returns an asset's status (7.4.4 d 1).
func (s *Service) AssetStatus(ctx context.Context, id string) (string, error) {
	return s.evaluateString(ctx, "GetAssetStatus", id)
}

// LatestTxID returns the ID of the transaction that last changed the asset
// (7.4.4 d 2).
func (s *Service) LatestTxID(ctx context.Context, id string) (string, error) {
	return s.evaluateString(ctx, "GetLatestTxID", id)
}

// EncryptionMode returns how the asset's data key is protected (7.4.4 d 5).
func (s *Service) EncryptionMode(ctx context.Context, id string) (model.EncryptionMode, error) {
	m, err := s.evaluateString(ctx, "GetEncryptionMode", id)
	return model.EncryptionMode(m), err
}

func (s *Service) evaluateString(ctx context.Context, function, id string) (string, error) {
	if len(id) != 32 {
		return "", fmt.Errorf("asset ID %q: %w", id, ErrInvalid)
	}
	ct, err := s.chain.Contract(s.gateway, model.ChaincodeAsset)
	if err != nil {
		return "", err
	}
	out, err := ct.Evaluate(ctx, function, chain.WithArguments(id))
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", function, id, chainErr(err))
	}
	v := string(out)
	if len(v) >= 2 && v[0] == '"' {
		v = v[1 : len(v)-1]
	}
	return v, nil
}

// ReleasedKey is a symmetric-mode data key released to its owner (7.4.4 d 6)
// with the access record that logs the release.
type ReleasedKey struct {
	Asset  string             `json:"asset"`
	Key    string             `json:"key"` // hex SM4 data key
	Access model.AccessRecord `json:"access"`
}

// ReleaseKey releases the SM4 data key of an asset in symmetric mode to its
// owner, only against the unlock password (7.4.4 d 6); the release is
// recorded on chain (action key) before the key is returned.
func (s *Service) ReleaseKey(ctx context.Context, owner, password, id, reason string) (*ReleasedKey, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if err := checkReason(reason); err != nil {
		return nil, err
	}
	asset, err := s.chainAsset(ctx, id)
	if err != nil {
		return nil, err
	}
	if asset.Owner != owner {
		return nil, fmt.Errorf("release key of %s: only the owner: %w", id, ErrDenied)
	}
	if asset.Encryption != model.EncryptSymmetric {
		return nil, fmt.Errorf("release key of %s: the asset is in mode %s, not symmetric: %w", id, asset.Encryption, ErrState)
	}
	w := ownerKey(asset)
	if w == nil {
		return nil, fmt.Errorf("release key of %s: no owner key: %w", id, ErrState)
	}
	who := Accessor{Subject: owner, Password: password}
	dk, err := s.keys.Unwrap(ctx, who.owner(), password, id, *w)
	if err != nil {
		return nil, fmt.Errorf("release key of %s: %w", id, keyErr(err))
	}
	defer clear(dk)
	access, _, err := s.recordAccess(ctx, model.AccessRecording{Asset: id, Accessor: owner, Action: model.AccessKey, Reason: reason}, who, nil)
	if err != nil {
		return nil, err
	}
	return &ReleasedKey{Asset: id, Key: hex.EncodeToString(dk), Access: *access}, nil
}
