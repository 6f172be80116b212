package authorization_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// creation is a request for view access to the licence, due in an hour.
func (e *env) creation(requester, nonce string) model.AccessRequestCreation {
	return model.AccessRequestCreation{
		Asset:     e.asset.ID,
		Requester: requester,
		Kind:      model.KindAuthorization,
		Scope:     model.ScopeView,
		Purpose:   "verify the company before a contract",
		DueAt:     e.at(time.Hour),
		Nonce:     nonce,
	}
}

// requestBy files an access request to the licence: signed by signer when
// it is a subject, otherwise by the bank member acting as itself.
func (e *env) requestBy(requester string, signer *subjecttest.Subject, nonce string) model.AccessRequest {
	e.t.Helper()
	c := e.creation(requester, nonce)
	var r model.AccessRequest
	e.decode(e.ok(e.submitRequest(&c, signer)), &r)
	return r
}

// submitRequest submits RequestAccess: a subject signer signs through the
// gateway, a nil signer means the bank asks as itself.
func (e *env) submitRequest(c *model.AccessRequestCreation, signer *subjecttest.Subject) *cctest.Result {
	e.t.Helper()
	if signer == nil {
		return e.call(e.bank.Client, "RequestAccess", e.canonical(c), "")
	}
	canonical, sig := e.sign(signer.Key, authorization.ActionRequestAccess, c)
	return e.call(e.gateway(), "RequestAccess", canonical, sig)
}

// deny denies a request as the owner.
func (e *env) deny(request, note string) model.AccessRequest {
	e.t.Helper()
	canonical, sig := e.sign(e.owner.Key, authorization.ActionDenyRequest, &model.AccessRequestDenial{Request: request, Note: note})
	var r model.AccessRequest
	e.decode(e.ok(e.call(e.gateway(), "DenyRequest", canonical, sig)), &r)
	return r
}

func TestRequestAccess_BySubject(t *testing.T) {
	e := newEnv(t)
	c := e.creation(e.person.ID, "r1")
	c.DueAt = e.l.Now().Add(time.Hour).In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339)
	res := e.ok(e.submitRequest(&c, e.person))
	var r, ev, st model.AccessRequest
	e.decode(res, &r)
	due := model.FormatTime(e.l.Now().Add(time.Hour - time.Second).Truncate(time.Second))
	if r.ID != model.AccessRequestID(e.asset.ID, e.person.ID, "r1") || r.Owner != e.owner.ID || r.Requester != e.person.ID ||
		r.Status != model.RequestPending || r.DueAt != due || r.CreatedTx != res.TxID {
		t.Fatalf("request %+v (due %s)", r, due)
	}
	e.event(res, model.EventAccessRequested, &ev)
	if ev.ID != r.ID || !e.stored("request", r.ID, &st) || st.Status != model.RequestPending {
		t.Fatalf("event %+v stored %+v", ev, st)
	}
	if !e.has("request~due", r.DueAt, r.ID) || !e.has("request~owner~due", e.owner.ID, r.DueAt, r.ID) {
		t.Fatal("pending request not indexed by due time")
	}

	// The same request again is a retry; other content under its ID conflicts.
	res = e.ok(e.submitRequest(&c, e.person))
	noTrace(t, res)
	c.Purpose = "another purpose"
	canonical, sig := e.sign(e.person.Key, authorization.ActionRequestAccess, &c)
	e.rejects(model.CodeConflict, e.gateway(), "RequestAccess", canonical, sig)
}

func TestRequestAccess_ByMemberAsItself(t *testing.T) {
	e := newEnv(t)
	c := e.creation(e.bank.ID, "r1")
	var r model.AccessRequest
	e.decode(e.ok(e.call(e.bank.Client, "RequestAccess", e.canonical(&c), "")), &r)
	if r.Requester != e.bank.ID || r.Status != model.RequestPending {
		t.Fatalf("request %+v", r)
	}
	res := e.ok(e.call(e.bank.Client, "RequestAccess", e.canonical(&c), ""))
	noTrace(t, res)
	// A retry must still come from the member itself.
	e.rejects(model.CodeDenied, e.market.Client, "RequestAccess", e.canonical(&c), "")
}

func TestRequestAccess_Rejected(t *testing.T) {
	e := newEnv(t)
	revoked := e.issue(e.owner)
	e.ok(e.l.Submit(e.market.Client, model.ChaincodeAsset, "RevokeAsset",
		e.canonical(&model.AssetStatusChange{Asset: revoked.ID, Note: "withdrawn"})))
	frozen := e.c.OpenSubject(model.SubjectPerson, model.PermTransact)
	e.c.FreezeSubject(frozen)
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")

	signed := func(signer *subjecttest.Subject, edit func(*model.AccessRequestCreation)) (string, string) {
		c := e.creation(signer.ID, "x")
		if edit != nil {
			edit(&c)
		}
		return e.sign(signer.Key, authorization.ActionRequestAccess, &c)
	}
	good, goodSig := signed(e.person, nil)
	own, ownSig := signed(e.owner, nil)
	past, pastSig := signed(e.person, func(c *model.AccessRequestCreation) { c.DueAt = e.at(-time.Minute) })
	gone, goneSig := signed(e.person, func(c *model.AccessRequestCreation) { c.Asset = revoked.ID })
	unknown, unknownSig := signed(e.person, func(c *model.AccessRequestCreation) { c.Asset = strings.Repeat("4", 32) })
	cold, coldSig := signed(frozen, nil)
	_, wrongSig := signed(e.owner, func(c *model.AccessRequestCreation) { c.Requester = e.person.ID })
	asBank := e.canonical(func() *model.AccessRequestCreation { c := e.creation(e.bank.ID, "x"); return &c }())

	for name, tc := range map[string]struct {
		caller             cctest.Creator
		request, signature string
		code               model.Code
	}{
		"caller not a member":     {stranger, good, goodSig, model.CodeDenied},
		"owner asks":              {e.gateway(), own, ownSig, model.CodeInvalid},
		"due in the past":         {e.gateway(), past, pastSig, model.CodeInvalid},
		"asset revoked":           {e.gateway(), gone, goneSig, model.CodeState},
		"asset unknown":           {e.gateway(), unknown, unknownSig, model.CodeNotFound},
		"requester frozen":        {e.gateway(), cold, coldSig, model.CodeState},
		"wrong key":               {e.gateway(), good, wrongSig, model.CodeSignature},
		"unsigned subject":        {e.gateway(), good, "", model.CodeSignature},
		"member speaks for other": {e.market.Client, asBank, "", model.CodeDenied},
		"member signs":            {e.bank.Client, asBank, goodSig, model.CodeInvalid},
		"not canonical":           {e.gateway(), good + " ", goodSig, model.CodeInvalid},
		"no nonce":                {e.gateway(), strings.Replace(good, `"nonce":"x"`, `"nonce":""`, 1), goodSig, model.CodeInvalid},
	} {
		e.run(t, name, func() {
			e.rejects(tc.code, tc.caller, "RequestAccess", tc.request, tc.signature)
		})
	}
}

func TestDenyRequest_DeniesOnce(t *testing.T) {
	e := newEnv(t)
	r := e.requestBy(e.person.ID, e.person, "r1")
	d := model.AccessRequestDenial{Request: r.ID, Note: "not for this purpose"}
	canonical, sig := e.sign(e.owner.Key, authorization.ActionDenyRequest, &d)
	res := e.ok(e.call(e.gateway(), "DenyRequest", canonical, sig))
	var got, ev model.AccessRequest
	e.decode(res, &got)
	if got.Status != model.RequestDenied || got.Note != d.Note || got.UpdatedTx != res.TxID || got.Grant != "" {
		t.Fatalf("denied %+v", got)
	}
	e.event(res, model.EventAccessRequestDenied, &ev)
	if ev.ID != r.ID || ev.Status != model.RequestDenied {
		t.Fatalf("event %+v", ev)
	}
	if e.has("request~due", r.DueAt, r.ID) || e.has("request~owner~due", r.Owner, r.DueAt, r.ID) {
		t.Fatal("a denied request stays in the pending indexes")
	}

	noTrace(t, e.ok(e.call(e.gateway(), "DenyRequest", canonical, sig)))
	canonical, sig = e.sign(e.owner.Key, authorization.ActionDenyRequest, &model.AccessRequestDenial{Request: r.ID, Note: "again"})
	e.rejects(model.CodeState, e.gateway(), "DenyRequest", canonical, sig)

	// An approved request cannot be denied.
	r2 := e.requestBy(e.person.ID, e.person, "r2")
	g := e.personGrant("n1")
	g.Request = r2.ID
	e.grant(g)
	canonical, sig = e.sign(e.owner.Key, authorization.ActionDenyRequest, &model.AccessRequestDenial{Request: r2.ID, Note: "too late"})
	e.rejects(model.CodeState, e.gateway(), "DenyRequest", canonical, sig)
}

func TestDenyRequest_Rejected(t *testing.T) {
	e := newEnv(t)
	r := e.requestBy(e.person.ID, e.person, "r1")
	d := model.AccessRequestDenial{Request: r.ID, Note: "no"}
	canonical, sig := e.sign(e.owner.Key, authorization.ActionDenyRequest, &d)
	_, byRequester := e.sign(e.person.Key, authorization.ActionDenyRequest, &d)
	unknown, unknownSig := e.sign(e.owner.Key, authorization.ActionDenyRequest, &model.AccessRequestDenial{Request: strings.Repeat("5", 32), Note: "no"})
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")
	for name, tc := range map[string]struct {
		caller             cctest.Creator
		request, signature string
		code               model.Code
	}{
		"caller not a member": {stranger, canonical, sig, model.CodeDenied},
		"signed by requester": {e.gateway(), canonical, byRequester, model.CodeSignature},
		"unknown request":     {e.gateway(), unknown, unknownSig, model.CodeNotFound},
		"no note":             {e.gateway(), `{"request":"` + r.ID + `","note":""}`, sig, model.CodeInvalid},
		"unknown field":       {e.gateway(), `{"request":"` + r.ID + `","note":"no","x":1}`, sig, model.CodeInvalid},
	} {
		e.run(t, name, func() {
			e.rejects(tc.code, tc.caller, "DenyRequest", tc.request, tc.signature)
		})
	}
	// A frozen owner may still deny: denying only withholds access.
	e.c.FreezeSubject(e.owner)
	if got := e.deny(r.ID, "frozen"); got.Status != model.RequestDenied {
		t.Fatalf("denied %+v", got)
	}
}

func TestGetRequest(t *testing.T) {
	e := newEnv(t)
	r := e.requestBy(e.person.ID, e.person, "r1")
	var got model.AccessRequest
	e.decode(e.ok(e.query("GetRequest", r.ID)), &got)
	if got != r {
		t.Fatalf("got %+v, want %+v", got, r)
	}
	e.queryFails(model.CodeNotFound, "GetRequest", strings.Repeat("6", 32))
}

func TestListPendingRequests_DueOrderOwnerAndBound(t *testing.T) {
	e := newEnv(t)
	res := e.ok(e.query("ListPendingRequests", "", "", "0", ""))
	if !strings.Contains(string(res.Payload), `"items":[]`) {
		t.Fatalf("empty page %s", res.Payload)
	}

	// Requests for two owners' assets, due at 3h, 1h, 2h and 30m from now.
	other := e.c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	otherAsset := e.issue(other)
	start := e.l.Now()
	mk := func(assetID, nonce string, due time.Duration) model.AccessRequest {
		c := e.creation(e.person.ID, nonce)
		c.Asset, c.DueAt = assetID, start.Add(due).Format(time.RFC3339)
		var r model.AccessRequest
		e.decode(e.ok(e.submitRequest(&c, e.person)), &r)
		return r
	}
	r3 := mk(e.asset.ID, "a", 3*time.Hour)
	r1 := mk(e.asset.ID, "b", time.Hour)
	o2 := mk(otherAsset.ID, "c", 2*time.Hour)
	o0 := mk(otherAsset.ID, "d", 30*time.Minute)

	ids := func(owner, dueBefore, pageSize, bookmark string) ([]string, string) {
		var page model.AccessRequestPage
		e.decode(e.ok(e.query("ListPendingRequests", owner, dueBefore, pageSize, bookmark)), &page)
		out := make([]string, len(page.Items))
		for i, r := range page.Items {
			out[i] = r.ID
		}
		return out, page.Bookmark
	}
	same := func(got []string, want ...model.AccessRequest) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("got %d requests, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i].ID {
				t.Fatalf("request %d is %s, want %s (due %s)", i, got[i], want[i].ID, want[i].DueAt)
			}
		}
	}

	got, bm := ids("", "", "0", "")
	same(got, o0, r1, o2, r3)
	if bm != "" {
		t.Fatal("bookmark after the last page")
	}
	got, _ = ids(e.owner.ID, "", "0", "")
	same(got, r1, r3)
	got, _ = ids(other.ID, "", "0", "")
	same(got, o0, o2)

	// Due strictly before the bound; the reminder job asks with "now".
	bound := start.Add(2 * time.Hour).Format(time.RFC3339)
	got, _ = ids("", bound, "0", "")
	same(got, o0, r1)
	got, _ = ids(e.owner.ID, start.Add(time.Hour).Format(time.RFC3339), "0", "")
	same(got)

	// Pages of two with a bound that ends inside the second page.
	got, bm = ids("", start.Add(150*time.Minute).Format(time.RFC3339), "2", "")
	same(got, o0, r1)
	if bm == "" {
		t.Fatal("no bookmark after a full page")
	}
	got, bm = ids("", start.Add(150*time.Minute).Format(time.RFC3339), "2", bm)
	same(got, o2)
	if bm != "" {
		t.Fatal("bookmark after the bound")
	}

	// Answered requests leave the list.
	e.deny(r1.ID, "no")
	got, _ = ids(e.owner.ID, "", "0", "")
	same(got, r3)

	e.queryFails(model.CodeInvalid, "ListPendingRequests", "", "tomorrow", "0", "")
	e.queryFails(model.CodeInvalid, "ListPendingRequests", "", "", "-5", "")
}
