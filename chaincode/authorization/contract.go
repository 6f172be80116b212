package authorization

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Actions bound into the SM2 signatures this chaincode checks: a signer signs
// model.SigningMessage(action, canonical request).
const (
	ActionGrant          = model.ChaincodeAuthorization + ".Grant"
	ActionRevokeGrant    = model.ChaincodeAuthorization + ".RevokeGrant"
	ActionIssueAuthCode  = model.ChaincodeAuthorization + ".IssueAuthCode"
	ActionRevokeAuthCode = model.ChaincodeAuthorization + ".RevokeAuthCode"
	ActionRecordAccess   = model.ChaincodeAuthorization + ".RecordAccess"
	ActionRequestAccess  = model.ChaincodeAuthorization + ".RequestAccess"
	ActionDenyRequest    = model.ChaincodeAuthorization + ".DenyRequest"
)

// Object types of the records and indexes in this chaincode's namespace.
const (
	objGrant           = "grant"
	objAuthCode        = "authcode"
	objAccess          = "access"
	objRequest         = "request"
	idxGrantAsset      = "grant~asset"       // asset, grant ID
	idxGrantGrantee    = "grant~grantee"     // grantee, grant ID: pushed grants, the grantee's locker
	idxAuthCodeAsset   = "authcode~asset"    // asset, code ID
	idxAccessAsset     = "access~asset~time" // asset, time, record ID
	idxRequestDue      = "request~due"       // due time, request ID: pending requests only
	idxRequestOwnerDue = "request~owner~due" // owner, due time, request ID: pending requests only
)

const (
	// maxSignatureLen bounds a base64 signature argument; a DER SM2
	// signature is at most 72 bytes, 96 characters in base64.
	maxSignatureLen = 256
	// maxAuthCodeLen bounds a presented authorization code, so a hostile
	// transient value costs the endorsers nothing worth mentioning.
	maxAuthCodeLen = 1024
)

// directory finds members and subjects in the subject chaincode.
var directory access.Directory = access.Remote{}

// Contract is the authorization chaincode. Its exported methods are its
// transactions; everything else is unexported.
type Contract struct {
	contractapi.Contract
}

// New returns the authorization contract, named model.ChaincodeAuthorization
// so that its functions are called by their bare names.
func New() *Contract {
	return &Contract{Contract: contractapi.Contract{Name: model.ChaincodeAuthorization}}
}

// gateway returns the submitting identity after checking that its
// organisation is an active alliance member: every write reaches the chain
// through a member's gateway or department system.
func gateway(ctx contractapi.TransactionContextInterface) (*access.Caller, error) {
	caller, err := access.CallerOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := access.ActiveMember(ctx, directory, caller); err != nil {
		return nil, err
	}
	return caller, nil
}

// begin reads the transaction's time and ID, once per transaction.
func begin(stub ledger.Stub) (ledger.Stamp, time.Time, error) {
	st, err := ledger.NewStamp(stub)
	if err != nil {
		return ledger.Stamp{}, time.Time{}, err
	}
	now, err := model.ParseTime(st.At)
	if err != nil {
		return ledger.Stamp{}, time.Time{}, err
	}
	return st, now, nil
}

// future parses a validated time field and insists that it lies after the
// transaction's time.
func future(field, value string, now time.Time) (time.Time, error) {
	t, err := model.ParseTime(value)
	if err != nil {
		return time.Time{}, err
	}
	if !t.After(now) {
		return time.Time{}, model.Errorf(model.CodeInvalid, "%s %s is not after the transaction time %s", field, value, model.FormatTime(now))
	}
	return t, nil
}

// expired reports whether a stored expiry lies at or before now; an
// unreadable one counts as expired.
func expired(expiresAt string, now time.Time) bool {
	t, err := model.ParseTime(expiresAt)
	return err != nil || !t.After(now)
}

// getAsset reads an asset from the asset chaincode.
func getAsset(ctx contractapi.TransactionContextInterface, id string) (*model.Asset, error) {
	var a model.Asset
	if err := access.Query(ctx, model.ChaincodeAsset, "GetAsset", &a, id); err != nil {
		return nil, err
	}
	return &a, nil
}

// availableAsset reads an asset and insists that it is available: nobody is
// given, or uses, access to a revoked, abolished or unreviewed asset.
func availableAsset(ctx contractapi.TransactionContextInterface, id string) (*model.Asset, error) {
	a, err := getAsset(ctx, id)
	if err != nil {
		return nil, err
	}
	if a.Status != model.AssetAvailable {
		return nil, model.Errorf(model.CodeState, "asset %s is %s, not %s", a.ID, a.Status, model.AssetAvailable)
	}
	return a, nil
}

// verify checks an SM2 signature over the canonical request for action by
// the key pemText.
func verify(pemText, action, canonical, signature, signer string) error {
	if len(signature) > maxSignatureLen {
		return model.Errorf(model.CodeSignature, "signature of %s is %d characters, longer than an SM2 signature", signer, len(signature))
	}
	return access.VerifySignature(pemText, action, []byte(canonical), signature, signer)
}

// signedBySubject checks that subject id signed the canonical request for
// action. Acts that give access (grant, code, request, access) need an
// active subject with active set; acts that only withdraw access (revoke,
// deny) accept a frozen subject's key too, so freezing a subject never keeps
// it from closing what it opened.
func signedBySubject(ctx contractapi.TransactionContextInterface, id, action, canonical, signature string, active bool) (*model.Subject, error) {
	var (
		s   *model.Subject
		err error
	)
	if active {
		s, err = access.ActiveSubject(ctx, directory, id)
	} else {
		s, err = directory.Subject(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if err := verify(s.PublicKey, action, canonical, signature, "subject "+id); err != nil {
		return nil, err
	}
	return s, nil
}

// ownerActs checks the common ground of every act that gives access to an
// asset: the asset is available, owner owns it, signed the request for action
// with its key, and may transact. what names the act in the refusal.
func ownerActs(ctx contractapi.TransactionContextInterface, assetID, owner, action, canonical, signature, what string) error {
	asset, err := availableAsset(ctx, assetID)
	if err != nil {
		return err
	}
	if asset.Owner != owner {
		return model.Errorf(model.CodeDenied, "%s does not own asset %s; only its owner may %s", owner, asset.ID, what)
	}
	s, err := signedBySubject(ctx, owner, action, canonical, signature, true)
	if err != nil {
		return err
	}
	return mayTransact(s)
}

// mayTransact refuses a subject without the transact permission (交易权限,
// 7.4.2 b): granting access to an asset is one of its transactions.
func mayTransact(s *model.Subject) error {
	if !model.Has(s.Permissions, model.PermTransact) {
		return model.Errorf(model.CodeDenied, "subject %s lacks the %s permission", s.ID, model.PermTransact)
	}
	return nil
}

// looksLikeSubjectID reports whether id has the form of a derived ID; MSP
// IDs never do in practice, and only such IDs are looked up as subjects.
func looksLikeSubjectID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// activeParty checks that id names an active subject or, failing that, an
// active alliance member, and reports which.
func activeParty(ctx contractapi.TransactionContextInterface, id, role string) (isSubject bool, err error) {
	if looksLikeSubjectID(id) {
		s, err := directory.Subject(ctx, id)
		switch {
		case err == nil && s.Status != model.StatusActive:
			return false, model.Errorf(model.CodeState, "%s %s is a %s subject", role, id, s.Status)
		case err == nil:
			return true, nil
		case !model.IsCode(err, model.CodeNotFound):
			return false, err
		}
	}
	m, err := directory.Member(ctx, id)
	if model.IsCode(err, model.CodeNotFound) {
		return false, model.Errorf(model.CodeNotFound, "%s %s is neither a subject nor an alliance member", role, id)
	}
	if err != nil {
		return false, err
	}
	if m.Status != model.StatusActive {
		return false, model.Errorf(model.CodeState, "%s %s is a %s member", role, id, m.Status)
	}
	return false, nil
}

// load reads the record of objectType under id into v. An ID that cannot
// even form a composite key (invalid UTF-8, U+0000) names nothing stored,
// so it reads as absent.
func load(stub ledger.Stub, objectType, id string, v any) (bool, error) {
	if id == "" {
		return false, nil
	}
	key, err := ledger.Key(stub, objectType, id)
	if err != nil {
		return false, nil
	}
	return ledger.Get(stub, key, v)
}

// mustLoad is load with a NOT_FOUND error naming what for an absent record.
func mustLoad(stub ledger.Stub, objectType, id string, v any, what string) error {
	ok, err := load(stub, objectType, id, v)
	if err != nil {
		return err
	}
	if !ok {
		return model.Errorf(model.CodeNotFound, "%s %q not found", what, id)
	}
	return nil
}

// put writes a record under its ID.
func put(stub ledger.Stub, objectType, id string, v any) error {
	key, err := ledger.Key(stub, objectType, id)
	if err != nil {
		return err
	}
	return ledger.Put(stub, key, v)
}

// list returns one page of the records of objectType named by the index
// entries under attrs (the record's ID is an entry's last attribute). Keep,
// when not nil, sees each entry's attributes first and may stop the walk by
// returning false. Items is never nil, so an empty page still matches the
// return schema.
func list[T any](stub ledger.Stub, objectType, index string, attrs []string, pageSize int32, bookmark string, keep func(attrs []string) bool) ([]T, string, error) {
	items := make([]T, 0)
	stopped := false
	next, err := ledger.Page(stub, index, attrs, pageSize, bookmark, func(keyAttrs []string, _ []byte) error {
		if stopped {
			return nil
		}
		if keep != nil && !keep(keyAttrs) {
			stopped = true
			return nil
		}
		var v T
		if err := mustLoad(stub, objectType, keyAttrs[len(keyAttrs)-1], &v, objectType); err != nil {
			return fmt.Errorf("index %s is inconsistent: %w", index, err)
		}
		items = append(items, v)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	if stopped {
		next = ""
	}
	return items, next, nil
}

// required refuses an empty query parameter.
func required(field, v string) error {
	if v == "" {
		return model.Errorf(model.CodeInvalid, "%s is required", field)
	}
	return nil
}
