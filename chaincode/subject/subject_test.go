package subject_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
)

func TestApplySubject_EveryKind(t *testing.T) {
	l, c := founded(t)
	window := c.AddDepartment(model.DeptMarket).Role(model.RoleClerk)
	for _, kind := range []model.SubjectKind{model.SubjectEnterprise, model.SubjectPerson, model.SubjectInstitution} {
		t.Run(string(kind), func(t *testing.T) {
			identity := "Zhang San 370102199001011234 " + string(kind)
			app, key := subjectApp(t, kind, identity)
			req, sig := sign(t, key, subject.ActionApplySubject, &app)
			var s model.Subject
			res := succeed(t, l, window, model.EventSubjectApplied, &s, "ApplySubject", req, sig)
			if s.ID != model.SubjectID(kind, app.Commitments[model.CommitIdentity]) || s.Status != model.StatusPending ||
				s.Sponsor != "MarketMSP" || s.Signature != sig || s.PublicKey != app.PublicKey ||
				!maps.Equal(s.Commitments, app.Commitments) || len(s.Permissions) != 0 || s.CreatedTx != res.TxID {
				t.Fatalf("applied %+v", s)
			}
			if !hasIndex(t, l, "subject~kind", string(kind), s.ID) {
				t.Fatal("kind index missing")
			}
			// 7.3 e with GB/T 35273: the identity data itself is nowhere on chain.
			if strings.Contains(snapshot(l), "Zhang San") || strings.Contains(snapshot(l), "370102") {
				t.Fatal("plain identity data on chain")
			}
			unchanged(t, l, window, nil, "ApplySubject", req, sig)
		})
	}
}

func TestApplySubject_Refusals(t *testing.T) {
	l, c := founded(t)
	dept := c.AddDepartment(model.DeptMarket)
	app, key := subjectApp(t, model.SubjectEnterprise, "firm")
	req, sig := sign(t, key, subject.ActionApplySubject, &app)

	// Denied: not a member; a pending member.
	fail(t, l, cctest.NewOrg("XMSP").Identity("clerk"), model.CodeDenied, "ApplySubject", req, sig)
	pending := c.ApplyMember("SealMSP", model.MemberDepartment, model.DeptSeal)
	fail(t, l, pending.Client, model.CodeDenied, "ApplySubject", req, sig)

	// Malformed.
	noLegalRep, _ := subjectApp(t, model.SubjectEnterprise, "firm2")
	delete(noLegalRep.Commitments, model.CommitLegalRep)
	r1, s1 := sign(t, key, subject.ActionApplySubject, &noLegalRep)
	noIdentity, _ := subjectApp(t, model.SubjectPerson, "p")
	delete(noIdentity.Commitments, model.CommitIdentity)
	r2, s2 := sign(t, key, subject.ActionApplySubject, &noIdentity)
	plain := app
	plain.Commitments = map[string]string{model.CommitIdentity: "Zhang San", model.CommitLegalRep: app.Commitments[model.CommitLegalRep]}
	r3, s3 := sign(t, key, subject.ActionApplySubject, &plain)
	badKey := app
	badKey.PublicKey = strings.Replace(app.PublicKey, "\n", "\r\n", -1)
	r4, s4 := sign(t, key, subject.ActionApplySubject, &badKey)
	for name, args := range map[string][]string{
		"no legal representative": {r1, s1},
		"no identity":             {r2, s2},
		"plain identity":          {r3, s3},
		"non-canonical key":       {r4, s4},
		"non-canonical JSON":      {strings.Replace(req, `","`, `", "`, 1), sig},
		"not JSON":                {"]", sig},
	} {
		t.Run(name, func(t *testing.T) { fail(t, l, dept.Client, model.CodeInvalid, "ApplySubject", args...) })
	}

	// Signatures.
	other, _ := subjectApp(t, model.SubjectEnterprise, "firm")
	_, otherSig := sign(t, key, subject.ActionApplySubject, &other) // same identity, another key in the payload
	_, memberAction := sign(t, key, subject.ActionApplyMember, &app)
	wrongKey, _ := newKey(t)
	_, wrongSig := sign(t, wrongKey, subject.ActionApplySubject, &app)
	for name, s := range map[string]string{"wrong key": wrongSig, "altered payload": otherSig, "other action": memberAction, "empty": ""} {
		t.Run(name, func(t *testing.T) { fail(t, l, dept.Client, model.CodeSignature, "ApplySubject", req, s) })
	}

	// A key in the payload that did not sign it is refused too.
	_, strangerPub := newKey(t)
	swapped := app
	swapped.PublicKey = strangerPub
	swReq, swSig := sign(t, key, subject.ActionApplySubject, &swapped)
	fail(t, l, dept.Client, model.CodeSignature, "ApplySubject", swReq, swSig)
	succeed(t, l, dept.Client, model.EventSubjectApplied, nil, "ApplySubject", req, sig)
}

func TestApplySubject_ConflictAndReapply(t *testing.T) {
	l, c := founded(t)
	app, key := subjectApp(t, model.SubjectPerson, "Li Si")
	req, sig := sign(t, key, subject.ActionApplySubject, &app)
	var first model.Subject
	succeed(t, l, c.Operator.Client, model.EventSubjectApplied, &first, "ApplySubject", req, sig)

	// Same identity, another key: a conflict while pending.
	other, otherKey := subjectApp(t, model.SubjectPerson, "Li Si")
	otherReq, otherSig := sign(t, otherKey, subject.ActionApplySubject, &other)
	fail(t, l, c.Operator.Client, model.CodeConflict, "ApplySubject", otherReq, otherSig)

	// After a rejection the same identity may apply again, through another
	// member, with the new key.
	succeed(t, l, c.Operator.Client, model.EventSubjectReviewed, nil, "ReviewSubject", js(t, &model.SubjectReview{Subject: first.ID, Note: "blurred photo"}))
	window := c.AddDepartment(model.DeptTax)
	var again model.Subject
	succeed(t, l, window.Client, model.EventSubjectApplied, &again, "ApplySubject", otherReq, otherSig)
	if again.ID != first.ID || again.Status != model.StatusPending || again.Sponsor != window.ID ||
		again.PublicKey != other.PublicKey || again.Note != "" || again.ReviewedBy != "" || again.CreatedTx != first.CreatedTx {
		t.Fatalf("re-applied %+v", again)
	}
}

func TestReviewSubject(t *testing.T) {
	l, c := founded(t)
	s := c.ApplySubject(model.SubjectEnterprise)
	reviewer := c.AddDepartment(model.DeptMarket, model.PermSubject)
	outsider := c.AddDepartment(model.DeptTax, model.PermContract)
	review := js(t, &model.SubjectReview{Subject: s.ID, Approve: true,
		Permissions: []model.Permission{model.PermIssueAsset, model.PermTransact, model.PermIssueAsset}, Note: "A.5 b"})

	fail(t, l, outsider.Client, model.CodeDenied, "ReviewSubject", review)
	fail(t, l, cctest.NewOrg("XMSP").Identity("x"), model.CodeDenied, "ReviewSubject", review)
	fail(t, l, reviewer.Client, model.CodeInvalid, "ReviewSubject", `{"subject":"`+s.ID+`","approve":true,"permissions":["member"]}`)
	fail(t, l, reviewer.Client, model.CodeInvalid, "ReviewSubject", `{"subject":"`+s.ID+`","approve":false,"permissions":["transact"]}`)
	fail(t, l, reviewer.Client, model.CodeInvalid, "ReviewSubject", `{"subject":"nope","approve":true}`)
	fail(t, l, reviewer.Client, model.CodeNotFound, "ReviewSubject", `{"subject":"00000000000000000000000000000000","approve":true}`)

	var got model.Subject
	succeed(t, l, reviewer.Client, model.EventSubjectReviewed, &got, "ReviewSubject", review)
	if got.Status != model.StatusActive || got.ReviewedBy != reviewer.ID || got.Note != "A.5 b" ||
		!slices.Equal(got.Permissions, []model.Permission{model.PermTransact, model.PermIssueAsset}) {
		t.Fatalf("reviewed %+v", got)
	}
	unchanged(t, l, reviewer.Client, nil, "ReviewSubject", review)
	fail(t, l, reviewer.Client, model.CodeState, "ReviewSubject", `{"subject":"`+s.ID+`","approve":false}`)
	// Another reviewer repeating the decision is a different request.
	fail(t, l, c.Operator.Client, model.CodeState, "ReviewSubject", review)

	// An active subject is visible as active to the other chaincodes.
	if res := l.Evaluate(outsider.Client, "probe", "Active", s.ID); res.Err() != nil {
		t.Fatalf("probe: %v", res.Err())
	}

	rejected := c.ApplySubject(model.SubjectPerson)
	var r model.Subject
	succeed(t, l, reviewer.Client, model.EventSubjectReviewed, &r, "ReviewSubject", `{"subject":"`+rejected.ID+`","approve":false}`)
	if r.Status != model.StatusRejected {
		t.Fatalf("rejected %+v", r)
	}
	res := l.Evaluate(outsider.Client, "probe", "Active", rejected.ID)
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeState {
		t.Fatalf("probe of a rejected subject: %q", res.Message)
	}
}

func TestSetSubjectPermissions(t *testing.T) {
	l, c := founded(t)
	s := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	outsider := c.AddDepartment(model.DeptTax)
	change := js(t, &model.SubjectChange{Subject: s.ID, Permissions: []model.Permission{model.PermPublishContract, model.PermTransact}, Note: "contract author"})

	fail(t, l, outsider.Client, model.CodeDenied, "SetSubjectPermissions", change)
	fail(t, l, c.Operator.Client, model.CodeInvalid, "SetSubjectPermissions", `{"subject":"`+s.ID+`","permissions":["transact"]}`)
	fail(t, l, c.Operator.Client, model.CodeInvalid, "SetSubjectPermissions", `{"subject":"`+s.ID+`","permissions":["node"],"note":"x"}`)
	fail(t, l, c.Operator.Client, model.CodeNotFound, "SetSubjectPermissions", `{"subject":"00000000000000000000000000000000","note":"x"}`)

	var got model.Subject
	succeed(t, l, c.Operator.Client, model.EventSubjectChanged, &got, "SetSubjectPermissions", change)
	if !slices.Equal(got.Permissions, []model.Permission{model.PermTransact, model.PermPublishContract}) || got.Note != "contract author" {
		t.Fatalf("changed %+v", got)
	}
	unchanged(t, l, c.Operator.Client, nil, "SetSubjectPermissions", change)

	pending := c.ApplySubject(model.SubjectPerson)
	fail(t, l, c.Operator.Client, model.CodeState, "SetSubjectPermissions", `{"subject":"`+pending.ID+`","permissions":["transact"],"note":"x"}`)

	// A frozen subject's permissions may be set.
	c.FreezeSubject(s)
	var none model.Subject
	succeed(t, l, c.Operator.Client, model.EventSubjectChanged, &none, "SetSubjectPermissions", `{"subject":"`+s.ID+`","note":"strip"}`)
	if len(none.Permissions) != 0 || none.Status != model.StatusFrozen {
		t.Fatalf("stripped %+v", none)
	}
}

func TestFreezeAndUnfreezeSubject(t *testing.T) {
	l, c := founded(t)
	s := c.OpenSubject(model.SubjectPerson, model.PermTransact)
	outsider := c.AddDepartment(model.DeptTax)
	freeze := js(t, &model.SubjectChange{Subject: s.ID, Note: "court order"})
	unfreeze := js(t, &model.SubjectChange{Subject: s.ID, Note: "lifted"})

	fail(t, l, outsider.Client, model.CodeDenied, "FreezeSubject", freeze)
	fail(t, l, c.Operator.Client, model.CodeInvalid, "FreezeSubject", `{"subject":"`+s.ID+`","permissions":["transact"],"note":"x"}`)
	fail(t, l, c.Operator.Client, model.CodeInvalid, "FreezeSubject", `{"subject":"`+s.ID+`"}`)
	fail(t, l, c.Operator.Client, model.CodeNotFound, "FreezeSubject", `{"subject":"00000000000000000000000000000000","note":"x"}`)
	fail(t, l, c.Operator.Client, model.CodeState, "UnfreezeSubject", unfreeze)

	var got model.Subject
	succeed(t, l, c.Operator.Client, model.EventSubjectChanged, &got, "FreezeSubject", freeze)
	if got.Status != model.StatusFrozen || got.Note != "court order" || !slices.Equal(got.Permissions, []model.Permission{model.PermTransact}) {
		t.Fatalf("frozen %+v", got)
	}
	unchanged(t, l, c.Operator.Client, nil, "FreezeSubject", freeze)
	fail(t, l, c.Operator.Client, model.CodeState, "FreezeSubject", js(t, &model.SubjectChange{Subject: s.ID, Note: "twice"}))
	res := l.Evaluate(outsider.Client, "probe", "Active", s.ID)
	if e := model.ParseError(res.Message); e == nil || e.Code != model.CodeState {
		t.Fatalf("probe of a frozen subject: %q", res.Message)
	}

	fail(t, l, outsider.Client, model.CodeDenied, "UnfreezeSubject", unfreeze)
	fail(t, l, c.Operator.Client, model.CodeInvalid, "UnfreezeSubject", `{"subject":"`+s.ID+`","permissions":["transact"],"note":"x"}`)
	succeed(t, l, c.Operator.Client, model.EventSubjectChanged, &got, "UnfreezeSubject", unfreeze)
	if got.Status != model.StatusActive {
		t.Fatalf("unfrozen %+v", got)
	}
	unchanged(t, l, c.Operator.Client, nil, "UnfreezeSubject", unfreeze)

	pending := c.ApplySubject(model.SubjectPerson)
	fail(t, l, c.Operator.Client, model.CodeState, "FreezeSubject", `{"subject":"`+pending.ID+`","note":"x"}`)
}

func TestChangeSubjectKey_SelfService(t *testing.T) {
	l, c := founded(t)
	s := c.OpenSubject(model.SubjectPerson, model.PermTransact)
	window := c.AddDepartment(model.DeptMarket) // any active member may submit
	newKey2, newPub := newKey(t)
	change := model.SubjectKeyChange{Subject: s.ID, PublicKey: newPub, Note: "phone replaced"}
	req, sig := sign(t, s.Key, subject.ActionChangeSubjectKey, &change)

	// Signatures: only the current key, over this very change, for this action.
	_, byNewKey := sign(t, newKey2, subject.ActionChangeSubjectKey, &change)
	_, otherAction := sign(t, s.Key, subject.ActionApplySubject, &change)
	altered := change
	altered.Note = "stolen"
	alteredReq, _ := sign(t, s.Key, subject.ActionChangeSubjectKey, &altered)
	fail(t, l, window.Client, model.CodeSignature, "ChangeSubjectKey", req, byNewKey)
	fail(t, l, window.Client, model.CodeSignature, "ChangeSubjectKey", req, otherAction)
	fail(t, l, window.Client, model.CodeSignature, "ChangeSubjectKey", alteredReq, sig)
	fail(t, l, window.Client, model.CodeSignature, "ChangeSubjectKey", req, "!!")

	// Denied and malformed.
	fail(t, l, cctest.NewOrg("XMSP").Identity("x"), model.CodeDenied, "ChangeSubjectKey", req, sig)
	fail(t, l, window.Client, model.CodeInvalid, "ChangeSubjectKey", req+"\n", sig)
	noNote := change
	noNote.Note = ""
	nnReq, nnSig := sign(t, s.Key, subject.ActionChangeSubjectKey, &noNote)
	fail(t, l, window.Client, model.CodeInvalid, "ChangeSubjectKey", nnReq, nnSig)
	notKey := change
	notKey.PublicKey = "-----BEGIN PUBLIC KEY-----\nnot a key at all, not at all\n-----END PUBLIC KEY-----\n"
	nkReq, nkSig := sign(t, s.Key, subject.ActionChangeSubjectKey, &notKey)
	fail(t, l, window.Client, model.CodeInvalid, "ChangeSubjectKey", nkReq, nkSig)
	ghost := change
	ghost.Subject = "00000000000000000000000000000000"
	gReq, gSig := sign(t, s.Key, subject.ActionChangeSubjectKey, &ghost)
	fail(t, l, window.Client, model.CodeNotFound, "ChangeSubjectKey", gReq, gSig)

	var got model.Subject
	succeed(t, l, window.Client, model.EventSubjectKeyChanged, &got, "ChangeSubjectKey", req, sig)
	if got.PublicKey != newPub || got.Note != "phone replaced" || got.Signature != s.Record.Signature {
		t.Fatalf("changed %+v", got)
	}
	// The retry finds the key in place and writes nothing.
	unchanged(t, l, window.Client, nil, "ChangeSubjectKey", req, sig)

	// The old key no longer speaks for the subject.
	_, thirdPub := newKey(t)
	next := model.SubjectKeyChange{Subject: s.ID, PublicKey: thirdPub, Note: "again"}
	nReq, byOld := sign(t, s.Key, subject.ActionChangeSubjectKey, &next)
	fail(t, l, window.Client, model.CodeSignature, "ChangeSubjectKey", nReq, byOld)
	_, byCurrent := sign(t, newKey2, subject.ActionChangeSubjectKey, &next)
	succeed(t, l, window.Client, model.EventSubjectKeyChanged, nil, "ChangeSubjectKey", nReq, byCurrent)
}

func TestChangeSubjectKey_Recovery(t *testing.T) {
	l, c := founded(t)
	s := c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	noRight := c.AddDepartment(model.DeptTax)
	_, newPub := newKey(t)
	req := js(t, &model.SubjectKeyChange{Subject: s.ID, PublicKey: newPub, Note: "k-of-n recovery #7"})

	// Without a subject signature only a PermSubject member may change it.
	fail(t, l, noRight.Client, model.CodeDenied, "ChangeSubjectKey", req, "")

	// Recovery works on a frozen subject; self-service does not.
	c.FreezeSubject(s)
	_, pub3 := newKey(t)
	selfChange := model.SubjectKeyChange{Subject: s.ID, PublicKey: pub3, Note: "self"}
	sReq, sSig := sign(t, s.Key, subject.ActionChangeSubjectKey, &selfChange)
	fail(t, l, noRight.Client, model.CodeState, "ChangeSubjectKey", sReq, sSig)

	var got model.Subject
	succeed(t, l, c.Operator.Client, model.EventSubjectKeyChanged, &got, "ChangeSubjectKey", req, "")
	if got.PublicKey != newPub || got.Status != model.StatusFrozen {
		t.Fatalf("recovered %+v", got)
	}
	unchanged(t, l, c.Operator.Client, nil, "ChangeSubjectKey", req, "")

	// A pending subject has no key to change yet.
	pending := c.ApplySubject(model.SubjectPerson)
	fail(t, l, c.Operator.Client, model.CodeState, "ChangeSubjectKey", js(t, &model.SubjectKeyChange{Subject: pending.ID, PublicKey: newPub, Note: "x"}), "")
}
