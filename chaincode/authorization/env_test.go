package authorization_test

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// licenceType is the asset type the tests issue.
const licenceType = "business-licence"

// env is a consortium on a cctest ledger with the real subject, asset and
// authorization chaincodes registered, and one business licence issued by
// the market department into an enterprise's locker.
type env struct {
	t testing.TB
	l *cctest.Ledger
	c *subjecttest.Consortium

	market    *subjecttest.Member // issues the licence
	bank      *subjecttest.Member // a member grantee (a department-like institution)
	regulator *subjecttest.Member

	owner  *subjecttest.Subject // the enterprise owning the licence
	person *subjecttest.Subject // a subject grantee
	idle   *subjecttest.Subject // an active subject without the transact permission

	asset   model.Asset // the licence, as issued
	dataKey []byte      // its SM4 data key
	sealed  []byte      // its content, sealed under dataKey
	content []byte
	issued  int // assets issued so far, for business keys
}

func newEnv(t testing.TB) *env {
	t.Helper()
	l := cctest.NewLedger()
	subjecttest.Register(l)
	l.Register(model.ChaincodeAsset, chaincode(t, asset.New()))
	l.Register(model.ChaincodeAuthorization, chaincode(t, authorization.New()))
	c := subjecttest.New(t, l)
	e := &env{t: t, l: l, c: c}
	e.market = c.AddDepartment(model.DeptMarket, model.PermContract)
	e.bank = c.AddMember("BankMSP", model.MemberInstitution, "")
	e.regulator = c.AddMember("RegulatorMSP", model.MemberRegulator, "")
	e.owner = c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	e.person = c.OpenSubject(model.SubjectPerson, model.PermTransact)
	e.idle = c.OpenSubject(model.SubjectPerson)

	def := model.AssetTypeDefinition{Code: licenceType, Name: "Business licence", Schema: `{"type":"object"}`, Issuers: []string{e.market.ID}}
	e.ok(l.Submit(e.market.Client, model.ChaincodeAsset, "DefineAssetType", e.canonical(&def)))
	e.content = []byte(`{"name":"Jinan Bakery Ltd","uscc":"91370100MA3XXXXX0X"}`)
	e.asset = e.issue(e.owner)
	return e
}

func chaincode(t testing.TB, c contractapi.ContractInterface) *contractapi.ContractChaincode {
	t.Helper()
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		t.Fatalf("chaincode: %v", err)
	}
	return cc
}

// issue issues a new licence to owner through the asset chaincode, sealing
// e.content under a fresh data key wrapped for owner.
func (e *env) issue(owner *subjecttest.Subject) model.Asset {
	e.t.Helper()
	e.issued++
	dataKey, err := gm.NewDataKey()
	if err != nil {
		e.t.Fatalf("data key: %v", err)
	}
	sealed, err := gm.SealGCM(dataKey, e.content, nil)
	if err != nil {
		e.t.Fatalf("seal: %v", err)
	}
	req := model.AssetIssue{
		Type:          licenceType,
		Owner:         owner.ID,
		Issuer:        e.market.ID,
		Channel:       model.ChannelDepartment,
		BusinessKey:   fmt.Sprintf("application-%d/licence", e.issued),
		ContentDigest: gm.Hex(e.content),
		CipherDigest:  gm.Hex(sealed),
		StorageRef:    "minio://assets/" + gm.Hex(sealed),
		Size:          int64(len(sealed)),
		Encryption:    model.EncryptAsymmetric,
		Keys:          []model.WrappedKey{e.wrap(owner.ID, &owner.Key.PublicKey, dataKey)},
	}
	canonical, sig := subjecttest.Sign(e.t, e.market.Key, asset.ActionIssueAsset, &req)
	var a model.Asset
	e.decode(e.ok(e.l.Submit(e.market.Client, model.ChaincodeAsset, "IssueAsset", canonical, sig)), &a)
	e.dataKey, e.sealed = dataKey, sealed
	return a
}

// wrap wraps a data key for a recipient with SM2.
func (e *env) wrap(recipient string, pub *ecdsa.PublicKey, dataKey []byte) model.WrappedKey {
	e.t.Helper()
	ct, err := gm.Encrypt(pub, dataKey)
	if err != nil {
		e.t.Fatalf("wrap: %v", err)
	}
	return model.WrappedKey{Recipient: recipient, Mode: model.EncryptAsymmetric, Key: b64(ct)}
}

// canonical returns the canonical JSON of a request.
func (e *env) canonical(v any) string {
	e.t.Helper()
	raw, err := model.Canonical(v)
	if err != nil {
		e.t.Fatalf("canonical: %v", err)
	}
	return string(raw)
}

// sign returns the canonical JSON of request and key's signature over it for
// action.
func (e *env) sign(key *sm2.PrivateKey, action string, request any) (string, string) {
	e.t.Helper()
	return subjecttest.Sign(e.t, key, action, request)
}

// ok fails the test unless res succeeded, and returns it.
func (e *env) ok(res *cctest.Result) *cctest.Result {
	e.t.Helper()
	if err := res.Err(); err != nil {
		e.t.Fatalf("%v", err)
	}
	return res
}

// decode unmarshals a result's payload.
func (e *env) decode(res *cctest.Result, v any) {
	e.t.Helper()
	if err := res.JSON(v); err != nil {
		e.t.Fatalf("%v", err)
	}
}

// call submits an authorization transaction.
func (e *env) call(creator cctest.Creator, function string, args ...string) *cctest.Result {
	return e.l.Submit(creator, model.ChaincodeAuthorization, function, args...)
}

// query evaluates an authorization query.
func (e *env) query(function string, args ...string) *cctest.Result {
	return e.l.Evaluate(e.market.Client, model.ChaincodeAuthorization, function, args...)
}

// rejects submits an authorization transaction and fails the test unless it
// fails with code and leaves no trace: no write in any namespace, no event,
// no new block.
func (e *env) rejects(code model.Code, creator cctest.Creator, function string, args ...string) {
	e.t.Helper()
	e.rejectsTx(code, cctest.Tx{Creator: creator, Chaincode: model.ChaincodeAuthorization, Function: function, Args: args})
}

// rejectsTx is rejects for a transaction with transient data.
func (e *env) rejectsTx(code model.Code, tx cctest.Tx) {
	e.t.Helper()
	height := e.l.Height()
	res := e.l.SubmitTx(tx)
	if res.Err() == nil {
		e.t.Fatalf("%s succeeded, want %s: %s", tx.Function, code, res.Payload)
	}
	if pe := model.ParseError(res.Message); pe == nil || pe.Code != code {
		e.t.Fatalf("%s failed with %q, want %s", tx.Function, res.Message, code)
	}
	noTrace(e.t, res)
	if h := e.l.Height(); h != height {
		e.t.Fatalf("height %d after a rejected transaction, want %d", h, height)
	}
}

// queryFails evaluates an authorization query and fails the test unless it
// fails with code.
func (e *env) queryFails(code model.Code, function string, args ...string) {
	e.t.Helper()
	res := e.query(function, args...)
	if pe := model.ParseError(res.Message); res.Err() == nil || pe == nil || pe.Code != code {
		e.t.Fatalf("%s%q: status %d %q, want %s", function, args, res.Status, res.Message, code)
	}
}

// run runs a subtest with e reporting to it.
func (e *env) run(t *testing.T, name string, f func()) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		old := e.t
		e.t = t
		defer func() { e.t = old }()
		f()
	})
}

// noTrace fails the test if res wrote anything or set an event.
func noTrace(t testing.TB, res *cctest.Result) {
	t.Helper()
	if n := writes(res); n != 0 {
		t.Fatalf("%d writes", n)
	}
	if res.Event != nil {
		t.Fatalf("event %s set", res.Event.EventName)
	}
}

// writes counts a result's writes over all namespaces.
func writes(res *cctest.Result) int {
	n := 0
	for _, ns := range res.Writes {
		n += len(ns.Writes) + len(ns.MetadataWrites)
	}
	return n
}

// event checks the event a result set and decodes its payload.
func (e *env) event(res *cctest.Result, name string, v any) {
	e.t.Helper()
	if res.Event == nil || res.Event.EventName != name {
		e.t.Fatalf("event %v, want %s", res.Event, name)
	}
	if err := json.Unmarshal(res.Event.Payload, v); err != nil {
		e.t.Fatalf("event payload: %v", err)
	}
}

// key returns the composite key of a record or index entry in the
// authorization namespace.
func key(objectType string, attrs ...string) string {
	return "\x00" + objectType + "\x00" + strings.Join(attrs, "\x00") + "\x00"
}

// stored reads a record of the authorization namespace.
func (e *env) stored(objectType, id string, v any) bool {
	e.t.Helper()
	found, err := e.l.StateJSON(model.ChaincodeAuthorization, key(objectType, id), v)
	if err != nil {
		e.t.Fatalf("%v", err)
	}
	return found
}

// has reports whether an index entry exists in the authorization namespace.
func (e *env) has(objectType string, attrs ...string) bool {
	return e.l.State(model.ChaincodeAuthorization, key(objectType, attrs...)) != nil
}

// at renders the ledger's next transaction time plus d in RFC 3339.
func (e *env) at(d time.Duration) string {
	return e.l.Now().Add(d).UTC().Format(time.RFC3339)
}

// b64 is standard base64.
func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
