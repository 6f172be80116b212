package authorization_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/cctest"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// The fuzz targets feed arbitrary arguments through the harness, so the
// whole path runs: contractapi's parameter handling, decoding, the access
// checks with their cross-chaincode calls, and the writes. Whatever the
// input, a call never panics, fails only with a classified error that writes
// nothing, and when it succeeds it writes something exactly when it emits
// its event (a retry does neither). The seeds, run by plain `go test`,
// include valid signed requests, so the checks are exercised on both paths.

// fuzzSubmit submits tx and checks the invariants.
func fuzzSubmit(t *testing.T, l *cctest.Ledger, tx cctest.Tx) {
	t.Helper()
	tx.Chaincode = model.ChaincodeAuthorization
	height := l.Height()
	res := l.SubmitTx(tx)
	if res.Err() != nil {
		if model.ParseError(res.Message) == nil {
			t.Fatalf("%s failed without a classified error: %q", tx.Function, res.Message)
		}
		noTrace(t, res)
		if l.Height() != height {
			t.Fatalf("%s failed but the ledger grew", tx.Function)
		}
		return
	}
	if (writes(res) > 0) != (res.Event != nil) {
		t.Fatalf("%s wrote %d values with event %v", tx.Function, writes(res), res.Event)
	}
}

// fuzzEvaluate evaluates a query and checks that it fails, if at all, with
// a classified error.
func fuzzEvaluate(t *testing.T, l *cctest.Ledger, tx cctest.Tx) {
	t.Helper()
	tx.Chaincode = model.ChaincodeAuthorization
	res := l.EvaluateTx(tx)
	if res.Err() != nil && model.ParseError(res.Message) == nil {
		t.Fatalf("%s%q failed without a classified error: %q", tx.Function, tx.Args, res.Message)
	}
}

func FuzzGrant(f *testing.F) {
	e := newEnv(f)
	req := e.personGrant("fuzz")
	canonical, sig := e.sign(e.owner.Key, authorization.ActionGrant, &req)
	f.Add(canonical, sig)
	bank := e.bankGrant("fuzz")
	canonical, sig = e.sign(e.owner.Key, authorization.ActionGrant, &bank)
	f.Add(canonical, sig)
	f.Add(canonical, "")
	f.Add(`{"kind":"authorization"}`, sig)
	f.Add("", "")
	f.Add("\xff\x00", "\x00")
	f.Fuzz(func(t *testing.T, request, signature string) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "Grant", Args: []string{request, signature}})
	})
}

func FuzzRevokeGrant(f *testing.F) {
	e := newEnv(f)
	g := e.grant(e.personGrant("fuzz"))
	canonical, sig := e.sign(e.owner.Key, authorization.ActionRevokeGrant, &model.GrantRevocation{Grant: g.ID, Note: "fuzz"})
	f.Add(canonical, sig)
	f.Add(`{"grant":"`+g.ID+`","note":"x"}`, sig)
	f.Add("", "")
	f.Fuzz(func(t *testing.T, revocation, signature string) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "RevokeGrant", Args: []string{revocation, signature}})
	})
}

func FuzzIssueAuthCode(f *testing.F) {
	e := newEnv(f)
	_, issue := e.codeIssue(model.ScopeView, time.Hour)
	canonical, sig := e.sign(e.owner.Key, authorization.ActionIssueAuthCode, &issue)
	f.Add(canonical, sig)
	f.Add(canonical, "AAAA")
	f.Add("{}", "")
	f.Fuzz(func(t *testing.T, issue, signature string) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "IssueAuthCode", Args: []string{issue, signature}})
	})
}

func FuzzRevokeAuthCode(f *testing.F) {
	e := newEnv(f)
	_, ac := e.issueCode(model.ScopeView, time.Hour)
	_, sig := e.sign(e.owner.Key, authorization.ActionRevokeAuthCode, &model.AuthCodeRevocation{AuthCode: ac.ID, Note: "fuzz"})
	f.Add(ac.ID, "fuzz", sig)
	f.Add(ac.ID, "", sig)
	f.Add("", "\xff", "")
	f.Fuzz(func(t *testing.T, id, note, signature string) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "RevokeAuthCode", Args: []string{id, note, signature}})
	})
}

func FuzzVerifyAuthCode(f *testing.F) {
	e := newEnv(f)
	code, _ := e.issueCode(model.ScopeView, time.Hour)
	f.Add(e.asset.ID, []byte(code))
	f.Add(e.asset.ID, []byte(nil))
	f.Add("\x00", []byte("x"))
	f.Fuzz(func(t *testing.T, assetID string, presented []byte) {
		fuzzEvaluate(t, e.l, cctest.Tx{Creator: e.bank.Client, Function: "VerifyAuthCode", Args: []string{assetID},
			Transient: map[string][]byte{model.TransientAuthCode: presented}})
	})
}

func FuzzRecordAccess(f *testing.F) {
	e := newEnv(f)
	g := e.grant(e.personGrant("fuzz"))
	code, ac := e.issueCode(model.ScopeView, time.Hour)
	rec := e.recording(e.person.ID, model.AccessView)
	rec.Grant = g.ID
	canonical, sig := e.sign(e.person.Key, authorization.ActionRecordAccess, &rec)
	f.Add(canonical, sig, []byte(nil))
	rec.Grant, rec.AuthCode = "", ac.ID
	canonical, sig = e.sign(e.person.Key, authorization.ActionRecordAccess, &rec)
	f.Add(canonical, sig, []byte(code))
	owner := e.recording(e.owner.ID, model.AccessKey)
	canonical, sig = e.sign(e.owner.Key, authorization.ActionRecordAccess, &owner)
	f.Add(canonical, sig, []byte(nil))
	f.Add(e.canonical(&model.AccessRecording{Asset: e.asset.ID, Accessor: e.c.Operator.ID, Action: model.AccessRegulate, Reason: "x"}), "", []byte(nil))
	f.Add("[]", "", []byte("code"))
	f.Fuzz(func(t *testing.T, recording, signature string, presented []byte) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "RecordAccess", Args: []string{recording, signature},
			Transient: map[string][]byte{model.TransientAuthCode: presented}})
	})
}

func FuzzRequestAccess(f *testing.F) {
	e := newEnv(f)
	c := e.creation(e.person.ID, "fuzz")
	canonical, sig := e.sign(e.person.Key, authorization.ActionRequestAccess, &c)
	f.Add(canonical, sig)
	c = e.creation(e.c.Operator.ID, "fuzz")
	f.Add(e.canonical(&c), "")
	f.Add(`{"asset":1}`, "")
	f.Fuzz(func(t *testing.T, creation, signature string) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "RequestAccess", Args: []string{creation, signature}})
	})
}

func FuzzDenyRequest(f *testing.F) {
	e := newEnv(f)
	r := e.requestBy(e.person.ID, e.person, "fuzz")
	canonical, sig := e.sign(e.owner.Key, authorization.ActionDenyRequest, &model.AccessRequestDenial{Request: r.ID, Note: "fuzz"})
	f.Add(canonical, sig)
	f.Add(canonical, sig+"=")
	f.Add("null", "")
	f.Fuzz(func(t *testing.T, denial, signature string) {
		fuzzSubmit(t, e.l, cctest.Tx{Creator: e.gateway(), Function: "DenyRequest", Args: []string{denial, signature}})
	})
}

// FuzzQueries drives every query with arbitrary parameters.
func FuzzQueries(f *testing.F) {
	e := newEnv(f)
	g := e.grant(e.personGrant("fuzz"))
	_, ac := e.issueCode(model.ScopeView, time.Hour)
	r := e.requestBy(e.person.ID, e.person, "fuzz")
	e.record(visit{rec: e.recording(e.owner.ID, model.AccessView), signer: e.owner})
	f.Add(uint8(0), g.ID, "", int32(0), "")
	f.Add(uint8(1), e.asset.ID, "", int32(1), "")
	f.Add(uint8(2), e.person.ID, "", int32(-1), "x")
	f.Add(uint8(3), ac.ID, "", int32(0), "")
	f.Add(uint8(4), e.asset.ID, "", int32(500), "\x00")
	f.Add(uint8(5), r.ID, "", int32(0), "")
	f.Add(uint8(6), e.owner.ID, "2030-01-01T00:00:00Z", int32(2), "")
	f.Add(uint8(6), "", "yesterday", int32(0), "")
	f.Fuzz(func(t *testing.T, which uint8, a, b string, pageSize int32, bookmark string) {
		size := strconv.FormatInt(int64(pageSize), 10)
		var fn string
		var args []string
		switch which % 7 {
		case 0:
			fn, args = "GetGrant", []string{a}
		case 1:
			fn, args = "ListGrantsByAsset", []string{a, size, bookmark}
		case 2:
			fn, args = "ListGrantsByGrantee", []string{a, size, bookmark}
		case 3:
			fn, args = "GetAuthCode", []string{a}
		case 4:
			fn, args = "ListAccessRecords", []string{a, size, bookmark}
		case 5:
			fn, args = "GetRequest", []string{a}
		default:
			fn, args = "ListPendingRequests", []string{a, b, size, bookmark}
		}
		fuzzEvaluate(t, e.l, cctest.Tx{Creator: e.bank.Client, Function: fn, Args: args})
	})
}
