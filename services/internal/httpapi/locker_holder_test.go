package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

// TestLockerAPI_HolderBinding_Devnet runs the locker's REST operations with
// the real authenticator, RBAC and audit over devnet and PostgreSQL: an
// applicant who does not hold a locker gets 403 on every read of it and of
// its asset, with nothing recorded but the audit rows; binding with a wrong
// password is refused and counts toward the locker's lockout; binding with
// the right one makes the applicant a holder, who then reads it and finds it
// in its holdings; a clerk reads it as before without holding it.
func TestLockerAPI_HolderBinding_Devnet(t *testing.T) {
	ctx := context.Background()
	p, lg, id := securedPlatform(t)
	s, _ := newServer(t, Options{Locker: p.Locker, Security: SecurityOptions{Identity: id, Audit: lg}})
	h := s.Handler()

	sa := sessionAPI{t: t, h: h, id: id}
	call, ok := sa.call, sa.ok
	eventually := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(25 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not after 20s", what)
			}
		}
	}
	clerk, _ := sa.person("window-clerk", "测试用户", "clerk")
	officer, _ := sa.person("market-officer", "测试用户", "officer")
	applicant, applicantID := sa.person("firm-holder", "测试用户", "applicant")
	stranger, _ := sa.person("other-applicant", "测试用户", "applicant")

	// The clerk opens a locker, the officer approves it; an asset goes in
	// by self-upload (a change: the unlock password, no holding needed).
	defs, err := locker.MaterialTypeDefinitions(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := p.Chain.Contract(chaintest.Operator, model.ChaincodeAsset)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Submit(ctx, "DefineAssetType", chain.WithArguments(chaintest.Canonical(&defs[1]))); err != nil {
		t.Fatal(err)
	}
	var l api.Locker
	ok(202, clerk, "POST", "/api/v1/lockers", map[string]any{
		"enterprise":          map[string]any{"name": "持有人绑定测试有限公司"},
		"legalRepresentative": map[string]any{"name": "张三", "idNumber": lkIDNumber},
		"clerkId":             "window-clerk", "password": lkFirmPassword,
	}, &l)
	firm := l.Id
	ok(202, officer, "POST", "/api/v1/lockers/"+firm+"/review", map[string]any{"approve": true}, nil)
	eventually("locker active", func() bool {
		var got api.Locker
		ok(200, clerk, "GET", "/api/v1/lockers/"+firm, nil, &got)
		return got.Status == model.StatusActive
	})
	var up api.LockerIssue
	ok(202, applicant, "POST", "/api/v1/lockers/"+firm+"/uploads", map[string]any{"password": lkFirmPassword,
		"type": defs[1].Code, "businessKey": "articles", "content": base64.StdEncoding.EncodeToString([]byte("公司章程"))}, &up)
	asset := "/api/v1/locker-assets/" + up.AssetId
	eventually("the upload projected", func() bool { return call(clerk, "GET", asset+"/status", nil).Code == 200 })

	reads := []string{
		"/api/v1/lockers/" + firm,
		"/api/v1/lockers/" + firm + "/assets",
		"/api/v1/lockers/" + firm + "/requests",
		"/api/v1/locker-grants?grantee=" + firm,
		asset + "/grants",
		asset + "/auth-codes",
		asset + "/access-records",
		asset + "/status",
		asset + "/latest-tx",
		asset + "/encryption",
	}
	// What a refusal must leave as it was: every table but the audit log.
	state := func() string {
		var out string
		if err := p.Pool.QueryRow(ctx, `SELECT concat_ws(',', (SELECT count(*) FROM locker_holders),
			(SELECT count(*) FROM chain_outbox), (SELECT coalesce(sum(failures), 0) FROM key_unlock_attempts),
			(SELECT coalesce(max(block_number), 0) FROM ledger_events))`).Scan(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	deniedRows := func(actor string) (n int) {
		if err := p.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE actor_id = $1 AND result = 'denied'`, actor).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	time.Sleep(300 * time.Millisecond)
	before := state()
	for _, path := range reads {
		problemOf(t, call(applicant, "GET", path, nil), 403, "denied")
	}
	if after := state(); after != before {
		t.Fatalf("refused reads changed something: %s → %s", before, after)
	}
	eventually("each refusal audited", func() bool { return deniedRows(applicantID) == len(reads) })
	var holdings api.LockerHoldingList
	ok(200, applicant, "GET", "/api/v1/locker-holdings", nil, &holdings)
	if len(holdings.Items) != 0 {
		t.Fatalf("holdings before binding: %+v", holdings)
	}

	// A wrong password binds nothing and counts toward the lockout.
	holders := "/api/v1/lockers/" + firm + "/holders"
	problemOf(t, call(applicant, "POST", holders, map[string]any{"password": "wrong password"}), 403, "denied")
	var failures int
	if err := p.Pool.QueryRow(ctx, `SELECT failures FROM key_unlock_attempts WHERE principal = $1`, "subject:"+firm).Scan(&failures); err != nil || failures != 1 {
		t.Fatalf("failures after a wrong password: %d, %v", failures, err)
	}
	problemOf(t, call(applicant, "POST", holders, map[string]any{}), 400, "invalid")
	problemOf(t, call(applicant, "POST", "/api/v1/lockers/0123456789abcdef0123456789abcdef/holders", map[string]any{"password": lkFirmPassword}), 404, "not-found")
	problemOf(t, call(applicant, "GET", "/api/v1/lockers/"+firm, nil), 403, "denied")

	// The right password binds; binding again answers the first binding.
	var first, again api.LockerHolding
	ok(201, applicant, "POST", holders, map[string]any{"password": lkFirmPassword}, &first)
	ok(201, applicant, "POST", holders, map[string]any{"password": lkFirmPassword}, &again)
	if first.Locker.Id != firm || first.Locker.LegalRepresentativeName == nil || *first.Locker.LegalRepresentativeName == "张三" || !again.Since.Equal(first.Since) {
		t.Fatalf("binding %+v, again %+v (legal representative masked, since kept)", first, again)
	}
	for _, path := range reads {
		if rec := call(applicant, "GET", path, nil); rec.Code != 200 {
			t.Errorf("holder reading %s: %d %s", path, rec.Code, rec.Body)
		}
	}
	ok(200, applicant, "GET", "/api/v1/locker-holdings", nil, &holdings)
	if len(holdings.Items) != 1 || holdings.Items[0].Locker.Id != firm {
		t.Fatalf("holdings %+v", holdings)
	}

	// Another applicant still does not read it; the clerk does, unbound.
	for _, path := range reads {
		problemOf(t, call(stranger, "GET", path, nil), 403, "denied")
		if rec := call(clerk, "GET", path, nil); rec.Code != 200 {
			t.Errorf("clerk reading %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// securedPlatform starts a platform on devnet and PostgreSQL with the real
// audit log and identity service over its database, for the locker tests
// that go through the authenticator and RBAC.
func securedPlatform(t *testing.T) (*platformtest.Platform, *audit.Log, *identity.Service) {
	t.Helper()
	p := platformtest.Start(t, platformtest.Options{})
	names, err := pii.New(1, key32(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := audit.New(p.Pool, key32(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	id, err := identity.New(p.Pool, names, identity.Config{SecretKey: key32(3), PasswordIterations: 1000}, identity.WithRecorder(lg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(id.Close)
	return p, lg, id
}

// sessionAPI calls a server's handler over its JSON API as signed-in people
// do, for the locker holder tests.
type sessionAPI struct {
	t  *testing.T
	h  http.Handler
	id *identity.Service
}

// call sends body as JSON with token as the bearer (none when empty).
func (a sessionAPI) call(token, method, path string, body any) *httptest.ResponseRecorder {
	a.t.Helper()
	var rd io.Reader
	header := []string{"Authorization", "Bearer " + token}
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
		header = append(header, "Content-Type", "application/json")
	}
	return do(a.t, a.h, method, path, rd, header...)
}

// ok calls and fails the test unless the answer has status; the body is
// decoded into out when it is not nil.
func (a sessionAPI) ok(status int, token, method, path string, body, out any) {
	a.t.Helper()
	rec := a.call(token, method, path, body)
	if rec.Code != status {
		a.t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			a.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
}

// person creates a user of department operator with role, signed in with
// its initial password changed; it returns the session token and user ID.
func (a sessionAPI) person(login, name, role string) (string, string) {
	a.t.Helper()
	ctx := context.Background()
	u, err := a.id.CreateUser(ctx, nil, identity.NewUser{Login: login, Name: name, Department: "operator", Password: "Initial-Password-1"})
	if err != nil {
		a.t.Fatal(err)
	}
	if err := a.id.AssignRole(ctx, nil, u.ID, role); err != nil {
		a.t.Fatal(err)
	}
	var ses api.Session
	a.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": login, "password": "Initial-Password-1"}, &ses)
	a.ok(200, ses.Token, "POST", "/api/v1/me/password", map[string]any{"currentPassword": "Initial-Password-1", "newPassword": fixturePassword}, &ses)
	return ses.Token, u.ID
}
