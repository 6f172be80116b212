// Package asset is the asset chaincode (7.4.2 e): asset types, the issue of
// digital assets through the four channels of 7.6.2 c, the review that turns a
// self-upload into a trusted asset, transfer, revocation and abolition, and
// the queries of 7.4.4 d 1, 2 and 5 and of the locker (7.6.2 a).
//
// An asset record holds no content: the content is SM4-encrypted off chain
// under CipherDigest, ContentDigest (SM3) pins the plaintext, and the issuer's
// SM2 signature over the canonical issue request covers both, so an asset can
// be neither forged nor altered without the change showing (5e). Members and
// subjects are looked up in the subject chaincode through InvokeChaincode.
package asset

import (
	"slices"
	"unicode/utf8"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Contract is the asset chaincode's default contract. Its exported methods are
// its transactions.
type Contract struct {
	contractapi.Contract
	dir access.Directory
}

// New returns the contract, named model.ChaincodeAsset, asking the subject
// chaincode for members and subjects.
func New() *Contract {
	return &Contract{
		Contract: contractapi.Contract{Name: model.ChaincodeAsset},
		dir:      access.Remote{},
	}
}

// Composite-key object types of the records and the locker index.
const (
	typeObject  = "assettype"
	assetObject = "asset"
	// ownerIndex lists an owner's assets by type: attributes owner, type, id.
	ownerIndex = "asset~owner~type"
)

// typeAbolished is the status of an abolished asset type; a type is otherwise
// model.StatusActive.
const typeAbolished = model.AssetAbolished

// Actions bound into the SM2 signatures this chaincode checks: a signer signs
// model.SigningMessage(action, canonical request).
const (
	ActionIssueAsset    = model.ChaincodeAsset + ".IssueAsset"
	ActionReviewAsset   = model.ChaincodeAsset + ".ReviewAsset"
	ActionTransferAsset = model.ChaincodeAsset + ".TransferAsset"
)

// maxSignatureLen bounds a signature argument: a DER SM2 signature is at most
// 72 bytes, 96 in base64, so anything much longer is refused before it can
// cost a verification or be stored.
const maxSignatureLen = 256

// key builds the composite key of a caller-supplied ID. The shim refuses
// invalid UTF-8 and the reserved runes, which is the caller's fault here.
func key(stub ledger.Stub, objectType string, attrs ...string) (string, error) {
	k, err := stub.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", model.Errorf(model.CodeInvalid, "%s key %q: %v", objectType, attrs, err)
	}
	return k, nil
}

// loadType reads an asset type and returns it with its key.
func loadType(stub ledger.Stub, code string) (*model.AssetType, string, error) {
	k, err := key(stub, typeObject, code)
	if err != nil {
		return nil, "", err
	}
	var t model.AssetType
	if err := ledger.MustGet(stub, k, &t, "asset type "+code); err != nil {
		return nil, "", err
	}
	return &t, k, nil
}

// loadAsset reads an asset and returns it with its key.
func loadAsset(stub ledger.Stub, id string) (*model.Asset, string, error) {
	k, err := key(stub, assetObject, id)
	if err != nil {
		return nil, "", err
	}
	var a model.Asset
	if err := ledger.MustGet(stub, k, &a, "asset "+id); err != nil {
		return nil, "", err
	}
	return &a, k, nil
}

// verify checks an SM2 signature after bounding its length.
func verify(publicKeyPEM, action string, canonical []byte, signature, signer string) error {
	if len(signature) > maxSignatureLen {
		return model.Errorf(model.CodeSignature, "signature of %s is %d characters, longer than an SM2 signature", signer, len(signature))
	}
	return access.VerifySignature(publicKeyPEM, action, canonical, signature, signer)
}

// checkNote validates a free-text reason given as a plain parameter.
func checkNote(note string) error {
	switch {
	case note == "":
		return model.Errorf(model.CodeInvalid, "note is required")
	case !utf8.ValidString(note):
		return model.Errorf(model.CodeInvalid, "note is not valid UTF-8")
	case utf8.RuneCountInString(note) > model.MaxTextLen:
		return model.Errorf(model.CodeInvalid, "note is longer than %d characters", model.MaxTextLen)
	}
	return nil
}

// noDuplicates refuses a list naming the same ID twice.
func noDuplicates(field string, ids []string) error {
	for i, id := range ids {
		if slices.Contains(ids[:i], id) {
			return model.Errorf(model.CodeInvalid, "%s lists %s twice", field, id)
		}
	}
	return nil
}

// activeSubjectAs looks up a subject that is to act (issue, upload, sign a
// transfer): a missing or inactive subject, or one without perm, may not.
func activeSubjectAs(ctx contractapi.TransactionContextInterface, dir access.Directory, id, role string, perm model.Permission) (*model.Subject, error) {
	s, err := dir.Subject(ctx, id)
	if model.IsCode(err, model.CodeNotFound) {
		return nil, model.Errorf(model.CodeDenied, "%s %s is not a trusted subject", role, id)
	}
	if err != nil {
		return nil, err
	}
	if s.Status != model.StatusActive {
		return nil, model.Errorf(model.CodeDenied, "%s %s is %s", role, id, s.Status)
	}
	if !model.Has(s.Permissions, perm) {
		return nil, model.Errorf(model.CodeDenied, "%s %s lacks the %s permission", role, id, perm)
	}
	return s, nil
}

// saveAsset writes an asset record and emits its event.
func saveAsset(stub ledger.Stub, k string, a *model.Asset, event string) error {
	if err := ledger.Put(stub, k, a); err != nil {
		return err
	}
	return ledger.Emit(stub, event, a)
}
