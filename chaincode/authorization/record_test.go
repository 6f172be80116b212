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

// visit is one RecordAccess call: who submits it, the recording, the
// subject that signs it (nil for a member accessor) and the authorization
// code presented in transient data (nil for none).
type visit struct {
	caller cctest.Creator
	rec    model.AccessRecording
	signer *subjecttest.Subject
	code   []byte
}

// tx builds the transaction of a visit.
func (e *env) tx(a visit) cctest.Tx {
	e.t.Helper()
	canonical, sig := e.canonical(&a.rec), ""
	if a.signer != nil {
		canonical, sig = e.sign(a.signer.Key, authorization.ActionRecordAccess, &a.rec)
	}
	caller := a.caller
	if caller == nil {
		caller = e.gateway()
	}
	tx := cctest.Tx{Creator: caller, Chaincode: model.ChaincodeAuthorization, Function: "RecordAccess", Args: []string{canonical, sig}}
	if a.code != nil {
		tx.Transient = map[string][]byte{model.TransientAuthCode: a.code}
	}
	return tx
}

// record submits an access that must succeed and returns its record.
func (e *env) record(a visit) (model.AccessRecord, *cctest.Result) {
	e.t.Helper()
	res := e.ok(e.l.SubmitTx(e.tx(a)))
	var r model.AccessRecord
	e.decode(res, &r)
	return r, res
}

// recording is an access to the licence.
func (e *env) recording(accessor, action string) model.AccessRecording {
	return model.AccessRecording{Asset: e.asset.ID, Accessor: accessor, Action: action, Reason: "checking the registered capital"}
}

func TestRecordAccess_OwnerViewsWithReasonAndTime(t *testing.T) {
	e := newEnv(t)
	rec := e.recording(e.owner.ID, model.AccessView)
	r, res := e.record(visit{rec: rec, signer: e.owner})
	if r.ID != model.DeriveID("access", res.TxID) || r.TxID != res.TxID || r.Time != model.FormatTime(res.Timestamp) ||
		r.Accessor != e.owner.ID || r.Action != model.AccessView || r.Reason != rec.Reason || r.Signature == "" ||
		r.Grant != "" || r.AuthCode != "" {
		t.Fatalf("record %+v", r)
	}
	var ev, st model.AccessRecord
	e.event(res, model.EventAccessRecorded, &ev)
	if ev != r || !e.stored("access", r.ID, &st) || st != r || !e.has("access~asset~time", e.asset.ID, r.Time, r.ID) {
		t.Fatalf("event %+v stored %+v", ev, st)
	}
	// The owner may also release its symmetric key (7.4.4 d 6) and use it.
	e.record(visit{rec: e.recording(e.owner.ID, model.AccessKey), signer: e.owner})
	e.record(visit{rec: e.recording(e.owner.ID, model.AccessUse), signer: e.owner})
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: e.recording(e.owner.ID, model.AccessRegulate), signer: e.owner}))
}

func TestRecordAccess_GranteeWithinScope(t *testing.T) {
	e := newEnv(t)
	view := e.grant(e.personGrant("n1"))
	use := e.grant(e.bankGrant("d1"))

	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = view.ID
	r, _ := e.record(visit{rec: rec, signer: e.person})
	if r.Grant != view.ID || r.Accessor != e.person.ID {
		t.Fatalf("record %+v", r)
	}
	for _, action := range []string{model.AccessUse, model.AccessKey, model.AccessRegulate} {
		rec.Action = action
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person}))
	}

	// The bank, a member grantee, records as itself without a signature;
	// use covers view.
	rec = e.recording(e.bank.ID, model.AccessUse)
	rec.Grant = use.ID
	e.record(visit{caller: e.bank.Client, rec: rec})
	rec.Action = model.AccessView
	e.record(visit{caller: e.bank.Client, rec: rec})
	rec.Action = model.AccessKey
	e.rejectsTx(model.CodeDenied, e.tx(visit{caller: e.bank.Client, rec: rec}))

	rec.Action = model.AccessView
	e.run(t, "member signs", func() {
		tx := e.tx(visit{caller: e.bank.Client, rec: rec})
		_, tx.Args[1] = e.sign(e.person.Key, authorization.ActionRecordAccess, &rec)
		e.rejectsTx(model.CodeInvalid, tx)
	})
	e.run(t, "member speaks for another", func() {
		e.rejectsTx(model.CodeDenied, e.tx(visit{caller: e.market.Client, rec: rec}))
	})
	e.run(t, "grant of another grantee", func() {
		other := rec
		other.Accessor, other.Grant = e.person.ID, use.ID
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: other, signer: e.person}))
	})
	e.run(t, "grant of another asset", func() {
		second := e.issue(e.owner)
		other := rec
		other.Asset = second.ID
		e.rejectsTx(model.CodeDenied, e.tx(visit{caller: e.bank.Client, rec: other}))
	})
	e.run(t, "unknown grant", func() {
		other := rec
		other.Grant = strings.Repeat("b", 32)
		e.rejectsTx(model.CodeNotFound, e.tx(visit{caller: e.bank.Client, rec: other}))
	})
}

func TestRecordAccess_GrantExpiresWithTheTransactionClock(t *testing.T) {
	e := newEnv(t)
	req := e.personGrant("n1")
	expiry := e.l.Now().Add(2 * time.Hour)
	req.ExpiresAt = expiry.Format(time.RFC3339)
	g := e.grant(req)
	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID

	e.l.SetTime(expiry.Add(-time.Second))
	e.record(visit{rec: rec, signer: e.person})
	e.l.SetTime(expiry)
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person}))
	e.l.Advance(24 * time.Hour)
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person}))
}

func TestRecordAccess_RevokedGrantDenied(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID
	e.record(visit{rec: rec, signer: e.person})
	e.revoke(g.ID, "lease signed")
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person}))
}

func TestRecordAccess_GrantDiesWithOwnership(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	buyer := e.c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	e.transfer(buyer)
	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person}))
	// The old owner is a stranger now; the new owner reads.
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: e.recording(e.owner.ID, model.AccessView), signer: e.owner}))
	e.record(visit{rec: e.recording(buyer.ID, model.AccessView), signer: buyer})
}

func TestRecordAccess_RevokedAssetOnlyForOwnerAndRegulator(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	code, ac := e.issueCode(model.ScopeView, time.Hour)
	e.ok(e.l.Submit(e.market.Client, model.ChaincodeAsset, "RevokeAsset",
		e.canonical(&model.AssetStatusChange{Asset: e.asset.ID, Note: "withdrawn"})))

	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person}))
	rec.Grant, rec.AuthCode = "", ac.ID
	e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person, code: []byte(code)}))
	e.record(visit{rec: e.recording(e.owner.ID, model.AccessView), signer: e.owner})
	e.record(visit{caller: e.regulator.Role(model.RoleRegulator), rec: e.recording(e.regulator.ID, model.AccessRegulate)})
}

func TestRecordAccess_AuthCodeHolder(t *testing.T) {
	e := newEnv(t)
	code, ac := e.issueCode(model.ScopeView, time.Hour)
	rec := e.recording(e.person.ID, model.AccessView)
	rec.AuthCode = ac.ID

	r, res := e.record(visit{rec: rec, signer: e.person, code: []byte(code)})
	if r.AuthCode != ac.ID || r.Grant != "" {
		t.Fatalf("record %+v", r)
	}
	for _, ns := range res.Writes {
		for _, w := range ns.Writes {
			if strings.Contains(string(w.Value), code) {
				t.Fatalf("the code was written under %q", w.Key)
			}
		}
	}
	// A member holding the code records as itself.
	member := e.recording(e.bank.ID, model.AccessView)
	member.AuthCode = ac.ID
	e.record(visit{caller: e.bank.Client, rec: member, code: []byte(code)})

	e.run(t, "wrong code", func() {
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person, code: []byte(code + "0")}))
	})
	e.run(t, "no code", func() {
		e.rejectsTx(model.CodeInvalid, e.tx(visit{rec: rec, signer: e.person}))
	})
	e.run(t, "scope", func() {
		use := rec
		use.Action = model.AccessUse
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: use, signer: e.person, code: []byte(code)}))
	})
	e.run(t, "unknown code", func() {
		other := rec
		other.AuthCode = strings.Repeat("c", 32)
		e.rejectsTx(model.CodeNotFound, e.tx(visit{rec: other, signer: e.person, code: []byte(code)}))
	})
	e.run(t, "code of another asset", func() {
		second := e.issue(e.owner)
		other := rec
		other.Asset = second.ID
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: other, signer: e.person, code: []byte(code)}))
	})
	e.run(t, "revoked", func() {
		code2, ac2 := e.issueCode(model.ScopeView, time.Hour)
		e.revokeCode(ac2.ID, "no longer needed")
		other := rec
		other.AuthCode = ac2.ID
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: other, signer: e.person, code: []byte(code2)}))
	})
	e.run(t, "expired", func() {
		e.l.Advance(time.Hour)
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: rec, signer: e.person, code: []byte(code)}))
	})
}

func TestRecordAccess_Regulator(t *testing.T) {
	e := newEnv(t)
	inspector := e.regulator.Role(model.RoleRegulator)
	rec := e.recording(e.regulator.ID, model.AccessRegulate)
	r, _ := e.record(visit{caller: inspector, rec: rec})
	if r.Accessor != e.regulator.ID || r.Action != model.AccessRegulate || r.Signature != "" {
		t.Fatalf("record %+v", r)
	}
	view := rec
	view.Action = model.AccessView
	e.rejectsTx(model.CodeDenied, e.tx(visit{caller: inspector, rec: view}))
	// Without the role, or with the role in another member's certificate
	// speaking for the regulator, there is no access.
	e.rejectsTx(model.CodeDenied, e.tx(visit{caller: e.regulator.Client, rec: rec}))
	e.rejectsTx(model.CodeDenied, e.tx(visit{caller: e.bank.Role(model.RoleRegulator), rec: rec}))
	bankRec := e.recording(e.bank.ID, model.AccessRegulate)
	e.record(visit{caller: e.bank.Role(model.RoleRegulator), rec: bankRec})
}

func TestRecordAccess_Rejected(t *testing.T) {
	e := newEnv(t)
	g := e.grant(e.personGrant("n1"))
	frozen := e.c.OpenSubject(model.SubjectPerson, model.PermTransact)
	e.c.FreezeSubject(frozen)
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")
	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID

	e.run(t, "caller not a member", func() {
		e.rejectsTx(model.CodeDenied, e.tx(visit{caller: stranger, rec: rec, signer: e.person}))
	})
	e.run(t, "no grant, not owner", func() {
		plain := rec
		plain.Grant = ""
		e.rejectsTx(model.CodeDenied, e.tx(visit{rec: plain, signer: e.person}))
	})
	e.run(t, "frozen accessor", func() {
		cold := rec
		cold.Accessor = frozen.ID
		e.rejectsTx(model.CodeState, e.tx(visit{rec: cold, signer: frozen}))
	})
	e.run(t, "unknown asset", func() {
		other := rec
		other.Asset = strings.Repeat("d", 32)
		e.rejectsTx(model.CodeNotFound, e.tx(visit{rec: other, signer: e.person}))
	})
	e.run(t, "unsigned subject", func() {
		tx := e.tx(visit{rec: rec, signer: e.person})
		tx.Args[1] = ""
		e.rejectsTx(model.CodeSignature, tx)
	})
	e.run(t, "signed by another subject", func() {
		tx := e.tx(visit{rec: rec, signer: e.person})
		_, tx.Args[1] = e.sign(e.owner.Key, authorization.ActionRecordAccess, &rec)
		e.rejectsTx(model.CodeSignature, tx)
	})
	e.run(t, "altered reason", func() {
		tx := e.tx(visit{rec: rec, signer: e.person})
		altered := rec
		altered.Reason = "curiosity"
		tx.Args[0] = e.canonical(&altered)
		e.rejectsTx(model.CodeSignature, tx)
	})
	e.run(t, "not canonical", func() {
		tx := e.tx(visit{rec: rec, signer: e.person})
		tx.Args[0] = reorder(t, tx.Args[0])
		e.rejectsTx(model.CodeInvalid, tx)
	})
	e.run(t, "grant and code", func() {
		both := rec
		both.AuthCode = strings.Repeat("e", 32)
		e.rejectsTx(model.CodeInvalid, e.tx(visit{rec: both, signer: e.person}))
	})
	e.run(t, "no reason", func() {
		none := rec
		none.Reason = ""
		e.rejectsTx(model.CodeInvalid, e.tx(visit{rec: none, signer: e.person}))
	})
}

func TestListAccessRecords_InTimeOrder(t *testing.T) {
	e := newEnv(t)
	res := e.ok(e.query("ListAccessRecords", e.asset.ID, "0", ""))
	if !strings.Contains(string(res.Payload), `"items":[]`) {
		t.Fatalf("empty page %s", res.Payload)
	}
	var want []string
	for i := 0; i < 5; i++ {
		r, _ := e.record(visit{rec: e.recording(e.owner.ID, model.AccessView), signer: e.owner})
		want = append(want, r.ID)
		e.l.Advance(time.Minute)
	}
	var got []string
	bookmark := ""
	for pages := 0; pages < 10; pages++ {
		var page model.AccessRecordPage
		e.decode(e.ok(e.query("ListAccessRecords", e.asset.ID, "2", bookmark)), &page)
		for i, r := range page.Items {
			if i > 0 && r.Time <= page.Items[i-1].Time {
				t.Fatal("records out of time order")
			}
			got = append(got, r.ID)
		}
		if bookmark = page.Bookmark; bookmark == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("listed %v, want %v", got, want)
	}
	e.queryFails(model.CodeInvalid, "ListAccessRecords", "", "0", "")
}
