package approval_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/approval"
	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// The fixture is a consortium on a cctest ledger with the real subject and
// asset chaincodes beside the approval chaincode: the seven departments of
// 7.7, an acceptance window whose clerk starts processes and issues bundles,
// a supervision member whose supervisor intervenes, and an enterprise
// applicant.

const (
	app       = "APP-2021-0001" // the application, and so the process ID
	windowMSP = "WindowMSP"
	superMSP  = "SupervisionMSP"
	day       = int64(24 * 3600)
)

type fixture struct {
	t           testing.TB
	l           *cctest.Ledger
	c           *subjecttest.Consortium
	depts       map[string]*subjecttest.Member // by department code
	window      *subjecttest.Member
	supervision *subjecttest.Member
	clerk       *cctest.Identity
	supervisor  *cctest.Identity
	firm        *subjecttest.Subject
	assets      int
}

func approvalChaincode() *contractapi.ContractChaincode {
	cc, err := contractapi.NewChaincode(approval.New())
	if err != nil {
		panic(err)
	}
	return cc
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	l := cctest.NewLedger()
	subjecttest.Register(l)
	assetCC, err := contractapi.NewChaincode(asset.New())
	if err != nil {
		t.Fatal(err)
	}
	l.Register(model.ChaincodeAsset, assetCC)
	l.Register(model.ChaincodeApproval, approvalChaincode())
	c := subjecttest.New(t, l)
	f := &fixture{t: t, l: l, c: c, depts: map[string]*subjecttest.Member{}}
	for _, d := range model.Departments {
		f.depts[d] = c.AddDepartment(d)
	}
	f.window = c.AddMember(windowMSP, model.MemberDepartment, "")
	f.supervision = c.AddMember(superMSP, model.MemberRegulator, "")
	f.clerk = f.window.Role(model.RoleClerk)
	f.supervisor = f.supervision.Role(model.RoleSupervisor)
	f.firm = c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	// One asset type per department, issued by that department.
	for _, d := range model.Departments {
		def := model.AssetTypeDefinition{Code: d + "-result", Name: d + " result", Schema: `{"type":"object"}`, Issuers: []string{f.depts[d].ID}}
		f.ok(f.l.Submit(c.Operator.Client, model.ChaincodeAsset, "DefineAssetType", mustJSON(t, &def)))
	}
	return f
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := model.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// defaultStart is the default establishment process of 7.5 c: the business
// licence first, then the six other departments in parallel.
func (f *fixture) defaultStart(application string) model.ProcessStart {
	steps := []model.StepPlan{{Key: model.DeptMarket, Department: f.depts[model.DeptMarket].ID, LimitSeconds: day}}
	for _, d := range model.Departments[1:] {
		steps = append(steps, model.StepPlan{Key: d, Department: f.depts[d].ID, DependsOn: []string{model.DeptMarket}, LimitSeconds: day / 2})
	}
	def, err := model.Canonical(steps)
	if err != nil {
		f.t.Fatal(err)
	}
	return model.ProcessStart{
		Application:      application,
		Item:             "enterprise-establishment",
		DefinitionDigest: gm.Hex(def),
		Applicant:        f.firm.ID,
		Steps:            steps,
	}
}

// start starts the default process for app.
func (f *fixture) start() model.Process {
	f.t.Helper()
	s := f.defaultStart(app)
	var p model.Process
	f.decode(f.ok(f.l.Submit(f.clerk, model.ChaincodeApproval, "StartProcess", mustJSON(f.t, &s))), &p)
	return p
}

func (f *fixture) decision(dept string, approve bool, outputs ...string) model.StepDecision {
	opinion := "符合条件，准予登记"
	if !approve {
		opinion = "材料不全，不予登记"
	}
	return model.StepDecision{Process: app, Step: dept, Approve: approve, Approver: "approver-" + dept, Opinion: opinion, Outputs: outputs}
}

// sign signs a decision with the department's member key.
func (f *fixture) sign(dept string, d *model.StepDecision) (string, string) {
	return subjecttest.Sign(f.t, f.depts[dept].Key, "approval.DecideStep", d)
}

// decide submits a department's signed decision on its step.
func (f *fixture) decide(dept string, approve bool, outputs ...string) *cctest.Result {
	f.t.Helper()
	d := f.decision(dept, approve, outputs...)
	canonical, sig := f.sign(dept, &d)
	return f.l.Submit(f.depts[dept].Client, model.ChaincodeApproval, "DecideStep", canonical, sig)
}

// issue has a department issue an asset to the applicant and returns its ID.
func (f *fixture) issue(dept string) string {
	f.t.Helper()
	f.assets++
	issue := model.AssetIssue{
		Type:          dept + "-result",
		Owner:         f.firm.ID,
		Issuer:        f.depts[dept].ID,
		Channel:       model.ChannelDepartment,
		BusinessKey:   fmt.Sprintf("%s/%s/%d", app, dept, f.assets),
		ContentDigest: gm.Hex([]byte(fmt.Sprintf("content %d", f.assets))),
		CipherDigest:  gm.Hex([]byte(fmt.Sprintf("cipher %d", f.assets))),
		StorageRef:    fmt.Sprintf("kaiban-assets/%d", f.assets),
		Size:          1024,
		Encryption:    model.EncryptAsymmetric,
		Keys:          []model.WrappedKey{{Recipient: f.firm.ID, Mode: model.EncryptAsymmetric, Key: base64.StdEncoding.EncodeToString([]byte("wrapped"))}},
	}
	canonical, sig := subjecttest.Sign(f.t, f.depts[dept].Key, asset.ActionIssueAsset, &issue)
	var a model.Asset
	f.decode(f.ok(f.l.Submit(f.depts[dept].Client, model.ChaincodeAsset, "IssueAsset", canonical, sig)), &a)
	return a.ID
}

func (f *fixture) intervene(req model.InterventionRequest) *cctest.Result {
	return f.l.Submit(f.supervisor, model.ChaincodeApproval, "Intervene", mustJSON(f.t, &req))
}

func (f *fixture) bundle(items ...model.BundleItem) *cctest.Result {
	req := model.BundleIssue{Process: app, Items: items}
	return f.l.Submit(f.clerk, model.ChaincodeApproval, "IssueBundle", mustJSON(f.t, &req))
}

// approveAll approves every step of the default process, market first, and
// returns the asset each step issued.
func (f *fixture) approveAll() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	for _, d := range model.Departments {
		out[d] = f.issue(d)
		f.ok(f.decide(d, true, out[d]))
	}
	return out
}

// allIssued lists one issued item per step.
func allIssued(assets map[string]string) []model.BundleItem {
	items := make([]model.BundleItem, 0, len(assets))
	for _, d := range model.Departments {
		items = append(items, model.BundleItem{Step: d, Asset: assets[d], Status: model.BundleIssued})
	}
	return items
}

func (f *fixture) view() model.ProcessView {
	f.t.Helper()
	var v model.ProcessView
	f.decode(f.ok(f.l.Evaluate(f.clerk, model.ChaincodeApproval, "GetProcess", app)), &v)
	return v
}

func (f *fixture) step(key string) model.StepView {
	f.t.Helper()
	for _, s := range f.view().Steps {
		if s.Key == key {
			return s
		}
	}
	f.t.Fatalf("no step %s", key)
	return model.StepView{}
}

// ok fails the test unless res succeeded.
func (f *fixture) ok(res *cctest.Result) *cctest.Result {
	f.t.Helper()
	if err := res.Err(); err != nil {
		f.t.Fatalf("%v", err)
	}
	return res
}

func (f *fixture) decode(res *cctest.Result, v any) {
	f.t.Helper()
	if err := res.JSON(v); err != nil {
		f.t.Fatalf("decode %s: %v", res.Payload, err)
	}
}

// approvalState returns every committed key and value of the approval
// namespace, to show that a failed call wrote nothing.
func (f *fixture) approvalState() string {
	var b strings.Builder
	for _, k := range f.l.Keys(model.ChaincodeApproval) {
		fmt.Fprintf(&b, "%q=%s\n", k, f.l.State(model.ChaincodeApproval, k))
	}
	return b.String()
}

// fails submits a call that must fail with code and checks that nothing was
// committed: no block, no event, no change to the approval namespace.
func (f *fixture) fails(code model.Code, creator cctest.Creator, function string, args ...string) *cctest.Result {
	f.t.Helper()
	before, height := f.approvalState(), f.l.Height()
	res := f.l.Submit(creator, model.ChaincodeApproval, function, args...)
	f.rejected(res, code, before, height)
	return res
}

func (f *fixture) rejected(res *cctest.Result, code model.Code, before string, height uint64) {
	f.t.Helper()
	if res.OK() {
		f.t.Fatalf("%s succeeded, want %s", res.Payload, code)
	}
	if e := model.ParseError(res.Message); e == nil || e.Code != code {
		f.t.Fatalf("error %q, want %s", res.Message, code)
	}
	if res.Event != nil {
		f.t.Fatalf("failed call set event %s", res.Event.EventName)
	}
	if f.l.Height() != height || f.approvalState() != before {
		f.t.Fatalf("failed call changed the ledger")
	}
}

// noWrite checks that a successful call was a no-op: no writes, no event.
func noWrite(t testing.TB, res *cctest.Result) {
	t.Helper()
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	for _, ns := range res.Writes {
		if ns.Namespace == model.ChaincodeApproval && len(ns.Writes) > 0 {
			t.Fatalf("retry wrote %d keys", len(ns.Writes))
		}
	}
	if res.Event != nil {
		t.Fatalf("retry set event %s", res.Event.EventName)
	}
}

// event checks the call's event name and decodes its payload into v.
func event(t testing.TB, res *cctest.Result, name string, v any) {
	t.Helper()
	if res.Event == nil || res.Event.EventName != name {
		t.Fatalf("event %v, want %s", res.Event, name)
	}
	if v != nil {
		dec := json.NewDecoder(bytes.NewReader(res.Event.Payload))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Fatalf("event payload %s: %v", res.Event.Payload, err)
		}
	}
}

// at is the fake clock time of a result, as the chain writes it.
func at(res *cctest.Result) string { return model.FormatTime(res.Timestamp) }

func after(ts string, seconds int64) string {
	t, err := model.ParseTime(ts)
	if err != nil {
		panic(err)
	}
	return model.FormatTime(t.Add(time.Duration(seconds) * time.Second))
}

func itoa(n int32) string { return fmt.Sprint(n) }

// signedArgs returns the two arguments of a department's DecideStep.
func signedArgs(f *fixture, dept string, approve bool, outputs ...string) []string {
	d := f.decision(dept, approve, outputs...)
	canonical, sig := f.sign(dept, &d)
	return []string{canonical, sig}
}

func listPending(t testing.TB, f *fixture, department string, size int32, bookmark string) model.StepPage {
	t.Helper()
	var page model.StepPage
	f.decode(f.ok(f.l.Evaluate(f.clerk, model.ChaincodeApproval, "ListPendingSteps", department, itoa(size), bookmark)), &page)
	return page
}

// signWith signs a decision with a member's key.
func signWith(t testing.TB, m *subjecttest.Member, d *model.StepDecision) (string, string) {
	return subjecttest.Sign(t, m.Key, "approval.DecideStep", d)
}
