package asset

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// GetAsset returns an asset's record (数字资产查看, 7.4.2 e). The record holds
// no content and no plain data key, only digests, the storage reference and
// keys wrapped for their recipients, so every channel member may read it.
func (c *Contract) GetAsset(ctx contractapi.TransactionContextInterface, id string) (*model.Asset, error) {
	a, _, err := loadAsset(ctx.GetStub(), id)
	return a, err
}

// GetAssetStatus returns an asset's latest status (7.4.4 d 1): available,
// revoked or abolished, or pending-review or rejected for a self-upload.
func (c *Contract) GetAssetStatus(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	a, _, err := loadAsset(ctx.GetStub(), id)
	if err != nil {
		return "", err
	}
	return a.Status, nil
}

// GetLatestTxID returns the ID of the latest transaction that changed the
// asset (7.4.4 d 2); a transfer must name it as LatestTx.
func (c *Contract) GetLatestTxID(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	a, _, err := loadAsset(ctx.GetStub(), id)
	if err != nil {
		return "", err
	}
	return a.UpdatedTx, nil
}

// GetEncryptionMode returns how the asset's data key is protected for its
// owner (7.4.4 d 5): "sm4" (symmetric, under a key derived from the locker's
// unlock password) or "sm2" (asymmetric, under the owner's public key).
func (c *Contract) GetEncryptionMode(ctx contractapi.TransactionContextInterface, id string) (string, error) {
	a, _, err := loadAsset(ctx.GetStub(), id)
	if err != nil {
		return "", err
	}
	return string(a.Encryption), nil
}

// GetAssetHistory returns every committed version of an asset, newest first,
// each with its transaction ID and time (7.3 g, 7.6.2 e): issue, review,
// transfers, revocation, abolition.
func (c *Contract) GetAssetHistory(ctx contractapi.TransactionContextInterface, id string) ([]model.AssetHistoryEntry, error) {
	stub := ctx.GetStub()
	_, k, err := loadAsset(stub, id)
	if err != nil {
		return nil, err
	}
	it, err := stub.GetHistoryForKey(k)
	if err != nil {
		return nil, fmt.Errorf("history of asset %s: %w", id, err)
	}
	defer it.Close()
	entries := make([]model.AssetHistoryEntry, 0)
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("history of asset %s: %w", id, err)
		}
		e := model.AssetHistoryEntry{TxID: m.GetTxId(), IsDelete: m.GetIsDelete()}
		if ts := m.GetTimestamp(); ts != nil {
			e.Timestamp = model.FormatTime(ts.AsTime())
		}
		if !e.IsDelete {
			e.Asset = new(model.Asset)
			if err := json.Unmarshal(m.GetValue(), e.Asset); err != nil {
				return nil, fmt.Errorf("history of asset %s at %s: %w", id, e.TxID, err)
			}
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// ListAssetsByOwner returns a page of an owner's assets (the locker, 7.6.2 a)
// ordered by type, then ID; assetType "" lists every type, otherwise only
// that type. All statuses are listed; pageSize 0 means
// ledger.DefaultPageSize.
func (c *Contract) ListAssetsByOwner(ctx contractapi.TransactionContextInterface, owner, assetType string, pageSize int32, bookmark string) (*model.AssetPage, error) {
	if owner == "" {
		return nil, model.Errorf(model.CodeInvalid, "owner is required")
	}
	attrs := []string{owner}
	if assetType != "" {
		attrs = append(attrs, assetType)
	}
	stub := ctx.GetStub()
	page := &model.AssetPage{Items: make([]model.Asset, 0)}
	next, err := ledger.Page(stub, ownerIndex, attrs, pageSize, bookmark, func(keyAttrs []string, _ []byte) error {
		if len(keyAttrs) != 3 {
			return fmt.Errorf("index entry %v of %s is malformed", keyAttrs, ownerIndex)
		}
		a, _, err := loadAsset(stub, keyAttrs[2])
		if err != nil {
			return err
		}
		page.Items = append(page.Items, *a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.Bookmark = next
	return page, nil
}
