package asset_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"sync/atomic"
	"testing"

	"github.com/emmansun/gmsm/sm2"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// Asset type codes the fixture defines.
const (
	typeLicence = "business-licence" // issued by the market department, a window or a notary subject
	typeIDCard  = "id-card"          // may be self-uploaded, reviewed by the social department
)

const testSchema = `{"type":"object","properties":{"number":{"type":"string"}}}`

// world is an alliance on a cctest ledger with the real subject chaincode and
// the asset chaincode registered, and the parties the tests act as:
//
//   - market: the market department, issuer of licences and ID cards;
//   - window: the outgoing window member, issuer of licences;
//   - social: the social department, reviewer of self-uploaded ID cards;
//   - tax: an active member that neither issues nor reviews;
//   - firm and person: active subjects holding PermTransact;
//   - notary: a subject holding PermIssueAsset, listed as a licence issuer;
//   - idle: an active subject without any permission.
type world struct {
	tb     testing.TB
	l      *cctest.Ledger
	c      *subjecttest.Consortium
	op     *subjecttest.Member
	market *subjecttest.Member
	window *subjecttest.Member
	social *subjecttest.Member
	tax    *subjecttest.Member

	firm, person, notary, idle *subjecttest.Subject

	stranger *cctest.Identity // an identity of an organisation that is no member
}

// seq numbers the documents tests issue, so business keys never repeat.
var seq atomic.Int64

// in returns w reporting to tb, for subtests.
func (w *world) in(tb testing.TB) *world {
	c := *w
	c.tb = tb
	return &c
}

func mustChaincode(tb testing.TB) *contractapi.ContractChaincode {
	tb.Helper()
	cc, err := contractapi.NewChaincode(asset.New())
	if err != nil {
		tb.Fatalf("asset chaincode: %v", err)
	}
	return cc
}

func newWorld(tb testing.TB) *world {
	tb.Helper()
	l := cctest.NewLedger()
	subjecttest.Register(l)
	l.Register(model.ChaincodeAsset, mustChaincode(tb))
	c := subjecttest.New(tb, l)
	w := &world{
		tb:       tb,
		l:        l,
		c:        c,
		op:       c.Operator,
		market:   c.AddDepartment(model.DeptMarket),
		window:   c.AddMember("WindowMSP", model.MemberInstitution, ""),
		social:   c.AddDepartment(model.DeptSocial),
		tax:      c.AddDepartment(model.DeptTax),
		firm:     c.OpenSubject(model.SubjectEnterprise, model.PermTransact),
		person:   c.OpenSubject(model.SubjectPerson, model.PermTransact),
		notary:   c.OpenSubject(model.SubjectInstitution, model.PermTransact, model.PermIssueAsset),
		idle:     c.OpenSubject(model.SubjectPerson),
		stranger: cctest.NewOrg("StrangerMSP").Identity("someone"),
	}
	w.mustOK(w.define(w.op.Client, model.AssetTypeDefinition{
		Code: typeLicence, Name: "营业执照", Schema: testSchema,
		Issuers: []string{w.market.ID, w.window.ID, w.notary.ID},
	}))
	w.mustOK(w.define(w.op.Client, model.AssetTypeDefinition{
		Code: typeIDCard, Name: "身份证", Schema: testSchema,
		Issuers: []string{w.market.ID}, Reviewers: []string{w.social.ID}, SelfUpload: true,
	}))
	return w
}

// ---- transactions ----

func (w *world) submit(creator cctest.Creator, function string, args ...string) *cctest.Result {
	return w.l.Submit(creator, model.ChaincodeAsset, function, args...)
}

func (w *world) evaluate(function string, args ...string) *cctest.Result {
	return w.l.Evaluate(w.tax.Client, model.ChaincodeAsset, function, args...)
}

func (w *world) define(creator cctest.Creator, d model.AssetTypeDefinition) *cctest.Result {
	return w.submit(creator, "DefineAssetType", w.json(&d))
}

// issueRequest builds an issue of a fresh document of assetType to owner by
// issuer, its data key wrapped for the owner with SM2.
func (w *world) issueRequest(assetType string, owner *subjecttest.Subject, issuer string, channel model.IssueChannel) model.AssetIssue {
	w.tb.Helper()
	n := seq.Add(1)
	content := fmt.Sprintf("document %d of %s", n, owner.ID)
	return model.AssetIssue{
		Type:          assetType,
		Owner:         owner.ID,
		Issuer:        issuer,
		Channel:       channel,
		BusinessKey:   fmt.Sprintf("application-%d/item", n),
		ContentDigest: gm.Hex([]byte(content)),
		CipherDigest:  gm.Hex([]byte("cipher of " + content)),
		StorageRef:    "minio://assets/" + gm.Hex([]byte("cipher of "+content)),
		Size:          int64(len(content)),
		Encryption:    model.EncryptAsymmetric,
		Keys:          []model.WrappedKey{w.wrap(owner)},
	}
}

// wrap wraps a fresh SM4 data key for s under its SM2 key.
func (w *world) wrap(s *subjecttest.Subject) model.WrappedKey {
	w.tb.Helper()
	dk, err := gm.NewDataKey()
	if err != nil {
		w.tb.Fatal(err)
	}
	ct, err := gm.Encrypt(&s.Key.PublicKey, dk)
	if err != nil {
		w.tb.Fatal(err)
	}
	return model.WrappedKey{Recipient: s.ID, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString(ct)}
}

func (w *world) sign(key *sm2.PrivateKey, action string, request any) (string, string) {
	w.tb.Helper()
	return subjecttest.Sign(w.tb, key, action, request)
}

func (w *world) issue(creator cctest.Creator, key *sm2.PrivateKey, req model.AssetIssue) *cctest.Result {
	canonical, sig := w.sign(key, asset.ActionIssueAsset, &req)
	return w.submit(creator, "IssueAsset", canonical, sig)
}

// issued issues a licence from the market department to owner and returns it.
func (w *world) issued(owner *subjecttest.Subject) *model.Asset {
	w.tb.Helper()
	req := w.issueRequest(typeLicence, owner, w.market.ID, model.ChannelDepartment)
	return w.assetOf(w.mustOK(w.issue(w.market.Client, w.market.Key, req)))
}

// uploaded self-uploads an ID card of owner, submitted by the window.
func (w *world) uploaded(owner *subjecttest.Subject) *model.Asset {
	w.tb.Helper()
	req := w.issueRequest(typeIDCard, owner, owner.ID, model.ChannelSelf)
	return w.assetOf(w.mustOK(w.issue(w.window.Client, owner.Key, req)))
}

func (w *world) review(m *subjecttest.Member, r model.AssetReview) *cctest.Result {
	canonical, sig := w.sign(m.Key, asset.ActionReviewAsset, &r)
	return w.submit(m.Client, "ReviewAsset", canonical, sig)
}

func (w *world) transferRequest(a *model.Asset, to *subjecttest.Subject) model.AssetTransfer {
	w.tb.Helper()
	return model.AssetTransfer{Asset: a.ID, LatestTx: a.UpdatedTx, NewOwner: to.ID, Key: w.wrap(to), Note: "sold to " + to.ID}
}

func (w *world) transfer(from *subjecttest.Subject, t model.AssetTransfer) *cctest.Result {
	canonical, sig := w.sign(from.Key, asset.ActionTransferAsset, &t)
	return w.submit(w.window.Client, "TransferAsset", canonical, sig)
}

func (w *world) change(creator cctest.Creator, function, id, note string) *cctest.Result {
	return w.submit(creator, function, w.json(&model.AssetStatusChange{Asset: id, Note: note}))
}

// ---- reading results and state ----

func (w *world) json(v any) string {
	w.tb.Helper()
	raw, err := model.Canonical(v)
	if err != nil {
		w.tb.Fatal(err)
	}
	return string(raw)
}

func (w *world) mustOK(res *cctest.Result) *cctest.Result {
	w.tb.Helper()
	if err := res.Err(); err != nil {
		w.tb.Fatalf("%v", err)
	}
	return res
}

func (w *world) assetOf(res *cctest.Result) *model.Asset {
	w.tb.Helper()
	var a model.Asset
	if err := res.JSON(&a); err != nil {
		w.tb.Fatal(err)
	}
	return &a
}

func (w *world) typeOf(res *cctest.Result) *model.AssetType {
	w.tb.Helper()
	var t model.AssetType
	if err := res.JSON(&t); err != nil {
		w.tb.Fatal(err)
	}
	return &t
}

// get reads an asset through GetAsset.
func (w *world) get(id string) *model.Asset {
	w.tb.Helper()
	return w.assetOf(w.mustOK(w.evaluate("GetAsset", id)))
}

// locker lists the IDs of an owner's assets of assetType ("" = all).
func (w *world) locker(owner, assetType string) []string {
	w.tb.Helper()
	var page model.AssetPage
	if err := w.mustOK(w.evaluate("ListAssetsByOwner", owner, assetType, "0", "")).JSON(&page); err != nil {
		w.tb.Fatal(err)
	}
	ids := make([]string, 0, len(page.Items))
	for _, a := range page.Items {
		ids = append(ids, a.ID)
	}
	return ids
}

// state is a copy of the asset namespace and the chain height, to show that
// a transaction changed nothing.
type state struct {
	height uint64
	kv     map[string]string
}

func (w *world) state() state {
	s := state{height: w.l.Height(), kv: map[string]string{}}
	for _, k := range w.l.Keys(model.ChaincodeAsset) {
		s.kv[k] = string(w.l.State(model.ChaincodeAsset, k))
	}
	return s
}

// fails submits through do and checks that it fails with code, sets no event
// and leaves the ledger exactly as it was.
func (w *world) fails(code model.Code, do func() *cctest.Result) {
	w.tb.Helper()
	before := w.state()
	res := do()
	if res.OK() {
		w.tb.Fatalf("succeeded, want %s: %s", code, res.Payload)
	}
	e := model.ParseError(res.Message)
	if e == nil || e.Code != code {
		w.tb.Fatalf("error %q, want code %s", res.Message, code)
	}
	if res.Event != nil {
		w.tb.Fatalf("failed transaction set event %s", res.Event.EventName)
	}
	w.unchanged(before)
}

func (w *world) unchanged(before state) {
	w.tb.Helper()
	after := w.state()
	if after.height != before.height {
		w.tb.Fatalf("height %d → %d: a block was committed", before.height, after.height)
	}
	if !maps.Equal(before.kv, after.kv) {
		w.tb.Fatalf("asset state changed")
	}
}

// noWrite checks that a successful transaction wrote nothing and set no
// event: an idempotent retry.
func (w *world) noWrite(res *cctest.Result) {
	w.tb.Helper()
	w.mustOK(res)
	for _, ns := range res.Writes {
		if len(ns.Writes) > 0 {
			w.tb.Fatalf("retry wrote %d keys in %s", len(ns.Writes), ns.Namespace)
		}
	}
	if res.Event != nil {
		w.tb.Fatalf("retry set event %s", res.Event.EventName)
	}
}

// emitted checks a successful transaction's event name and that its payload
// is the returned record.
func (w *world) emitted(res *cctest.Result, name string) {
	w.tb.Helper()
	w.mustOK(res)
	if res.Event == nil || res.Event.EventName != name {
		w.tb.Fatalf("event %v, want %s", res.Event, name)
	}
	if !bytes.Equal(compact(w.tb, res.Event.Payload), compact(w.tb, res.Payload)) {
		w.tb.Fatalf("event payload %s differs from result %s", res.Event.Payload, res.Payload)
	}
}

func compact(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		tb.Fatal(err)
	}
	out, _ := json.Marshal(v)
	return out
}

// stored reads an asset straight from committed state.
func (w *world) stored(id string) *model.Asset {
	w.tb.Helper()
	var a model.Asset
	found, err := w.l.StateJSON(model.ChaincodeAsset, "\x00asset\x00"+id+"\x00", &a)
	if err != nil || !found {
		w.tb.Fatalf("asset %s in state: found %v, %v", id, found, err)
	}
	return &a
}
