package authorization_test

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/internal/access"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject/subjecttest"
)

// gateway is the identity the platform submits subjects' requests with: a
// client of the operator member.
func (e *env) gateway() *cctest.Identity { return e.c.Operator.Client }

// personGrant is a pushed view grant of the licence to e.person, expiring in
// a day.
func (e *env) personGrant(nonce string) model.GrantRequest {
	k := e.wrap(e.person.ID, &e.person.Key.PublicKey, e.dataKey)
	return model.GrantRequest{
		Kind:       model.KindAuthorization,
		Asset:      e.asset.ID,
		Grantor:    e.owner.ID,
		Grantee:    e.person.ID,
		Scope:      model.ScopeView,
		Purpose:    "check the licence before signing a lease",
		ExpiresAt:  e.at(24 * time.Hour),
		Push:       true,
		GranteeKey: &k,
		Nonce:      nonce,
	}
}

// bankGrant is an unpushed delegation of the licence to the bank member
// for use, expiring in a day.
func (e *env) bankGrant(nonce string) model.GrantRequest {
	return model.GrantRequest{
		Kind:      model.KindDelegation,
		Asset:     e.asset.ID,
		Grantor:   e.owner.ID,
		Grantee:   e.bank.ID,
		Scope:     model.ScopeUse,
		Purpose:   "open the company's basic account",
		ExpiresAt: e.at(24 * time.Hour),
		Nonce:     nonce,
	}
}

// grant makes a grant signed by the owner and returns it.
func (e *env) grant(req model.GrantRequest) model.Grant {
	e.t.Helper()
	canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	var g model.Grant
	e.decode(e.ok(e.call(e.gateway(), "Grant", canonical, sig)), &g)
	return g
}

func TestGrant_PushesIntoGranteeLocker(t *testing.T) {
	e := newEnv(t)
	req := e.personGrant("n1")
	canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	res := e.ok(e.call(e.gateway(), "Grant", canonical, sig))

	var g model.Grant
	e.decode(res, &g)
	want := model.GrantID(model.KindAuthorization, e.asset.ID, e.person.ID, "n1")
	if g.ID != want || g.Status != model.GrantActive || g.Grantor != e.owner.ID || g.Grantee != e.person.ID ||
		!g.Push || g.Nonce != "n1" || g.GrantorSignature != sig || g.CreatedTx != res.TxID ||
		g.CreatedAt != model.FormatTime(res.Timestamp) {
		t.Fatalf("grant %+v", g)
	}
	var st model.Grant
	if !e.stored("grant", g.ID, &st) || st.ID != g.ID || st.Status != model.GrantActive {
		t.Fatalf("stored %+v", st)
	}
	var ev model.Grant
	e.event(res, model.EventGrantCreated, &ev)
	if ev.ID != g.ID || ev.GranteeKey == nil {
		t.Fatalf("event %+v", ev)
	}
	if !e.has("grant~asset", e.asset.ID, g.ID) || !e.has("grant~grantee", e.person.ID, g.ID) {
		t.Fatal("grant not indexed by asset and grantee")
	}

	// The grantee's locker lists it, and the grantee can open the content
	// with the data key re-wrapped for it (7.4.4 b 2).
	var page model.GrantPage
	e.decode(e.ok(e.query("ListGrantsByGrantee", e.person.ID, "0", "")), &page)
	if len(page.Items) != 1 || page.Items[0].ID != g.ID || page.Bookmark != "" {
		t.Fatalf("locker %+v", page)
	}
	wrapped, err := base64.StdEncoding.DecodeString(page.Items[0].GranteeKey.Key)
	if err != nil {
		t.Fatal(err)
	}
	dataKey, err := gm.Decrypt(e.person.Key, wrapped)
	if err != nil {
		t.Fatal(err)
	}
	content, err := gm.OpenGCM(dataKey, e.sealed, nil)
	if err != nil || string(content) != string(e.content) {
		t.Fatalf("content %q, %v", content, err)
	}

	// The record alone proves the grant: the grantor's signature verifies over
	// the request rebuilt from it.
	rebuilt := model.GrantRequest{Kind: st.Kind, Asset: st.Asset, Grantor: st.Grantor, Grantee: st.Grantee, Scope: st.Scope,
		Purpose: st.Purpose, ExpiresAt: st.ExpiresAt, Push: st.Push, GranteeKey: st.GranteeKey, Request: st.Request, Nonce: st.Nonce}
	raw, _ := model.Canonical(&rebuilt)
	if err := access.VerifySignature(e.owner.PublicKeyPEM, authorization.ActionGrant, raw, st.GrantorSignature, "owner"); err != nil {
		t.Fatalf("grantor signature from the record: %v", err)
	}
}

func TestGrant_DelegationToMemberWithoutPush(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.bankGrant("d1"))
	if g.Kind != model.KindDelegation || g.Grantee != e.bank.ID || g.Push || g.GranteeKey != nil {
		t.Fatalf("grant %+v", g)
	}
	if e.has("grant~grantee", e.bank.ID, g.ID) || !e.has("grant~asset", e.asset.ID, g.ID) {
		t.Fatal("an unpushed grant is listed under its asset only")
	}
	var page model.GrantPage
	e.decode(e.ok(e.query("ListGrantsByGrantee", e.bank.ID, "0", "")), &page)
	if len(page.Items) != 0 {
		t.Fatalf("locker %+v", page)
	}
	e.decode(e.ok(e.query("ListGrantsByAsset", e.asset.ID, "0", "")), &page)
	if len(page.Items) != 1 || page.Items[0].ID != g.ID {
		t.Fatalf("asset grants %+v", page)
	}
}

func TestGrant_RetryWritesNothing(t *testing.T) {
	e := newEnv(t)
	req := e.personGrant("n1")
	canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	var first, second, third model.Grant
	e.decode(e.ok(e.call(e.gateway(), "Grant", canonical, sig)), &first)

	res := e.ok(e.call(e.gateway(), "Grant", canonical, sig))
	noTrace(t, res)
	e.decode(res, &second)
	if !reflect.DeepEqual(second, first) {
		t.Fatalf("retry returned %+v, want %+v", second, first)
	}

	// A client that signs the same request again (SM2 signatures are
	// randomised) retries too, as long as its signature verifies.
	_, sig2 := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	res = e.ok(e.call(e.gateway(), "Grant", canonical, sig2))
	noTrace(t, res)
	e.decode(res, &third)
	if third.GrantorSignature != sig {
		t.Fatal("retry replaced the stored signature")
	}
	_, forged := e.sign(e.person.Key, authorization.ActionGrant, &req)
	e.rejects(model.CodeSignature, e.gateway(), "Grant", canonical, forged)

	// Even after revocation the same request finds the same grant; a new
	// grant needs a new nonce.
	e.revoke(first.ID, "lease signed")
	res = e.ok(e.call(e.gateway(), "Grant", canonical, sig))
	noTrace(t, res)
	e.decode(res, &second)
	if second.Status != model.GrantRevoked {
		t.Fatalf("retry after revocation: %+v", second)
	}
}

func TestGrant_ConflictOnSameIDWithOtherContent(t *testing.T) {
	e := newEnv(t)
	e.grant(e.personGrant("n1"))
	req := e.personGrant("n1")
	req.Purpose = "something else"
	canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	e.rejects(model.CodeConflict, e.gateway(), "Grant", canonical, sig)
}

func TestGrant_Denied(t *testing.T) {
	e := newEnv(t)
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")
	pending := e.c.ApplyMember("PendingMSP", model.MemberInstitution, "")
	suspended := e.c.AddMember("SuspendedMSP", model.MemberInstitution, "")
	e.c.SuspendMember(suspended)
	idleAsset := e.issue(e.idle)

	cases := map[string]struct {
		caller cctest.Creator
		signer *subjecttest.Subject
		edit   func(*model.GrantRequest)
	}{
		"caller not a member":     {caller: stranger},
		"caller member pending":   {caller: pending.Client},
		"caller member suspended": {caller: suspended.Client},
		"grantor not the owner": {signer: e.person, edit: func(r *model.GrantRequest) {
			r.Grantor, r.Grantee, r.Push, r.GranteeKey = e.person.ID, e.bank.ID, false, nil
		}},
		"grantor without transact": {signer: e.idle, edit: func(r *model.GrantRequest) { r.Asset, r.Grantor = idleAsset.ID, e.idle.ID }},
	}
	for name, tc := range cases {
		e.run(t, name, func() {
			req := e.personGrant("n-" + strings.ReplaceAll(name, " ", "-"))
			signer := e.owner
			if tc.signer != nil {
				signer = tc.signer
			}
			if tc.edit != nil {
				tc.edit(&req)
			}
			caller := tc.caller
			if caller == nil {
				caller = e.gateway()
			}
			canonical, sig := e.sign(signer.Key, authorization.ActionGrant, &req)
			e.rejects(model.CodeDenied, caller, "Grant", canonical, sig)
		})
	}
}

func TestGrant_SignatureChecked(t *testing.T) {
	e := newEnv(t)
	req := e.personGrant("n1")
	canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	_, wrongKey := e.sign(e.person.Key, authorization.ActionGrant, &req)
	_, otherAction := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &req)
	altered := e.personGrant("n1")
	altered.Scope = model.ScopeUse
	alteredJSON := e.canonical(&altered)

	for name, tc := range map[string]struct {
		request, signature string
		code               model.Code
	}{
		"wrong key":        {canonical, wrongKey, model.CodeSignature},
		"other action":     {canonical, otherAction, model.CodeSignature},
		"altered payload":  {alteredJSON, sig, model.CodeSignature},
		"no signature":     {canonical, "", model.CodeSignature},
		"not base64":       {canonical, "%%%", model.CodeSignature},
		"overlong":         {canonical, strings.Repeat("A", 400), model.CodeSignature},
		"not canonical":    {strings.Replace(canonical, `{"kind"`, `{ "kind"`, 1), sig, model.CodeInvalid},
		"fields reordered": {reorder(t, canonical), sig, model.CodeInvalid},
	} {
		e.run(t, name, func() {
			e.rejects(tc.code, e.gateway(), "Grant", tc.request, tc.signature)
		})
	}
}

// reorder re-encodes a JSON object with its keys sorted, which is valid JSON
// with the same content but not canonical.
func reorder(t *testing.T, canonical string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(canonical), &m); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(m)
	if string(raw) == canonical {
		t.Fatal("sorting did not change the order")
	}
	return string(raw)
}

func TestGrant_Invalid(t *testing.T) {
	e := newEnv(t)
	for name, edit := range map[string]func(*model.GrantRequest){
		"expiry past":      func(r *model.GrantRequest) { r.ExpiresAt = e.at(-time.Hour) },
		"expiry now":       func(r *model.GrantRequest) { r.ExpiresAt = model.FormatTime(e.l.Now()) },
		"self grant":       func(r *model.GrantRequest) { r.Grantee = e.owner.ID },
		"bad scope":        func(r *model.GrantRequest) { r.Scope = "own" },
		"push without key": func(r *model.GrantRequest) { r.GranteeKey = nil },
		"no purpose":       func(r *model.GrantRequest) { r.Purpose = "" },
		"request not pending for grantee": func(r *model.GrantRequest) {
			r.Request = e.requestBy(e.bank.ID, nil, "r1").ID
		},
	} {
		e.run(t, name, func() {
			req := e.personGrant("n1")
			edit(&req)
			canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
			e.rejects(model.CodeInvalid, e.gateway(), "Grant", canonical, sig)
		})
	}
	for name, arg := range map[string]string{
		"empty":         "",
		"not JSON":      "grant it",
		"unknown field": `{"kind":"authorization","extra":1}`,
		"trailing data": e.canonical(new(model.GrantRequest)) + "{}",
		"huge":          strings.Repeat(" ", model.MaxRequestBytes+1),
	} {
		e.run(t, name, func() {
			e.rejects(model.CodeInvalid, e.gateway(), "Grant", arg, "")
		})
	}
}

func TestGrant_WrongState(t *testing.T) {
	e := newEnv(t)
	revoked := e.issue(e.owner)
	e.ok(e.l.Submit(e.market.Client, model.ChaincodeAsset, "RevokeAsset",
		e.canonical(&model.AssetStatusChange{Asset: revoked.ID, Note: "licence withdrawn"})))
	frozen := e.c.OpenSubject(model.SubjectPerson, model.PermTransact)
	e.c.FreezeSubject(frozen)
	pendingSubject := e.c.ApplySubject(model.SubjectPerson)
	pendingMember := e.c.ApplyMember("PendingMSP", model.MemberInstitution, "")
	frozenOwner := e.c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	frozenAsset := e.issue(frozenOwner)
	e.c.FreezeSubject(frozenOwner)
	approved := e.requestBy(e.person.ID, e.person, "r1")
	e.grant(func() model.GrantRequest { r := e.personGrant("first"); r.Request = approved.ID; return r }())
	denied := e.requestBy(e.person.ID, e.person, "r2")
	e.deny(denied.ID, "not now")

	for name, tc := range map[string]struct {
		edit   func(*model.GrantRequest)
		signer *subjecttest.Subject
		code   model.Code
	}{
		"asset revoked":          {edit: func(r *model.GrantRequest) { r.Asset = revoked.ID }, code: model.CodeState},
		"asset unknown":          {edit: func(r *model.GrantRequest) { r.Asset = strings.Repeat("0", 32) }, code: model.CodeNotFound},
		"grantor frozen":         {edit: func(r *model.GrantRequest) { r.Asset, r.Grantor = frozenAsset.ID, frozenOwner.ID }, signer: frozenOwner, code: model.CodeState},
		"grantee frozen subject": {edit: func(r *model.GrantRequest) { r.Grantee, r.GranteeKey.Recipient = frozen.ID, frozen.ID }, code: model.CodeState},
		"grantee pending subject": {edit: func(r *model.GrantRequest) {
			r.Grantee, r.GranteeKey.Recipient = pendingSubject.ID, pendingSubject.ID
		}, code: model.CodeState},
		"grantee pending member": {edit: func(r *model.GrantRequest) { r.Grantee, r.GranteeKey.Recipient = pendingMember.ID, pendingMember.ID }, code: model.CodeState},
		"grantee unknown member": {edit: func(r *model.GrantRequest) { r.Grantee, r.GranteeKey.Recipient = "NobodyMSP", "NobodyMSP" }, code: model.CodeNotFound},
		"grantee unknown hex ID": {edit: func(r *model.GrantRequest) {
			r.Grantee, r.GranteeKey.Recipient = strings.Repeat("ab", 16), strings.Repeat("ab", 16)
		}, code: model.CodeNotFound},
		"request approved": {edit: func(r *model.GrantRequest) { r.Request = approved.ID }, code: model.CodeState},
		"request denied":   {edit: func(r *model.GrantRequest) { r.Request = denied.ID }, code: model.CodeState},
		"request unknown":  {edit: func(r *model.GrantRequest) { r.Request = strings.Repeat("1", 32) }, code: model.CodeNotFound},
	} {
		e.run(t, name, func() {
			req := e.personGrant("n-" + strings.ReplaceAll(name, " ", "-"))
			tc.edit(&req)
			signer := e.owner
			if tc.signer != nil {
				signer = tc.signer
			}
			canonical, sig := e.sign(signer.Key, authorization.ActionGrant, &req)
			e.rejects(tc.code, e.gateway(), "Grant", canonical, sig)
		})
	}
}

func TestGrant_ApprovesTheRequestItAnswers(t *testing.T) {
	e := newEnv(t)
	r := e.requestBy(e.person.ID, e.person, "r1")
	req := e.personGrant("n1")
	req.Request = r.ID
	g := e.grant(req)
	if g.Request != r.ID {
		t.Fatalf("grant %+v", g)
	}
	var got model.AccessRequest
	e.decode(e.ok(e.query("GetRequest", r.ID)), &got)
	if got.Status != model.RequestApproved || got.Grant != g.ID || got.UpdatedTx != g.CreatedTx {
		t.Fatalf("request %+v", got)
	}
	if e.has("request~due", r.DueAt, r.ID) || e.has("request~owner~due", r.Owner, r.DueAt, r.ID) {
		t.Fatal("an approved request stays in the pending indexes")
	}
	var page model.AccessRequestPage
	e.decode(e.ok(e.query("ListPendingRequests", "", "", "0", "")), &page)
	if len(page.Items) != 0 {
		t.Fatalf("pending %+v", page)
	}
}

// revoke revokes a grant as its grantor (the owner).
func (e *env) revoke(grant, note string) model.Grant {
	e.t.Helper()
	canonical, sig := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &model.GrantRevocation{Grant: grant, Note: note})
	var g model.Grant
	e.decode(e.ok(e.call(e.gateway(), "RevokeGrant", canonical, sig)), &g)
	return g
}

func TestRevokeGrant_RevokesOnce(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	rev := model.GrantRevocation{Grant: g.ID, Note: "lease signed"}
	canonical, sig := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &rev)
	res := e.ok(e.call(e.gateway(), "RevokeGrant", canonical, sig))
	var got, ev, st model.Grant
	e.decode(res, &got)
	if got.Status != model.GrantRevoked || got.Note != rev.Note || got.UpdatedTx != res.TxID || got.CreatedTx != g.CreatedTx {
		t.Fatalf("revoked %+v", got)
	}
	e.event(res, model.EventGrantRevoked, &ev)
	if ev.ID != g.ID || ev.Status != model.GrantRevoked {
		t.Fatalf("event %+v", ev)
	}
	if !e.stored("grant", g.ID, &st) || st.Status != model.GrantRevoked {
		t.Fatalf("stored %+v", st)
	}

	res = e.ok(e.call(e.gateway(), "RevokeGrant", canonical, sig))
	noTrace(t, res)

	other := model.GrantRevocation{Grant: g.ID, Note: "another reason"}
	canonical, sig = e.sign(e.owner.Key, authorization.ActionRevokeGrant, &other)
	e.rejects(model.CodeState, e.gateway(), "RevokeGrant", canonical, sig)
}

func TestRevokeGrant_Rejected(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	rev := model.GrantRevocation{Grant: g.ID, Note: "done"}
	canonical, sig := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &rev)
	_, byGrantee := e.sign(e.person.Key, authorization.ActionRevokeGrant, &rev)
	unknown, unknownSig := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &model.GrantRevocation{Grant: strings.Repeat("2", 32), Note: "x"})
	noNote, noNoteSig := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &model.GrantRevocation{Grant: g.ID})
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")

	for name, tc := range map[string]struct {
		caller             cctest.Creator
		request, signature string
		code               model.Code
	}{
		"caller not a member": {stranger, canonical, sig, model.CodeDenied},
		"signed by grantee":   {e.gateway(), canonical, byGrantee, model.CodeSignature},
		"unknown grant":       {e.gateway(), unknown, unknownSig, model.CodeNotFound},
		"no note":             {e.gateway(), noNote, noNoteSig, model.CodeInvalid},
		"not JSON":            {e.gateway(), "revoke", sig, model.CodeInvalid},
	} {
		e.run(t, name, func() {
			e.rejects(tc.code, tc.caller, "RevokeGrant", tc.request, tc.signature)
		})
	}
}

func TestRevokeGrant_FrozenGrantorMayStillRevoke(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	e.c.FreezeSubject(e.owner)
	if got := e.revoke(g.ID, "frozen, closing grants"); got.Status != model.GrantRevoked {
		t.Fatalf("revoked %+v", got)
	}
}

func TestGetGrant(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	var got model.Grant
	e.decode(e.ok(e.query("GetGrant", g.ID)), &got)
	if got.ID != g.ID || got.GrantorSignature != g.GrantorSignature {
		t.Fatalf("got %+v", got)
	}
	for _, id := range []string{strings.Repeat("3", 32), "", "bad\x00id", "\xff"} {
		e.queryFails(model.CodeNotFound, "GetGrant", id)
	}
}

func TestListGrants_PagesAndEmptyTables(t *testing.T) {
	e := newEnv(t)
	var page model.GrantPage
	res := e.ok(e.query("ListGrantsByAsset", e.asset.ID, "0", ""))
	if !strings.Contains(string(res.Payload), `"items":[]`) {
		t.Fatalf("empty page %s", res.Payload)
	}
	e.decode(e.ok(e.query("ListGrantsByGrantee", "NobodyMSP", "0", "")), &page)
	if page.Items == nil || len(page.Items) != 0 {
		t.Fatalf("empty locker %+v", page)
	}

	ids := map[string]bool{}
	for _, n := range []string{"a", "b", "c"} {
		ids[e.grant(e.personGrant(n)).ID] = true
	}
	for _, fn := range []string{"ListGrantsByAsset", "ListGrantsByGrantee"} {
		arg := e.asset.ID
		if fn == "ListGrantsByGrantee" {
			arg = e.person.ID
		}
		seen := map[string]bool{}
		bookmark := ""
		for pages := 0; ; pages++ {
			if pages > 3 {
				t.Fatalf("%s: too many pages", fn)
			}
			page = model.GrantPage{}
			e.decode(e.ok(e.query(fn, arg, "2", bookmark)), &page)
			if len(page.Items) > 2 {
				t.Fatalf("%s: page of %d", fn, len(page.Items))
			}
			for _, g := range page.Items {
				seen[g.ID] = true
			}
			if bookmark = page.Bookmark; bookmark == "" {
				break
			}
		}
		if len(seen) != 3 {
			t.Fatalf("%s: saw %v, want %v", fn, seen, ids)
		}
	}

	e.queryFails(model.CodeInvalid, "ListGrantsByAsset", "", "0", "")
	e.queryFails(model.CodeInvalid, "ListGrantsByGrantee", "", "0", "")
	e.queryFails(model.CodeInvalid, "ListGrantsByAsset", e.asset.ID, "-1", "")
	e.queryFails(model.CodeInvalid, "ListGrantsByAsset", "bad\x00asset", "0", "")
}

// The asset chaincode's signed transfer moves the licence to a new owner;
// the old owner's grants stop working (see TestRecordAccess_GrantDiesWithOwnership).
func (e *env) transfer(to *subjecttest.Subject) model.Asset {
	e.t.Helper()
	var a model.Asset
	e.decode(e.ok(e.l.Evaluate(e.gateway(), model.ChaincodeAsset, "GetAsset", e.asset.ID)), &a)
	tr := model.AssetTransfer{Asset: a.ID, LatestTx: a.UpdatedTx, NewOwner: to.ID, Key: e.wrap(to.ID, &to.Key.PublicKey, e.dataKey), Note: "sold"}
	canonical, sig := e.sign(e.owner.Key, asset.ActionTransferAsset, &tr)
	e.decode(e.ok(e.l.Submit(e.gateway(), model.ChaincodeAsset, "TransferAsset", canonical, sig)), &a)
	return a
}
