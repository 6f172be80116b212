package subject

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/internal/ledger"
	"github.com/kaiban-platform/kaiban/chaincode/launch"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Actions bound into the SM2 signatures this chaincode checks: a signer signs
// model.SigningMessage(action, canonical request).
const (
	ActionBootstrap        = model.ChaincodeSubject + ".Bootstrap"
	ActionApplyMember      = model.ChaincodeSubject + ".ApplyMember"
	ActionApplySubject     = model.ChaincodeSubject + ".ApplySubject"
	ActionChangeSubjectKey = model.ChaincodeSubject + ".ChangeSubjectKey"
	ActionChangeMemberKey  = model.ChaincodeSubject + ".ChangeMemberKey"
)

// Object types of the records and indexes in this chaincode's namespace.
const (
	objMember      = "member"
	objNode        = "node"
	objSubject     = "subject"
	idxMemberKind  = "member~kind"  // kind, member ID
	idxNodeKind    = "node~kind"    // kind, node ID
	idxSubjectKind = "subject~kind" // kind, subject ID
)

// maxSignatureLen bounds a base64 signature argument; a DER SM2 signature is
// at most 72 bytes, 96 characters in base64.
const maxSignatureLen = 256

// Contract is the subject chaincode. Its exported methods are its
// transactions; everything else is unexported.
type Contract struct {
	contractapi.Contract
}

// New returns the subject contract, named model.ChaincodeSubject so that its
// functions are called by their bare names.
func New() *Contract {
	return &Contract{Contract: contractapi.Contract{Name: model.ChaincodeSubject}}
}

// directory is the access.Directory over this chaincode's own state.
type directory struct{}

var _ access.Directory = directory{}

// Member reads a member; an unknown ID is a NOT_FOUND error.
func (directory) Member(ctx contractapi.TransactionContextInterface, id string) (*model.Member, error) {
	return member(ctx.GetStub(), id)
}

// Subject reads a subject; an unknown ID is a NOT_FOUND error.
func (directory) Subject(ctx contractapi.TransactionContextInterface, id string) (*model.Subject, error) {
	return subject(ctx.GetStub(), id)
}

func member(stub ledger.Stub, id string) (*model.Member, error) {
	var m model.Member
	if err := mustLoad(stub, objMember, id, &m, "member"); err != nil {
		return nil, err
	}
	return &m, nil
}

func subject(stub ledger.Stub, id string) (*model.Subject, error) {
	var s model.Subject
	if err := mustLoad(stub, objSubject, id, &s, "subject"); err != nil {
		return nil, err
	}
	return &s, nil
}

// LaunchOptions are the options the subject chaincode is built with wherever
// it runs (launch.Run, launch.NewChaincode): GetMember and GetSubject, which
// the other chaincodes call through access.Remote in nearly every
// transaction, are served as launch.WithQuery describes, with the answers of
// the contract's methods of those names.
func LaunchOptions() []launch.Option {
	return []launch.Option{
		launch.WithQuery("GetMember", directoryQuery[model.Member](objMember, "member")),
		launch.WithQuery("GetSubject", directoryQuery[model.Subject](objSubject, "subject")),
	}
}

// directoryQuery answers for the record of objectType under an ID what the
// contract's method returns through contractapi: the record decoded as a T
// and encoded again, or the errors of mustLoad. That answer is a function of
// the stored bytes alone, and the records are read in nearly every
// transaction of the other chaincodes but seldom change, so it is kept by
// those bytes: decoding and encoding were most of the query's cost. The read
// is made every time, so it joins the transaction's read set as before.
func directoryQuery[T any](objectType, what string) launch.Query {
	answers := &answerCache{m: map[string][]byte{}}
	return func(stub shim.ChaincodeStubInterface, id string) ([]byte, error) {
		raw, key, err := loadRaw(stub, objectType, id)
		if err != nil {
			return nil, err
		}
		if raw == nil {
			return nil, notFound(what, id)
		}
		if out, ok := answers.get(raw); ok {
			return out, nil
		}
		v := new(T)
		if err := ledger.Decode(key, raw, v); err != nil {
			return nil, err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode %s %q: %w", what, id, err)
		}
		answers.put(raw, out)
		return out, nil
	}
}

// answerCache holds answers by the stored bytes they were made from. It is
// emptied when it reaches maxAnswers entries, which bounds its memory
// whatever the number of members and subjects.
type answerCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const maxAnswers = 1024

func (c *answerCache) get(raw []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out, ok := c.m[string(raw)]
	return out, ok
}

func (c *answerCache) put(raw, out []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxAnswers {
		clear(c.m)
	}
	c.m[string(raw)] = out
}

// load reads the record of objectType under id into v.
func load(stub ledger.Stub, objectType, id string, v any) (bool, error) {
	raw, key, err := loadRaw(stub, objectType, id)
	if err != nil || raw == nil {
		return false, err
	}
	return true, ledger.Decode(key, raw, v)
}

// loadRaw returns the stored bytes of the record of objectType under id and
// its key; nil bytes when there is none. An ID that cannot even form a
// composite key (invalid UTF-8, U+0000) names nothing stored, so it reads as
// absent: callers such as access.Remote branch on NOT_FOUND.
func loadRaw(stub ledger.Stub, objectType, id string) ([]byte, string, error) {
	if id == "" {
		return nil, "", nil
	}
	key, err := ledger.Key(stub, objectType, id)
	if err != nil {
		return nil, "", nil
	}
	raw, err := ledger.GetRaw(stub, key)
	return raw, key, err
}

// mustLoad is load with a NOT_FOUND error naming what for an absent record.
func mustLoad(stub ledger.Stub, objectType, id string, v any, what string) error {
	ok, err := load(stub, objectType, id, v)
	if err != nil {
		return err
	}
	if !ok {
		return notFound(what, id)
	}
	return nil
}

func notFound(what, id string) error {
	return model.Errorf(model.CodeNotFound, "%s %q not found", what, id)
}

// store writes a record and, when its kind is new or changed, moves its
// entry in the kind index. oldKind is "" for a new record.
func store(stub ledger.Stub, objectType, index, id, kind, oldKind string, v any) error {
	key, err := ledger.Key(stub, objectType, id)
	if err != nil {
		return err
	}
	if err := ledger.Put(stub, key, v); err != nil {
		return err
	}
	if kind == oldKind {
		return nil
	}
	if oldKind != "" {
		if err := ledger.DelIndex(stub, index, oldKind, id); err != nil {
			return err
		}
	}
	return ledger.PutIndex(stub, index, kind, id)
}

// publicKey checks that pemText is one SM2 public key in exactly the PEM form
// gm.MarshalPublicKeyPEM writes. pem.Decode ignores text around a block and
// PEM headers can carry anything, so insisting on the canonical form keeps
// arbitrary data — personal data included — out of the ledger.
func publicKey(field, pemText string) error {
	pub, err := gm.ParsePublicKeyPEM([]byte(pemText))
	if err != nil {
		return model.Errorf(model.CodeInvalid, "%s is not an SM2 public key: %v", field, err)
	}
	canon, err := gm.MarshalPublicKeyPEM(pub)
	if err != nil || string(canon) != pemText {
		return model.Errorf(model.CodeInvalid, "%s must be a single PKIX PEM block as gm.MarshalPublicKeyPEM writes it", field)
	}
	return nil
}

// verify checks signature over the canonical request for action by the key
// pemText (already known to be a valid SM2 key).
func verify(pemText, action, canonical, signature, signer string) error {
	if len(signature) > maxSignatureLen {
		return model.Errorf(model.CodeSignature, "signature of %s is %d characters, longer than an SM2 signature", signer, len(signature))
	}
	return access.VerifySignature(pemText, action, []byte(canonical), signature, signer)
}

// permissions returns ps without duplicates, in the order of allowed, so
// that equal permission sets compare and serialise equal.
func permissions(ps, allowed []model.Permission) []model.Permission {
	out := make([]model.Permission, 0, len(ps))
	for _, p := range allowed {
		if model.Has(ps, p) {
			out = append(out, p)
		}
	}
	return out
}

// emptyPermissions refuses permissions in a change that does not set them
// (suspend, freeze and their reverse), rather than silently ignoring them.
func emptyPermissions(function string, ps []model.Permission) error {
	if len(ps) > 0 {
		return model.Errorf(model.CodeInvalid, "%s takes no permissions (use the Set...Permissions transaction)", function)
	}
	return nil
}

// errStop ends a walk over keys early; it never leaves this package.
var errStop = errors.New("stop")

// decode unmarshals a stored record.
func decode(raw []byte, v any, objectType string) error {
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode %s: %w", objectType, err)
	}
	return nil
}

// list returns one page of records of objectType: all of them in ID order
// when kind is "", otherwise those of one kind through the kind index.
// Items is never nil, so an empty page still matches the return schema.
func list[T any](stub ledger.Stub, objectType, index, kind string, pageSize int32, bookmark string) ([]T, string, error) {
	items := make([]T, 0)
	if kind == "" {
		next, err := ledger.Page(stub, objectType, nil, pageSize, bookmark, func(_ []string, raw []byte) error {
			var v T
			if err := decode(raw, &v, objectType); err != nil {
				return err
			}
			items = append(items, v)
			return nil
		})
		return items, next, err
	}
	next, err := ledger.Page(stub, index, []string{kind}, pageSize, bookmark, func(attrs []string, _ []byte) error {
		var v T
		if err := mustLoad(stub, objectType, attrs[len(attrs)-1], &v, objectType); err != nil {
			return fmt.Errorf("index %s is inconsistent: %w", index, err)
		}
		items = append(items, v)
		return nil
	})
	return items, next, err
}

// done returns record when the transaction's last step, err, succeeded, so
// that a failed write or event never hands back a record as if it stood.
func done[T any](record *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return record, nil
}
