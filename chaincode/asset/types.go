package asset

import (
	"encoding/json"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// DefineAssetType defines an asset type (数字资产定义, 7.4.2 e) or redefines
// an active one: its name, content schema, issuing and reviewing members and
// whether subjects may upload it themselves. The caller is an active member
// holding PermContract. Defining exactly what is on chain already writes
// nothing; an abolished type cannot be redefined.
func (c *Contract) DefineAssetType(ctx contractapi.TransactionContextInterface, definition string) (*model.AssetType, error) {
	var d model.AssetTypeDefinition
	if err := model.Decode(definition, &d); err != nil {
		return nil, err
	}
	if err := checkDefinition(&d); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	member, err := access.ActiveMember(ctx, c.dir, caller, model.PermContract)
	if err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	k, err := key(stub, typeObject, d.Code)
	if err != nil {
		return nil, err
	}
	var t model.AssetType
	exists, err := ledger.Get(stub, k, &t)
	if err != nil {
		return nil, err
	}
	if exists {
		if t.Status == typeAbolished {
			return nil, model.Errorf(model.CodeState, "asset type %s is abolished", d.Code)
		}
		if sameDefinition(&t, &d) {
			return &t, nil
		}
	}
	stamp, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	if !exists {
		t = model.AssetType{Code: d.Code, Status: model.StatusActive, CreatedAt: stamp.At, CreatedTx: stamp.Tx}
	}
	t.Name, t.Schema, t.Issuers, t.Reviewers, t.SelfUpload = d.Name, d.Schema, d.Issuers, d.Reviewers, d.SelfUpload
	t.DefinedBy = member.ID
	t.UpdatedAt, t.UpdatedTx = stamp.At, stamp.Tx
	if err := ledger.Put(stub, k, &t); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAssetTypeDefined, &t); err != nil {
		return nil, err
	}
	return &t, nil
}

// checkDefinition adds what model validation cannot know: the schema must be
// a JSON object and no member may be listed twice.
func checkDefinition(d *model.AssetTypeDefinition) error {
	var schema map[string]json.RawMessage
	if err := json.Unmarshal([]byte(d.Schema), &schema); err != nil {
		return model.Errorf(model.CodeInvalid, "schema is not a JSON object: %v", err)
	}
	if err := noDuplicates("issuers", d.Issuers); err != nil {
		return err
	}
	return noDuplicates("reviewers", d.Reviewers)
}

func sameDefinition(t *model.AssetType, d *model.AssetTypeDefinition) bool {
	return t.Name == d.Name && t.Schema == d.Schema && t.SelfUpload == d.SelfUpload &&
		slices.Equal(t.Issuers, d.Issuers) && slices.Equal(t.Reviewers, d.Reviewers)
}

// AbolishAssetType abolishes an asset type (7.6.5): no asset of it can be
// issued or approved any more; assets already issued keep their status. The
// caller is an active member holding PermContract; note says why. Repeating
// the same abolition writes nothing.
func (c *Contract) AbolishAssetType(ctx contractapi.TransactionContextInterface, code, note string) (*model.AssetType, error) {
	if err := checkNote(note); err != nil {
		return nil, err
	}
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := access.ActiveMember(ctx, c.dir, caller, model.PermContract); err != nil {
		return nil, err
	}
	stub := ctx.GetStub()
	t, k, err := loadType(stub, code)
	if err != nil {
		return nil, err
	}
	if t.Status == typeAbolished {
		if t.Note == note {
			return t, nil
		}
		return nil, model.Errorf(model.CodeState, "asset type %s is abolished already", code)
	}
	stamp, err := ledger.NewStamp(stub)
	if err != nil {
		return nil, err
	}
	t.Status, t.Note = typeAbolished, note
	t.UpdatedAt, t.UpdatedTx = stamp.At, stamp.Tx
	if err := ledger.Put(stub, k, t); err != nil {
		return nil, err
	}
	if err := ledger.Emit(stub, model.EventAssetTypeAbolished, t); err != nil {
		return nil, err
	}
	return t, nil
}

// GetAssetType returns an asset type.
func (c *Contract) GetAssetType(ctx contractapi.TransactionContextInterface, code string) (*model.AssetType, error) {
	t, _, err := loadType(ctx.GetStub(), code)
	return t, err
}

// ListAssetTypes returns a page of asset types in code order, abolished ones
// included; pageSize 0 means ledger.DefaultPageSize.
func (c *Contract) ListAssetTypes(ctx contractapi.TransactionContextInterface, pageSize int32, bookmark string) (*model.AssetTypePage, error) {
	page := &model.AssetTypePage{Items: make([]model.AssetType, 0)}
	next, err := ledger.Page(ctx.GetStub(), typeObject, nil, pageSize, bookmark, func(_ []string, value []byte) error {
		var t model.AssetType
		if err := json.Unmarshal(value, &t); err != nil {
			return err
		}
		page.Items = append(page.Items, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.Bookmark = next
	return page, nil
}
