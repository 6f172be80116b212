package authorization_test

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// codeIssue makes a fresh authorization code for the licence and the issue
// that registers its salted hash.
func (e *env) codeIssue(scope model.Scope, ttl time.Duration) (string, model.AuthCodeIssue) {
	e.t.Helper()
	salt, err := gm.NewSalt()
	if err != nil {
		e.t.Fatal(err)
	}
	code := "KB-" + strings.ToUpper(hex.EncodeToString(salt[:6]))
	return code, model.AuthCodeIssue{
		Asset:     e.asset.ID,
		Owner:     e.owner.ID,
		Scope:     scope,
		Purpose:   "show the licence to a landlord",
		Salt:      hex.EncodeToString(salt),
		Hash:      gm.Commitment(salt, []byte(code)),
		ExpiresAt: e.at(ttl),
	}
}

// issueCode registers a fresh code signed by the owner.
func (e *env) issueCode(scope model.Scope, ttl time.Duration) (string, model.AuthCode) {
	e.t.Helper()
	code, issue := e.codeIssue(scope, ttl)
	canonical, sig := e.sign(e.owner.Key, authorization.ActionIssueAuthCode, &issue)
	var ac model.AuthCode
	e.decode(e.ok(e.call(e.gateway(), "IssueAuthCode", canonical, sig)), &ac)
	return code, ac
}

// verifyCode evaluates VerifyAuthCode with code in transient data (none
// when code is nil).
func (e *env) verifyCode(assetID string, code []byte) *cctest.Result {
	tx := cctest.Tx{Creator: e.bank.Client, Chaincode: model.ChaincodeAuthorization, Function: "VerifyAuthCode", Args: []string{assetID}}
	if code != nil {
		tx.Transient = map[string][]byte{model.TransientAuthCode: code}
	}
	return e.l.EvaluateTx(tx)
}

func TestIssueAuthCode_KeepsOnlyTheSaltedHash(t *testing.T) {
	e := newEnv(t)
	code, issue := e.codeIssue(model.ScopeView, time.Hour)
	canonical, sig := e.sign(e.owner.Key, authorization.ActionIssueAuthCode, &issue)
	res := e.ok(e.call(e.gateway(), "IssueAuthCode", canonical, sig))
	var ac, ev, st model.AuthCode
	e.decode(res, &ac)
	if ac.ID != model.AuthCodeID(e.asset.ID, issue.Hash) || ac.Status != model.GrantActive || ac.Salt != issue.Salt ||
		ac.Hash != issue.Hash || ac.OwnerSignature != sig || ac.CreatedTx != res.TxID {
		t.Fatalf("code %+v", ac)
	}
	e.event(res, model.EventAuthCodeIssued, &ev)
	if ev.ID != ac.ID || !e.stored("authcode", ac.ID, &st) || st.Hash != issue.Hash || !e.has("authcode~asset", e.asset.ID, ac.ID) {
		t.Fatalf("event %+v stored %+v", ev, st)
	}
	for _, k := range e.l.Keys(model.ChaincodeAuthorization) {
		if strings.Contains(string(e.l.State(model.ChaincodeAuthorization, k)), code) {
			t.Fatalf("the code itself is stored under %q", k)
		}
	}
	var got model.AuthCode
	e.decode(e.ok(e.query("GetAuthCode", ac.ID)), &got)
	if got != ac {
		t.Fatalf("GetAuthCode %+v", got)
	}
	e.queryFails(model.CodeNotFound, "GetAuthCode", strings.Repeat("7", 32))

	// Retry and conflict.
	noTrace(t, e.ok(e.call(e.gateway(), "IssueAuthCode", canonical, sig)))
	_, sig2 := e.sign(e.owner.Key, authorization.ActionIssueAuthCode, &issue)
	noTrace(t, e.ok(e.call(e.gateway(), "IssueAuthCode", canonical, sig2)))
	_, forged := e.sign(e.person.Key, authorization.ActionIssueAuthCode, &issue)
	e.rejects(model.CodeSignature, e.gateway(), "IssueAuthCode", canonical, forged)
	issue.Purpose = "another purpose"
	canonical, sig = e.sign(e.owner.Key, authorization.ActionIssueAuthCode, &issue)
	e.rejects(model.CodeConflict, e.gateway(), "IssueAuthCode", canonical, sig)
}

func TestIssueAuthCode_Rejected(t *testing.T) {
	e := newEnv(t)
	revoked := e.issue(e.owner)
	e.ok(e.l.Submit(e.market.Client, model.ChaincodeAsset, "RevokeAsset",
		e.canonical(&model.AssetStatusChange{Asset: revoked.ID, Note: "withdrawn"})))
	idleAsset := e.issue(e.idle)
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")

	for name, tc := range map[string]struct {
		caller cctest.Creator
		edit   func(*model.AuthCodeIssue)
		signer func() (string, string)
		code   model.Code
	}{
		"caller not a member":    {caller: stranger, code: model.CodeDenied},
		"not the owner":          {edit: func(i *model.AuthCodeIssue) { i.Owner = e.person.ID }, code: model.CodeDenied},
		"owner without transact": {edit: func(i *model.AuthCodeIssue) { i.Asset, i.Owner = idleAsset.ID, e.idle.ID }, code: model.CodeDenied},
		"asset revoked":          {edit: func(i *model.AuthCodeIssue) { i.Asset = revoked.ID }, code: model.CodeState},
		"asset unknown":          {edit: func(i *model.AuthCodeIssue) { i.Asset = strings.Repeat("8", 32) }, code: model.CodeNotFound},
		"expired":                {edit: func(i *model.AuthCodeIssue) { i.ExpiresAt = e.at(-time.Second) }, code: model.CodeInvalid},
		"salt not hex":           {edit: func(i *model.AuthCodeIssue) { i.Salt = strings.Repeat("0", 32) + "zz" }, code: model.CodeInvalid},
		"salt odd length":        {edit: func(i *model.AuthCodeIssue) { i.Salt = strings.Repeat("0", 33) }, code: model.CodeInvalid},
		"salt upper case":        {edit: func(i *model.AuthCodeIssue) { i.Salt = strings.Repeat("AB", 16) }, code: model.CodeInvalid},
		"hash not a digest":      {edit: func(i *model.AuthCodeIssue) { i.Hash = "abc" }, code: model.CodeInvalid},
		"wrong key":              {signer: func() (string, string) { return "person", "" }, code: model.CodeSignature},
	} {
		e.run(t, name, func() {
			_, issue := e.codeIssue(model.ScopeView, time.Hour)
			if tc.edit != nil {
				tc.edit(&issue)
			}
			key := e.owner.Key
			switch {
			case tc.signer != nil:
				key = e.person.Key
			case issue.Owner == e.idle.ID:
				key = e.idle.Key
			case issue.Owner == e.person.ID:
				key = e.person.Key
			}
			canonical, sig := e.sign(key, authorization.ActionIssueAuthCode, &issue)
			caller := tc.caller
			if caller == nil {
				caller = e.gateway()
			}
			e.rejects(tc.code, caller, "IssueAuthCode", canonical, sig)
		})
	}
}

func TestVerifyAuthCode(t *testing.T) {
	e := newEnv(t)
	_, first := e.issueCode(model.ScopeView, 2*time.Hour) // a second code of the same asset
	code, ac := e.issueCode(model.ScopeUse, time.Hour)

	var got model.AuthCode
	res := e.ok(e.verifyCode(e.asset.ID, []byte(code)))
	e.decode(res, &got)
	if got.ID != ac.ID {
		t.Fatalf("matched %s, want %s", got.ID, ac.ID)
	}
	if got.ID == first.ID {
		t.Fatal("matched the wrong code")
	}

	check := func(name string, assetID string, presented []byte, want model.Code) {
		t.Helper()
		res := e.verifyCode(assetID, presented)
		if pe := model.ParseError(res.Message); res.Err() == nil || pe == nil || pe.Code != want {
			t.Fatalf("%s: status %d %q, want %s", name, res.Status, res.Message, want)
		}
	}
	check("wrong code", e.asset.ID, []byte(code+"x"), model.CodeDenied)
	check("no code", e.asset.ID, nil, model.CodeInvalid)
	check("overlong code", e.asset.ID, make([]byte, 2000), model.CodeInvalid)
	check("no asset", "", []byte(code), model.CodeInvalid)
	check("unknown asset", strings.Repeat("9", 32), []byte(code), model.CodeNotFound)
	other := e.issue(e.owner)
	check("other asset", other.ID, []byte(code), model.CodeDenied)

	// Expiry follows the transaction clock.
	e.l.Advance(time.Hour)
	check("expired", e.asset.ID, []byte(code), model.CodeDenied)
}

func TestVerifyAuthCode_RevokedAndTransferred(t *testing.T) {
	e := newEnv(t)
	code, ac := e.issueCode(model.ScopeView, time.Hour)
	code2, _ := e.issueCode(model.ScopeView, time.Hour)
	e.revokeCode(ac.ID, "handed to the wrong person")
	if res := e.verifyCode(e.asset.ID, []byte(code)); res.Err() == nil {
		t.Fatal("a revoked code verified")
	}
	e.ok(e.verifyCode(e.asset.ID, []byte(code2)))
	buyer := e.c.OpenSubject(model.SubjectEnterprise, model.PermTransact)
	e.transfer(buyer)
	if res := e.verifyCode(e.asset.ID, []byte(code2)); res.Err() == nil {
		t.Fatal("the old owner's code verified after a transfer")
	}
}

// revokeCode revokes a code as the owner.
func (e *env) revokeCode(id, note string) model.AuthCode {
	e.t.Helper()
	_, sig := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &model.AuthCodeRevocation{AuthCode: id, Note: note})
	var ac model.AuthCode
	e.decode(e.ok(e.call(e.gateway(), "RevokeAuthCode", id, note, sig)), &ac)
	return ac
}

func TestRevokeAuthCode(t *testing.T) {
	e := newEnv(t)
	_, ac := e.issueCode(model.ScopeView, time.Hour)
	rev := model.AuthCodeRevocation{AuthCode: ac.ID, Note: "leaked"}
	_, sig := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &rev)
	res := e.ok(e.call(e.gateway(), "RevokeAuthCode", ac.ID, rev.Note, sig))
	var got, ev model.AuthCode
	e.decode(res, &got)
	if got.Status != model.GrantRevoked || got.Note != rev.Note || got.UpdatedTx != res.TxID || got.Hash != ac.Hash {
		t.Fatalf("revoked %+v", got)
	}
	e.event(res, model.EventAuthCodeRevoked, &ev)
	if ev.ID != ac.ID || ev.Status != model.GrantRevoked {
		t.Fatalf("event %+v", ev)
	}
	noTrace(t, e.ok(e.call(e.gateway(), "RevokeAuthCode", ac.ID, rev.Note, sig)))
	_, sig2 := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &model.AuthCodeRevocation{AuthCode: ac.ID, Note: "again"})
	e.rejects(model.CodeState, e.gateway(), "RevokeAuthCode", ac.ID, "again", sig2)
}

func TestRevokeAuthCode_Rejected(t *testing.T) {
	e := newEnv(t)
	_, ac := e.issueCode(model.ScopeView, time.Hour)
	rev := model.AuthCodeRevocation{AuthCode: ac.ID, Note: "leaked"}
	_, sig := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &rev)
	_, byPerson := e.sign(e.person.Key, authorization.ActionRevokeAuthCode, &rev)
	_, otherNote := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &model.AuthCodeRevocation{AuthCode: ac.ID, Note: "other"})
	unknown := strings.Repeat("a", 32)
	_, unknownSig := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &model.AuthCodeRevocation{AuthCode: unknown, Note: "x"})
	stranger := cctest.NewOrg("StrangerMSP").Identity("client1")
	for name, tc := range map[string]struct {
		caller        cctest.Creator
		id, note, sig string
		code          model.Code
	}{
		"caller not a member": {stranger, ac.ID, rev.Note, sig, model.CodeDenied},
		"signed by another":   {e.gateway(), ac.ID, rev.Note, byPerson, model.CodeSignature},
		"note not signed":     {e.gateway(), ac.ID, rev.Note, otherNote, model.CodeSignature},
		"unknown code":        {e.gateway(), unknown, "x", unknownSig, model.CodeNotFound},
		"no note":             {e.gateway(), ac.ID, "", sig, model.CodeInvalid},
		"bad id":              {e.gateway(), "code-1", rev.Note, sig, model.CodeInvalid},
		"note too long":       {e.gateway(), ac.ID, strings.Repeat("长", model.MaxTextLen+1), sig, model.CodeInvalid},
	} {
		e.run(t, name, func() {
			e.rejects(tc.code, tc.caller, "RevokeAuthCode", tc.id, tc.note, tc.sig)
		})
	}
}

// ExampleContract_IssueAuthCode is how a client hands out an authorization
// code (7.4.4 d 3): the code stays with the client; only a random salt and
// SM3(salt || code) go on chain, and a holder later presents the code in
// transient data.
func ExampleContract_IssueAuthCode() {
	salt, _ := gm.NewSalt()
	code := []byte("KB-7Q2X-9PLM")
	issue := model.AuthCodeIssue{
		Asset:     model.AssetID("business-licence", "owner", "MarketMSP", "application-1/licence"),
		Owner:     model.DeriveID("subject", "example"),
		Scope:     model.ScopeView,
		Purpose:   "show the licence to a landlord",
		Salt:      hex.EncodeToString(salt),
		Hash:      gm.Commitment(salt, code),
		ExpiresAt: "2021-12-31T00:00:00Z",
	}
	fmt.Println(issue.Validate())
	fmt.Println(gm.VerifyCommitment(salt, code, issue.Hash), gm.VerifyCommitment(salt, []byte("guess"), issue.Hash))
	// Output:
	// <nil>
	// true false
}
