package subject_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// probe submits one fuzzed transaction: whatever the input, the chaincode
// must not panic, must answer a failure with a classified error, and a
// failure must leave the ledger untouched.
func probe(t *testing.T, l *cctest.Ledger, creator cctest.Creator, fn string, args ...string) {
	before, height := snapshot(l), l.Height()
	res := l.Submit(creator, cc, fn, args...)
	if res.Err() == nil {
		return
	}
	if strings.Contains(res.Message, "panic") {
		t.Fatalf("%s%q panicked: %s", fn, args, res.Message)
	}
	if model.ParseError(res.Message) == nil {
		t.Fatalf("%s%q: unclassified error %q", fn, args, res.Message)
	}
	if len(res.Writes) != 0 || res.Event != nil || l.Height() != height || snapshot(l) != before {
		t.Fatalf("%s%q failed but wrote", fn, args)
	}
}

func FuzzBootstrap(f *testing.F) {
	l := newLedger(f)
	admin := cctest.NewOrg("OperatorMSP").Identity("admin", cctest.Admin())
	app, key := application(f, "OperatorMSP", model.MemberOperator)
	req, sig := sign(f, key, subject.ActionBootstrap, &app)
	f.Add(req, sig)
	f.Add(req, "")
	f.Add("{}", sig)
	f.Add(`{"id":"OperatorMSP","name":"x","kind":"operator","publicKey":"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n"}`, "MEUCIQ==")
	f.Fuzz(func(t *testing.T, application, signature string) {
		probe(t, l, admin, "Bootstrap", application, signature)
	})
}

func FuzzApplyMember(f *testing.F) {
	l, _ := founded(f)
	admin := cctest.NewOrg("TaxMSP").Identity("admin", cctest.Admin())
	app, key := application(f, "TaxMSP", model.MemberDepartment)
	app.Department = model.DeptTax
	req, sig := sign(f, key, subject.ActionApplyMember, &app)
	f.Add(req, sig)
	f.Add(strings.ToUpper(req), sig)
	f.Add(req, "\x00")
	f.Add("null", "")
	f.Add(`{"id":"TaxMSP","name":"\u0000","kind":"department","department":"tax","publicKey":""}`, sig)
	f.Fuzz(func(t *testing.T, application, signature string) {
		probe(t, l, admin, "ApplyMember", application, signature)
	})
}

func FuzzApplySubject(f *testing.F) {
	l, c := founded(f)
	app, key := subjectApp(f, model.SubjectEnterprise, "fuzz firm")
	req, sig := sign(f, key, subject.ActionApplySubject, &app)
	f.Add(req, sig)
	f.Add(strings.Replace(req, "enterprise", "person", 1), sig)
	f.Add(`{"kind":"person","commitments":{"identity":"`+gm.Hex(nil)+`","`+strings.Repeat("k", 200)+`":"x"},"publicKey":"-----BEGIN PUBLIC KEY-----"}`, "")
	f.Add(`{"kind":"person","commitments":null,"publicKey":null}`, sig)
	f.Fuzz(func(t *testing.T, application, signature string) {
		probe(t, l, c.Operator.Client, "ApplySubject", application, signature)
	})
}

func FuzzChangeSubjectKey(f *testing.F) {
	l, c := founded(f)
	s := c.OpenSubject(model.SubjectPerson, model.PermTransact)
	_, pub := newKey(f)
	change := model.SubjectKeyChange{Subject: s.ID, PublicKey: pub, Note: "rotate"}
	req, sig := sign(f, s.Key, subject.ActionChangeSubjectKey, &change)
	f.Add(req, sig)
	f.Add(req, "")
	f.Add(strings.Replace(req, "rotate", "rotatE", 1), sig)
	f.Add(`{"subject":"`+s.ID+`","publicKey":"`+strings.ReplaceAll(s.PublicKeyPEM, "\n", `\n`)+`","note":"same"}`, "")
	f.Fuzz(func(t *testing.T, change, signature string) {
		probe(t, l, c.Operator.Client, "ChangeSubjectKey", change, signature)
	})
}

// jsonFunctions are the transactions taking one unsigned JSON request.
var jsonFunctions = []string{
	"ReviewMember", "SetMemberPermissions", "SuspendMember", "ReinstateMember",
	"AdmitNode", "RetireNode",
	"ReviewSubject", "SetSubjectPermissions", "FreezeSubject", "UnfreezeSubject",
}

func FuzzJSONTransactions(f *testing.F) {
	l, c := founded(f)
	dept := c.ApplyMember("SealMSP", model.MemberDepartment, model.DeptSeal)
	s := c.ApplySubject(model.SubjectEnterprise)
	node := admission(subjecttest.OperatorMSP, "peer0", model.NodeTransaction)
	seeds := []string{
		js(f, &model.MemberReview{Member: dept.ID, Approve: true, Permissions: []model.Permission{model.PermNode}}),
		js(f, &model.MemberChange{Member: dept.ID, Permissions: []model.Permission{model.PermSubject}, Note: "x"}),
		js(f, &model.MemberChange{Member: dept.ID, Note: "suspend"}),
		js(f, &model.MemberChange{Member: dept.ID, Note: "reinstate"}),
		js(f, &node),
		js(f, &model.NodeRetirement{Node: model.NodeID(node.Member, node.Name), Note: "bye"}),
		js(f, &model.SubjectReview{Subject: s.ID, Approve: true, Permissions: []model.Permission{model.PermTransact}}),
		js(f, &model.SubjectChange{Subject: s.ID, Permissions: []model.Permission{model.PermIssueAsset}, Note: "x"}),
		js(f, &model.SubjectChange{Subject: s.ID, Note: "freeze"}),
		js(f, &model.SubjectChange{Subject: s.ID, Note: "unfreeze"}),
	}
	for i, seed := range seeds {
		f.Add(uint8(i), seed)
		f.Add(uint8(i), seed[:len(seed)/2])
	}
	f.Add(uint8(0), `{"member":"OperatorMSP","approve":true,"permissions":["member","member"]}`)
	f.Add(uint8(2), `{"member":"OperatorMSP","note":"self"}`)
	f.Fuzz(func(t *testing.T, fn uint8, request string) {
		probe(t, l, c.Operator.Admin, jsonFunctions[int(fn)%len(jsonFunctions)], request)
	})
}

func FuzzQueries(f *testing.F) {
	l, c := founded(f)
	c.AddDepartment(model.DeptMarket)
	s := c.OpenSubject(model.SubjectPerson)
	f.Add(uint8(0), "OperatorMSP", "", int32(0), "")
	f.Add(uint8(1), s.ID, "person", int32(1), "")
	f.Add(uint8(2), "x\x00y", "department", int32(-5), "\x00member~kind\x00department\x00")
	f.Add(uint8(3), "", "chain-end", int32(1<<30), "\xff")
	f.Fuzz(func(t *testing.T, fn uint8, id, kind string, pageSize int32, bookmark string) {
		var res *cctest.Result
		switch fn % 6 {
		case 0:
			res = l.Evaluate(reader, cc, "GetMember", id)
		case 1:
			res = l.Evaluate(reader, cc, "GetSubject", id)
		case 2:
			res = l.Evaluate(reader, cc, "GetNode", id)
		case 3:
			res = l.Evaluate(reader, cc, "ListMembers", kind, strconv.Itoa(int(pageSize)), bookmark)
		case 4:
			res = l.Evaluate(reader, cc, "ListSubjects", kind, strconv.Itoa(int(pageSize)), bookmark)
		default:
			res = l.Evaluate(reader, cc, "ListNodes", kind, strconv.Itoa(int(pageSize)), bookmark)
		}
		if res.Err() != nil && (strings.Contains(res.Message, "panic") || model.ParseError(res.Message) == nil) {
			t.Fatalf("query %d(%q, %q, %d, %q): %q", fn, id, kind, pageSize, bookmark, res.Message)
		}
	})
}
