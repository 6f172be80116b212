package subject_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

var reader = cctest.NewOrg("ReaderMSP").Identity("reader")

// evaluate runs a query that must succeed and decodes it into out.
func evaluate(t *testing.T, l *cctest.Ledger, out any, fn string, args ...string) {
	t.Helper()
	res := l.Evaluate(reader, cc, fn, args...)
	if err := res.Err(); err != nil {
		t.Fatalf("%s%v: %v", fn, args, err)
	}
	if err := res.JSON(out); err != nil {
		t.Fatal(err)
	}
}

// evaluateFails runs a query that must fail with code.
func evaluateFails(t *testing.T, l *cctest.Ledger, code model.Code, fn string, args ...string) {
	t.Helper()
	res := l.Evaluate(reader, cc, fn, args...)
	if e := model.ParseError(res.Message); res.Err() == nil || e == nil || e.Code != code {
		t.Fatalf("%s%q: status %d %q, want %s", fn, args, res.Status, res.Message, code)
	}
}

func TestList_EmptyTables(t *testing.T) {
	l := newLedger(t)
	for _, fn := range []string{"ListMembers", "ListNodes", "ListSubjects"} {
		res := l.Evaluate(reader, cc, fn, "", "0", "")
		if err := res.Err(); err != nil {
			t.Fatalf("%s on an empty table: %v", fn, err)
		}
		if string(res.Payload) != `{"items":[]}` {
			t.Fatalf("%s: %s", fn, res.Payload)
		}
	}
}

func TestGet_NotFound(t *testing.T) {
	l, _ := founded(t)
	for _, fn := range []string{"GetMember", "GetNode", "GetSubject"} {
		for _, id := range []string{"NobodyMSP", "", "00000000000000000000000000000000", "bad\x00id", "\xff\xfe"} {
			evaluateFails(t, l, model.CodeNotFound, fn, id)
		}
	}
}

func TestListMembers_ByKindAndPages(t *testing.T) {
	l, c := founded(t)
	for _, d := range model.Departments {
		c.AddDepartment(d)
	}
	c.AddMember("RegulatorMSP", model.MemberRegulator, "")
	c.ApplyMember("InstMSP", model.MemberInstitution, "")

	var all model.MemberPage
	evaluate(t, l, &all, "ListMembers", "", "0", "")
	if len(all.Items) != 10 || all.Bookmark != "" {
		t.Fatalf("all: %d items, bookmark %q", len(all.Items), all.Bookmark)
	}
	if !slices.IsSortedFunc(all.Items, func(a, b model.Member) int { return compare(a.ID, b.ID) }) {
		t.Fatal("members not in ID order")
	}

	var depts model.MemberPage
	evaluate(t, l, &depts, "ListMembers", string(model.MemberDepartment), "0", "")
	if len(depts.Items) != len(model.Departments) {
		t.Fatalf("departments: %d", len(depts.Items))
	}
	for _, m := range depts.Items {
		if m.Kind != model.MemberDepartment {
			t.Fatalf("kind filter let through %+v", m)
		}
	}

	// Walking pages of 3 visits every department once.
	var seen []string
	bookmark := ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		var p model.MemberPage
		evaluate(t, l, &p, "ListMembers", string(model.MemberDepartment), "3", bookmark)
		for _, m := range p.Items {
			seen = append(seen, m.ID)
		}
		if p.Bookmark == "" {
			break
		}
		bookmark = p.Bookmark
	}
	if len(seen) != len(model.Departments) || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != len(seen) {
		t.Fatalf("paged departments %v", seen)
	}

	var regs model.MemberPage
	evaluate(t, l, &regs, "ListMembers", string(model.MemberRegulator), "0", "")
	if len(regs.Items) != 1 || regs.Items[0].ID != "RegulatorMSP" {
		t.Fatalf("regulators %+v", regs.Items)
	}
	evaluateFails(t, l, model.CodeInvalid, "ListMembers", "emperor", "0", "")
	evaluateFails(t, l, model.CodeInvalid, "ListMembers", "", "-1", "")
}

func TestListNodes_ByKind(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptMarket)
	kinds := []model.NodeKind{model.NodeConsensus, model.NodeTransaction, model.NodeStorage, model.NodeChainEnd}
	for i := range 8 {
		a := admission(dept.ID, fmt.Sprintf("node%d", i), kinds[i%4])
		succeed(t, l, c.Operator.Admin, model.EventNodeAdmitted, nil, "AdmitNode", js(t, &a))
	}
	var all model.NodePage
	evaluate(t, l, &all, "ListNodes", "", "5", "")
	if len(all.Items) != 5 || all.Bookmark == "" {
		t.Fatalf("first page %d, bookmark %q", len(all.Items), all.Bookmark)
	}
	var rest model.NodePage
	evaluate(t, l, &rest, "ListNodes", "", "5", all.Bookmark)
	if len(rest.Items) != 3 || rest.Bookmark != "" {
		t.Fatalf("second page %d, bookmark %q", len(rest.Items), rest.Bookmark)
	}
	for _, k := range kinds {
		var p model.NodePage
		evaluate(t, l, &p, "ListNodes", string(k), "0", "")
		if len(p.Items) != 2 || p.Items[0].Kind != k || p.Items[1].Kind != k {
			t.Fatalf("%s: %+v", k, p.Items)
		}
	}
	var n model.Node
	evaluate(t, l, &n, "GetNode", all.Items[0].ID)
	if n.ID != all.Items[0].ID {
		t.Fatalf("GetNode %+v", n)
	}
	evaluateFails(t, l, model.CodeInvalid, "ListNodes", "miner", "0", "")
}

func TestListSubjects_ByKind(t *testing.T) {
	l, c := founded(t)
	for range 3 {
		c.OpenSubject(model.SubjectEnterprise)
	}
	c.OpenSubject(model.SubjectPerson)
	inst := c.ApplySubject(model.SubjectInstitution)

	var all model.SubjectPage
	evaluate(t, l, &all, "ListSubjects", "", "0", "")
	if len(all.Items) != 5 {
		t.Fatalf("all: %d", len(all.Items))
	}
	var firms model.SubjectPage
	evaluate(t, l, &firms, "ListSubjects", string(model.SubjectEnterprise), "2", "")
	if len(firms.Items) != 2 || firms.Bookmark == "" {
		t.Fatalf("firms page 1: %d %q", len(firms.Items), firms.Bookmark)
	}
	var more model.SubjectPage
	evaluate(t, l, &more, "ListSubjects", string(model.SubjectEnterprise), "2", firms.Bookmark)
	if len(more.Items) != 1 || more.Bookmark != "" {
		t.Fatalf("firms page 2: %d %q", len(more.Items), more.Bookmark)
	}
	var insts model.SubjectPage
	evaluate(t, l, &insts, "ListSubjects", string(model.SubjectInstitution), "0", "")
	if len(insts.Items) != 1 || insts.Items[0].ID != inst.ID || insts.Items[0].Status != model.StatusPending {
		t.Fatalf("institutions %+v", insts.Items)
	}
	evaluateFails(t, l, model.CodeInvalid, "ListSubjects", "alien", "0", "")
}

// The other chaincodes read members and subjects through access.Remote, which
// calls GetMember and GetSubject by InvokeChaincode: the records must come
// back whole, and an unknown ID as NOT_FOUND (which ActiveMember turns into
// DENIED).
func TestRemoteDirectory(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptMarket, model.PermContract)
	s := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)

	var m model.Member
	res := l.Evaluate(reader, "probe", "Member", dept.ID)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if err := res.JSON(&m); err != nil || !jsonEqual(res.Payload, mustJSON(t, getMember(t, l, dept.ID))) {
		t.Fatalf("remote member %s", res.Payload)
	}
	res = l.Evaluate(reader, "probe", "Subject", s.ID)
	if err := res.Err(); err != nil || !jsonEqual(res.Payload, mustJSON(t, getSubject(t, l, s.ID))) {
		t.Fatalf("remote subject %v %s", err, res.Payload)
	}
	for fn, id := range map[string]string{"Member": "NobodyMSP", "Subject": "00000000000000000000000000000000", "Active": "0123"} {
		res := l.Evaluate(reader, "probe", fn, id)
		if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeNotFound {
			t.Fatalf("remote %s(%s): %q", fn, id, res.Message)
		}
	}
	if res := l.Evaluate(dept.Client, "probe", "Act", string(model.PermContract)); string(res.Payload) != dept.ID {
		t.Fatalf("ActiveMember through Remote: %d %q %s", res.Status, res.Message, res.Payload)
	}
	for _, who := range []cctest.Creator{reader, dept.Client} {
		res := l.Evaluate(who, "probe", "Act", string(model.PermNode))
		if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeDenied {
			t.Fatalf("ActiveMember should deny: %q", res.Message)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	raw, err := model.Canonical(v)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
