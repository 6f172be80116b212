package subject_test

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

func TestBootstrap_FoundsConsortium(t *testing.T) {
	l := newLedger(t)
	org := cctest.NewOrg("OperatorMSP")
	admin := org.Identity("admin", cctest.Admin())
	app, key := application(t, "OperatorMSP", model.MemberOperator)
	req, sig := sign(t, key, subject.ActionBootstrap, &app)

	var m model.Member
	res := succeed(t, l, admin, model.EventMemberReviewed, &m, "Bootstrap", req, sig)
	if m.ID != "OperatorMSP" || m.Status != model.StatusActive || !slices.Equal(m.Permissions, model.MemberPermissions) {
		t.Fatalf("founder %+v", m)
	}
	if m.Signature != sig || m.PublicKey != app.PublicKey || m.CreatedTx != res.TxID || m.UpdatedTx != res.TxID {
		t.Fatalf("founder record %+v", m)
	}
	if m.CreatedAt != model.FormatTime(res.Timestamp) {
		t.Fatalf("createdAt %s, tx time %s", m.CreatedAt, res.Timestamp)
	}
	if got := getMember(t, l, "OperatorMSP"); !slices.Equal(got.Permissions, m.Permissions) || got.Status != m.Status {
		t.Fatalf("stored %+v", got)
	}
	if !hasIndex(t, l, "member~kind", "operator", "OperatorMSP") {
		t.Fatal("kind index missing")
	}

	// An identical retry returns the founder and writes nothing.
	var again model.Member
	unchanged(t, l, admin, &again, "Bootstrap", req, sig)
	if again.CreatedTx != m.CreatedTx {
		t.Fatalf("retry returned %+v", again)
	}

	// A second founder is refused once the consortium exists.
	other := cctest.NewOrg("OtherMSP").Identity("admin", cctest.Admin())
	app2, key2 := application(t, "OtherMSP", model.MemberOperator)
	req2, sig2 := sign(t, key2, subject.ActionBootstrap, &app2)
	fail(t, l, other, model.CodeState, "Bootstrap", req2, sig2)
}

func TestBootstrap_Denied(t *testing.T) {
	l := newLedger(t)
	org := cctest.NewOrg("OperatorMSP")
	app, key := application(t, "OperatorMSP", model.MemberOperator)
	req, sig := sign(t, key, subject.ActionBootstrap, &app)

	fail(t, l, org.Identity("client1"), model.CodeDenied, "Bootstrap", req, sig)
	fail(t, l, cctest.NewOrg("OtherMSP").Identity("admin", cctest.Admin()), model.CodeDenied, "Bootstrap", req, sig)
	// A creator that is no X.509 identity never reaches a chaincode on a
	// peer (the MSP rejects the proposal); here it must still write nothing.
	before := snapshot(l)
	if res := l.Submit(cctest.RawCreator("not an identity"), cc, "Bootstrap", req, sig); res.Err() == nil || len(res.Writes) != 0 || snapshot(l) != before {
		t.Fatalf("raw creator: %v, writes %v", res.Err(), res.Writes)
	}
}

func TestBootstrap_Malformed(t *testing.T) {
	l := newLedger(t)
	admin := cctest.NewOrg("OperatorMSP").Identity("admin", cctest.Admin())
	app, key := application(t, "OperatorMSP", model.MemberOperator)
	req, sig := sign(t, key, subject.ActionBootstrap, &app)

	bad := app
	bad.Kind = "emperor"
	badReq, badSig := sign(t, key, subject.ActionBootstrap, &bad)
	notKey := app
	notKey.PublicKey = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
	notKeyReq, notKeySig := sign(t, key, subject.ActionBootstrap, &notKey)
	padded := app
	padded.PublicKey += "Zhang San 370102199001011234\n"
	paddedReq, paddedSig := sign(t, key, subject.ActionBootstrap, &padded)

	for name, args := range map[string][]string{
		"not JSON":          {"{", sig},
		"not canonical":     {" " + req, sig},
		"unknown field":     {strings.Replace(req, `{"id"`, `{"x":1,"id"`, 1), sig},
		"invalid kind":      {badReq, badSig},
		"not an SM2 key":    {notKeyReq, notKeySig},
		"text around a key": {paddedReq, paddedSig},
	} {
		t.Run(name, func(t *testing.T) { fail(t, l, admin, model.CodeInvalid, "Bootstrap", args...) })
	}
}

func TestBootstrap_Signature(t *testing.T) {
	l := newLedger(t)
	admin := cctest.NewOrg("OperatorMSP").Identity("admin", cctest.Admin())
	app, key := application(t, "OperatorMSP", model.MemberOperator)
	req, sig := sign(t, key, subject.ActionBootstrap, &app)
	wrongKey, _ := newKey(t)
	_, wrongSig := sign(t, wrongKey, subject.ActionBootstrap, &app)
	_, otherAction := sign(t, key, subject.ActionApplyMember, &app)
	altered := app
	altered.Name = "Someone else"
	alteredReq, _ := sign(t, key, subject.ActionBootstrap, &altered)

	for name, args := range map[string][]string{
		"wrong key":    {req, wrongSig},
		"other action": {req, otherAction},
		"altered":      {alteredReq, sig},
		"empty":        {req, ""},
		"not base64":   {req, "%%%"},
		"garbage":      {req, base64.StdEncoding.EncodeToString([]byte("garbage"))},
		"overlong":     {req, strings.Repeat("A", 400)},
	} {
		t.Run(name, func(t *testing.T) { fail(t, l, admin, model.CodeSignature, "Bootstrap", args...) })
	}
}

func TestApplyMember_Pending(t *testing.T) {
	l, c := founded(t)
	admin := cctest.NewOrg("TaxMSP").Identity("admin", cctest.Admin())
	app, key := application(t, "TaxMSP", model.MemberDepartment)
	app.Department = model.DeptTax
	req, sig := sign(t, key, subject.ActionApplyMember, &app)

	var m model.Member
	succeed(t, l, admin, model.EventMemberApplied, &m, "ApplyMember", req, sig)
	if m.Status != model.StatusPending || len(m.Permissions) != 0 || m.Department != model.DeptTax || m.Signature != sig {
		t.Fatalf("applied %+v", m)
	}
	if !hasIndex(t, l, "member~kind", "department", "TaxMSP") {
		t.Fatal("kind index missing")
	}
	unchanged(t, l, admin, nil, "ApplyMember", req, sig)

	// Another application for the pending member is a conflict.
	app2 := app
	app2.Name = "Renamed"
	req2, sig2 := sign(t, key, subject.ActionApplyMember, &app2)
	fail(t, l, admin, model.CodeConflict, "ApplyMember", req2, sig2)

	// Once admitted, the same application returns the active member.
	succeed(t, l, c.Operator.Admin, model.EventMemberReviewed, nil, "ReviewMember", js(t, &model.MemberReview{Member: "TaxMSP", Approve: true}))
	var active model.Member
	unchanged(t, l, admin, &active, "ApplyMember", req, sig)
	if active.Status != model.StatusActive {
		t.Fatalf("retry after admission returned %+v", active)
	}
}

func TestApplyMember_ReapplyAfterRejection(t *testing.T) {
	l, c := founded(t)
	admin := cctest.NewOrg("BankMSP").Identity("admin", cctest.Admin())
	app, key := application(t, "BankMSP", model.MemberInstitution)
	req, sig := sign(t, key, subject.ActionApplyMember, &app)
	var first model.Member
	succeed(t, l, admin, model.EventMemberApplied, &first, "ApplyMember", req, sig)
	succeed(t, l, c.Operator.Admin, model.EventMemberReviewed, nil, "ReviewMember", js(t, &model.MemberReview{Member: "BankMSP", Note: "incomplete"}))

	// Re-applying as another kind moves the kind index entry.
	app.Kind = model.MemberDepartment
	app.Department = model.DeptBank
	req, sig = sign(t, key, subject.ActionApplyMember, &app)
	var again model.Member
	succeed(t, l, admin, model.EventMemberApplied, &again, "ApplyMember", req, sig)
	if again.Status != model.StatusPending || again.ReviewedBy != "" || again.Note != "" || again.Kind != model.MemberDepartment {
		t.Fatalf("re-applied %+v", again)
	}
	if again.CreatedTx != first.CreatedTx || again.UpdatedTx == first.UpdatedTx {
		t.Fatalf("re-application stamps %+v", again)
	}
	if hasIndex(t, l, "member~kind", "institution", "BankMSP") || !hasIndex(t, l, "member~kind", "department", "BankMSP") {
		t.Fatal("kind index not moved")
	}
}

func TestApplyMember_DeniedMalformedState(t *testing.T) {
	l := newLedger(t)
	org := cctest.NewOrg("SealMSP")
	admin := org.Identity("admin", cctest.Admin())
	app, key := application(t, "SealMSP", model.MemberDepartment)
	req, sig := sign(t, key, subject.ActionApplyMember, &app)

	// Before the consortium is founded nobody could review it.
	fail(t, l, admin, model.CodeState, "ApplyMember", req, sig)

	subjecttest.New(t, l)
	fail(t, l, org.Identity("client1"), model.CodeDenied, "ApplyMember", req, sig)
	fail(t, l, cctest.NewOrg("OtherMSP").Identity("admin", cctest.Admin()), model.CodeDenied, "ApplyMember", req, sig)
	fail(t, l, admin, model.CodeInvalid, "ApplyMember", req+" ", sig)
	fail(t, l, admin, model.CodeInvalid, "ApplyMember", `{"id":"SealMSP"}`, sig)
	_, bootSig := sign(t, key, subject.ActionBootstrap, &app)
	fail(t, l, admin, model.CodeSignature, "ApplyMember", req, bootSig)
	succeed(t, l, admin, model.EventMemberApplied, nil, "ApplyMember", req, sig)
}

func TestReviewMember(t *testing.T) {
	l, c := founded(t)
	pending := c.ApplyMember("SocialMSP", model.MemberDepartment, model.DeptSocial)
	review := js(t, &model.MemberReview{Member: "SocialMSP", Approve: true,
		Permissions: []model.Permission{model.PermSubject, model.PermContract, model.PermSubject}, Note: "ok"})

	// Denied: not an admin; an admin of a member without PermMember; a stranger.
	worker := c.AddDepartment(model.DeptMarket, model.PermContract, model.PermNode, model.PermSubject)
	fail(t, l, c.Operator.Client, model.CodeDenied, "ReviewMember", review)
	fail(t, l, worker.Admin, model.CodeDenied, "ReviewMember", review)
	fail(t, l, cctest.NewOrg("StrangerMSP").Identity("admin", cctest.Admin()), model.CodeDenied, "ReviewMember", review)
	fail(t, l, pending.Admin, model.CodeDenied, "ReviewMember", review)

	// Malformed.
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "ReviewMember", `{"member":"SocialMSP","approve":false,"permissions":["node"]}`)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "ReviewMember", `{"member":"SocialMSP","approve":true,"permissions":["transact"]}`)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "ReviewMember", `not json`)
	fail(t, l, c.Operator.Admin, model.CodeNotFound, "ReviewMember", `{"member":"NobodyMSP","approve":true}`)

	var m model.Member
	succeed(t, l, c.Operator.Admin, model.EventMemberReviewed, &m, "ReviewMember", review)
	if m.Status != model.StatusActive || m.ReviewedBy != subjecttest.OperatorMSP || m.Note != "ok" ||
		!slices.Equal(m.Permissions, []model.Permission{model.PermContract, model.PermSubject}) {
		t.Fatalf("reviewed %+v", m)
	}
	unchanged(t, l, c.Operator.Admin, nil, "ReviewMember", review)

	// A different decision on a decided member is refused.
	fail(t, l, c.Operator.Admin, model.CodeState, "ReviewMember", `{"member":"SocialMSP","approve":false}`)

	// Rejection.
	c.ApplyMember("MedicalMSP", model.MemberDepartment, model.DeptMedical)
	var r model.Member
	succeed(t, l, c.Operator.Admin, model.EventMemberReviewed, &r, "ReviewMember", `{"member":"MedicalMSP","approve":false,"note":"unknown"}`)
	if r.Status != model.StatusRejected || len(r.Permissions) != 0 {
		t.Fatalf("rejected %+v", r)
	}
	// A rejected member cannot act.
	fail(t, l, c.Operator.Admin, model.CodeState, "SuspendMember", `{"member":"MedicalMSP","note":"x"}`)
}

func TestSetMemberPermissions(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptTax, model.PermContract)
	change := js(t, &model.MemberChange{Member: dept.ID, Permissions: []model.Permission{model.PermNode, model.PermContract}, Note: "runs nodes"})

	fail(t, l, c.Operator.Client, model.CodeDenied, "SetMemberPermissions", change)
	fail(t, l, dept.Admin, model.CodeDenied, "SetMemberPermissions", change)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "SetMemberPermissions", `{"member":"TaxMSP","permissions":["node"]}`)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "SetMemberPermissions", `{"member":"TaxMSP","permissions":["bogus"],"note":"x"}`)
	fail(t, l, c.Operator.Admin, model.CodeNotFound, "SetMemberPermissions", `{"member":"NoMSP","note":"x"}`)

	var m model.Member
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, &m, "SetMemberPermissions", change)
	if !slices.Equal(m.Permissions, []model.Permission{model.PermContract, model.PermNode}) || m.Note != "runs nodes" {
		t.Fatalf("changed %+v", m)
	}
	unchanged(t, l, c.Operator.Admin, nil, "SetMemberPermissions", change)

	// Removing every permission leaves an empty set.
	var none model.Member
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, &none, "SetMemberPermissions", `{"member":"TaxMSP","note":"none"}`)
	if len(none.Permissions) != 0 {
		t.Fatalf("permissions %v", none.Permissions)
	}

	// A pending member has no permissions to set.
	c.ApplyMember("SealMSP", model.MemberDepartment, model.DeptSeal)
	fail(t, l, c.Operator.Admin, model.CodeState, "SetMemberPermissions", `{"member":"SealMSP","permissions":["node"],"note":"x"}`)

	// A suspended member's permissions may be set.
	c.SuspendMember(dept)
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, nil, "SetMemberPermissions", `{"member":"TaxMSP","permissions":["contract"],"note":"y"}`)
}

func TestSetMemberPermissions_NoLockOut(t *testing.T) {
	l, c := founded(t)
	drop := js(t, &model.MemberChange{Member: subjecttest.OperatorMSP, Permissions: []model.Permission{model.PermNode}, Note: "hand over"})
	msg := fail(t, l, c.Operator.Admin, model.CodeState, "SetMemberPermissions", drop)
	if !strings.Contains(msg, "lock") {
		t.Fatalf("message %q", msg)
	}

	// A suspended holder of PermMember does not count.
	heir := c.AddDepartment(model.DeptMarket, model.PermMember)
	c.SuspendMember(heir)
	fail(t, l, c.Operator.Admin, model.CodeState, "SetMemberPermissions", drop)

	// With an active heir the operator may hand over.
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, nil, "ReinstateMember", js(t, &model.MemberChange{Member: heir.ID, Note: "back"}))
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, nil, "SetMemberPermissions", drop)
	// Now the heir is the last governor and cannot drop its own right.
	fail(t, l, heir.Admin, model.CodeState, "SetMemberPermissions", js(t, &model.MemberChange{Member: heir.ID, Note: "x"}))
	// And the operator no longer governs.
	fail(t, l, c.Operator.Admin, model.CodeDenied, "SuspendMember", js(t, &model.MemberChange{Member: heir.ID, Note: "x"}))
}

// Two governors each dropping their own PermMember in the same block: each
// endorsement alone leaves the other, but Fabric's phantom-read check on the
// range of members invalidates the second, so governance survives.
func TestSetMemberPermissions_ConcurrentLockOut(t *testing.T) {
	l, c := founded(t)
	heir := c.AddDepartment(model.DeptMarket, model.PermMember)
	first := l.EvaluateTx(cctest.Tx{Creator: c.Operator.Admin, Chaincode: cc, Function: "SetMemberPermissions",
		Args: []string{js(t, &model.MemberChange{Member: c.Operator.ID, Note: "leave"})}})
	second := l.EvaluateTx(cctest.Tx{Creator: heir.Admin, Chaincode: cc, Function: "SetMemberPermissions",
		Args: []string{js(t, &model.MemberChange{Member: heir.ID, Note: "leave"})}})
	if first.Err() != nil || second.Err() != nil {
		t.Fatalf("endorsement: %v / %v", first.Err(), second.Err())
	}
	l.Commit(first, second)
	if !first.Committed || second.Committed {
		t.Fatalf("committed %v (%s), %v (%s)", first.Committed, first.ValidationCode, second.Committed, second.ValidationCode)
	}
	if second.ValidationCode == peer.TxValidationCode_VALID {
		t.Fatal("second must be invalid")
	}
	if m := getMember(t, l, heir.ID); !model.Has(m.Permissions, model.PermMember) {
		t.Fatalf("heir lost PermMember: %+v", m)
	}
}

func TestSuspendMember(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptSeal, model.PermSubject)
	suspend := js(t, &model.MemberChange{Member: dept.ID, Note: "audit"})

	fail(t, l, dept.Admin, model.CodeDenied, "SuspendMember", suspend)
	fail(t, l, c.Operator.Client, model.CodeDenied, "SuspendMember", suspend)
	fail(t, l, c.Operator.Admin, model.CodeDenied, "SuspendMember", js(t, &model.MemberChange{Member: c.Operator.ID, Note: "self"}))
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "SuspendMember", `{"member":"SealMSP","permissions":["node"],"note":"x"}`)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "SuspendMember", `{"member":"SealMSP"}`)
	fail(t, l, c.Operator.Admin, model.CodeNotFound, "SuspendMember", `{"member":"NoMSP","note":"x"}`)

	var m model.Member
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, &m, "SuspendMember", suspend)
	if m.Status != model.StatusSuspended || m.Note != "audit" || !slices.Equal(m.Permissions, []model.Permission{model.PermSubject}) {
		t.Fatalf("suspended %+v", m)
	}
	unchanged(t, l, c.Operator.Admin, nil, "SuspendMember", suspend)
	fail(t, l, c.Operator.Admin, model.CodeState, "SuspendMember", js(t, &model.MemberChange{Member: dept.ID, Note: "again"}))

	// A suspended member can no longer act, here or through access.Remote.
	app, key := subjectApp(t, model.SubjectPerson, "p1")
	req, sig := sign(t, key, subject.ActionApplySubject, &app)
	fail(t, l, dept.Client, model.CodeDenied, "ApplySubject", req, sig)
	res := l.Evaluate(dept.Client, "probe", "Act", "")
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeDenied {
		t.Fatalf("probe: %d %q", res.Status, res.Message)
	}
}

func TestReinstateMember(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptSeal, model.PermSubject)
	reinstate := js(t, &model.MemberChange{Member: dept.ID, Note: "cleared"})

	fail(t, l, c.Operator.Admin, model.CodeState, "ReinstateMember", reinstate)
	c.SuspendMember(dept)
	fail(t, l, dept.Admin, model.CodeDenied, "ReinstateMember", reinstate)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "ReinstateMember", `{"member":"SealMSP","permissions":["node"],"note":"x"}`)
	fail(t, l, c.Operator.Admin, model.CodeInvalid, "ReinstateMember", `[]`)

	var m model.Member
	succeed(t, l, c.Operator.Admin, model.EventMemberChanged, &m, "ReinstateMember", reinstate)
	if m.Status != model.StatusActive || !slices.Equal(m.Permissions, []model.Permission{model.PermSubject}) {
		t.Fatalf("reinstated %+v", m)
	}
	unchanged(t, l, c.Operator.Admin, nil, "ReinstateMember", reinstate)
	res := l.Evaluate(dept.Client, "probe", "Act", string(model.PermSubject))
	if res.Err() != nil {
		t.Fatalf("reinstated member cannot act: %v", res.Err())
	}
}

func TestChangeMemberKey_SignedByTheOldKey(t *testing.T) {
	l, c := founded(t)
	market := c.AddDepartment(model.DeptMarket)
	other := c.AddDepartment(model.DeptTax)
	newKey2, newPub := newKey(t)
	change := model.MemberKeyChange{Member: market.Record.ID, PublicKey: newPub, Note: "department key rotated"}
	req, sig := sign(t, market.Key, subject.ActionChangeMemberKey, &change)

	// Signatures: only the current key, over this very change, for this action.
	_, byNewKey := sign(t, newKey2, subject.ActionChangeMemberKey, &change)
	_, otherAction := sign(t, market.Key, subject.ActionChangeSubjectKey, &change)
	altered := change
	altered.Note = "stolen"
	alteredReq, _ := sign(t, market.Key, subject.ActionChangeMemberKey, &altered)
	fail(t, l, market.Client, model.CodeSignature, "ChangeMemberKey", req, byNewKey)
	fail(t, l, market.Client, model.CodeSignature, "ChangeMemberKey", req, otherAction)
	fail(t, l, market.Client, model.CodeSignature, "ChangeMemberKey", alteredReq, sig)
	fail(t, l, market.Client, model.CodeSignature, "ChangeMemberKey", req, strings.Repeat("A", 300))

	// Only the member's own identities; malformed changes.
	fail(t, l, other.Client, model.CodeDenied, "ChangeMemberKey", req, sig)
	fail(t, l, market.Client, model.CodeInvalid, "ChangeMemberKey", req+"\n", sig)
	noNote := change
	noNote.Note = ""
	nnReq, nnSig := sign(t, market.Key, subject.ActionChangeMemberKey, &noNote)
	fail(t, l, market.Client, model.CodeInvalid, "ChangeMemberKey", nnReq, nnSig)
	notKey := change
	notKey.PublicKey = "-----BEGIN PUBLIC KEY-----\nnot a key at all, not at all\n-----END PUBLIC KEY-----\n"
	nkReq, nkSig := sign(t, market.Key, subject.ActionChangeMemberKey, &notKey)
	fail(t, l, market.Client, model.CodeInvalid, "ChangeMemberKey", nkReq, nkSig)
	ghost := cctest.NewOrg("GhostMSP").Identity("x")
	gChange := change
	gChange.Member = "GhostMSP"
	gReq, gSig := sign(t, market.Key, subject.ActionChangeMemberKey, &gChange)
	fail(t, l, ghost, model.CodeNotFound, "ChangeMemberKey", gReq, gSig)

	var got model.Member
	succeed(t, l, market.Client, model.EventMemberKeyChanged, &got, "ChangeMemberKey", req, sig)
	if got.PublicKey != newPub || got.Note != "department key rotated" || got.Status != model.StatusActive {
		t.Fatalf("changed %+v", got)
	}
	// The retry finds the key in place and writes nothing.
	unchanged(t, l, market.Client, nil, "ChangeMemberKey", req, sig)

	// The old key no longer speaks for the member; the new one does, also
	// while the member is suspended.
	c.SuspendMember(market)
	_, thirdPub := newKey(t)
	next := model.MemberKeyChange{Member: market.Record.ID, PublicKey: thirdPub, Note: "again"}
	nReq, byOld := sign(t, market.Key, subject.ActionChangeMemberKey, &next)
	fail(t, l, market.Client, model.CodeSignature, "ChangeMemberKey", nReq, byOld)
	_, byCurrent := sign(t, newKey2, subject.ActionChangeMemberKey, &next)
	succeed(t, l, market.Client, model.EventMemberKeyChanged, nil, "ChangeMemberKey", nReq, byCurrent)

	// A pending applicant has no key to change.
	pending := c.ApplyMember("PendingMSP", model.MemberDepartment, model.DeptSocial)
	_, pPub := newKey(t)
	pChange := model.MemberKeyChange{Member: "PendingMSP", PublicKey: pPub, Note: "early"}
	pReq, pSig := sign(t, pending.Key, subject.ActionChangeMemberKey, &pChange)
	fail(t, l, pending.Client, model.CodeState, "ChangeMemberKey", pReq, pSig)
}
