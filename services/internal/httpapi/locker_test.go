package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// The locker's handlers over the real locker service: devnet with the
// fixture consortium plus BankMSP (key in the key service), PostgreSQL, a
// filesystem object store, the outbox worked by River and the projection.

const (
	lkBank         = "BankMSP"
	lkIDCopy       = "id-copy"
	lkBankPassword = "bank key password"
	lkFirmPassword = "firm unlock password"
	lkIDNumber     = "11010519491231002X"
)

type lockerFixture struct {
	t    *testing.T
	h    http.Handler
	pool *pgxpool.Pool
	c    *chain.Client
}

func newLockerFixture(t *testing.T, opts ...func(*lockerFixture, *Options)) *lockerFixture {
	t.Helper()
	ctx := context.Background()
	p := platformtest.Start(t, platformtest.Options{})
	f := &lockerFixture{t: t, pool: p.Pool, c: p.Chain}
	ks, svc := p.Keys, p.Locker
	// BankMSP joins with its key in the key service; it issues and reviews
	// the self-upload type lkIDCopy.
	bankKey, err := ks.Generate(ctx, keys.Owner{Kind: keys.KindDepartment, ID: lkBank}, lkBankPassword)
	if err != nil {
		t.Fatal(err)
	}
	app := chaintest.Canonical(&model.MemberApplication{ID: lkBank, Name: "Bank", Kind: model.MemberInstitution, PublicKey: bankKey.PublicKeyPEM})
	sig, err := ks.Sign(ctx, keys.Owner{Kind: keys.KindDepartment, ID: lkBank}, lkBankPassword, model.SigningMessage("subject.ApplyMember", []byte(app)))
	if err != nil {
		t.Fatal(err)
	}
	f.submit(lkBank+"/Admin", model.ChaincodeSubject, "ApplyMember", app, keys.EncodeSignature(sig.Value))
	f.submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "ReviewMember", chaintest.Canonical(&model.MemberReview{Member: lkBank, Approve: true}))
	f.submit(chaintest.Operator, model.ChaincodeAsset, "DefineAssetType", chaintest.Canonical(&model.AssetTypeDefinition{
		Code: lkIDCopy, Name: "身份证复印件", Schema: `{"type":"object"}`, Issuers: []string{lkBank}, Reviewers: []string{lkBank}, SelfUpload: true,
	}))
	o := Options{Locker: svc, Authenticate: func(c *gin.Context) { SetClient(c, "window-clerk-7") }}
	for _, opt := range opts {
		opt(f, &o)
	}
	s, _ := newServer(t, o)
	f.h = s.Handler()
	return f
}

func (f *lockerFixture) submit(ref, cc, fn string, args ...string) {
	f.t.Helper()
	ct, err := f.c.Contract(ref, cc)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := ct.Submit(context.Background(), fn, chain.WithArguments(args...)); err != nil {
		f.t.Fatalf("%s: %v", fn, err)
	}
}

func (f *lockerFixture) call(method, path string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	if body == nil {
		return do(f.t, f.h, method, path, nil)
	}
	var rd *strings.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else {
		j, err := json.Marshal(body)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = strings.NewReader(string(j))
	}
	return do(f.t, f.h, method, path, rd, "Content-Type", "application/json")
}

func (f *lockerFixture) ok(status int, method, path string, body, out any) {
	f.t.Helper()
	rec := f.call(method, path, body)
	if rec.Code != status {
		f.t.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, status, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			f.t.Fatalf("%s %s: %v: %s", method, path, err, rec.Body)
		}
	}
}

func (f *lockerFixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not after 20s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// openActive opens and approves an enterprise locker over REST.
func (f *lockerFixture) openActive(name, password string) string {
	f.t.Helper()
	var l api.Locker
	f.ok(202, "POST", "/api/v1/lockers", map[string]any{
		"enterprise":          map[string]any{"name": name, "address": "济南市历下区"},
		"legalRepresentative": map[string]any{"name": "张三", "idNumber": lkIDNumber},
		"clerkId":             "clerk-1", "password": password,
	}, &l)
	if l.LegalRepresentativeId == nil || *l.LegalRepresentativeId == lkIDNumber {
		f.t.Fatalf("legal representative's ID not masked: %+v", l)
	}
	f.ok(202, "POST", "/api/v1/lockers/"+l.Id+"/review", map[string]any{"approve": true}, nil)
	f.eventually("locker active", func() bool {
		var got api.Locker
		f.ok(200, "GET", "/api/v1/lockers/"+l.Id, nil, &got)
		return got.Status == model.StatusActive
	})
	return l.Id
}

func (f *lockerFixture) assetStatus(id string) string {
	var s api.LockerAssetFact
	f.ok(200, "GET", "/api/v1/locker-assets/"+id+"/status", nil, &s)
	return *s.Status
}

func TestLockerAPI_WholeFlow_Devnet(t *testing.T) {
	f := newLockerFixture(t)
	firm := f.openActive("接口测试有限公司", lkFirmPassword)
	other := f.openActive("接口受托有限公司", "other unlock password")
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

	// Issued by a member (department channel) and self-uploaded, reviewed.
	var issued, up api.LockerIssue
	f.ok(202, "POST", "/api/v1/lockers/"+firm+"/issues", map[string]any{"member": lkBank, "password": lkBankPassword,
		"channel": "department", "type": lkIDCopy, "businessKey": "licence", "content": b64("营业执照")}, &issued)
	f.ok(202, "POST", "/api/v1/lockers/"+firm+"/uploads", map[string]any{"password": lkFirmPassword,
		"type": lkIDCopy, "businessKey": "articles", "content": b64("公司章程"), "encryption": "sm4"}, &up)
	f.eventually("upload pending review", func() bool {
		return f.call("GET", "/api/v1/locker-assets/"+up.AssetId+"/status", nil).Code == 200 && f.assetStatus(up.AssetId) == model.AssetPendingReview
	})
	f.ok(202, "POST", "/api/v1/locker-assets/"+up.AssetId+"/review", map[string]any{"member": lkBank, "password": lkBankPassword, "approve": true}, nil)
	f.eventually("both available and listed", func() bool {
		var l api.LockerAssetList
		f.ok(200, "GET", "/api/v1/lockers/"+firm+"/assets?type="+lkIDCopy, nil, &l)
		return len(l.Items) == 2 && l.Items[0].Status == model.AssetAvailable && l.Items[1].Status == model.AssetAvailable
	})

	// View with a reason: recorded on chain, tx ID and time in the answer.
	var c api.LockerContent
	f.ok(200, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/view", map[string]any{"subject": firm, "password": lkFirmPassword, "reason": "办理银行开户"}, &c)
	if string(c.Content) != "营业执照" || c.Access.TxId == "" || c.Access.Time == "" || c.Block == 0 {
		t.Fatalf("view %+v", c)
	}
	f.eventually("access record listed", func() bool {
		var l api.LockerAccessRecordList
		f.ok(200, "GET", "/api/v1/locker-assets/"+issued.AssetId+"/access-records", nil, &l)
		return len(l.Items) == 1 && l.Items[0].TxId == c.Access.TxId && l.Items[0].Block == c.Block
	})

	// Delegate with push; the grantee sees it in its locker and reads it.
	var g api.LockerGrant
	f.ok(201, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/grants", map[string]any{"grantor": firm, "password": lkFirmPassword,
		"grantee": other, "kind": "delegation", "purpose": "代办", "expiresAt": time.Now().Add(time.Hour), "push": true}, &g)
	f.eventually("pushed", func() bool {
		var l api.LockerAssetList
		f.ok(200, "GET", "/api/v1/lockers/"+other+"/assets", nil, &l)
		return len(l.Items) == 1 && l.Items[0].Grant != nil && *l.Items[0].Grant == g.Id
	})
	f.ok(200, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/view", map[string]any{"subject": other, "password": "other unlock password", "grant": g.Id, "reason": "代办"}, &c)
	var gl api.LockerGrantList
	f.ok(200, "GET", "/api/v1/locker-assets/"+issued.AssetId+"/grants", nil, &gl)
	f.ok(200, "POST", "/api/v1/locker-grants/"+g.Id+"/revoke", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "办结"}, &g)
	if g.Status != model.GrantRevoked {
		t.Fatalf("revoked grant %+v", g)
	}

	// An access request by the bank, listed and denied.
	var r api.LockerAccessRequest
	f.ok(201, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/requests", map[string]any{"member": lkBank, "purpose": "开户审核", "dueAt": time.Now().Add(time.Hour)}, &r)
	f.eventually("request listed", func() bool {
		var l api.LockerRequestList
		f.ok(200, "GET", "/api/v1/lockers/"+firm+"/requests", nil, &l)
		return len(l.Items) == 1 && l.Items[0].Id == r.Id
	})
	f.ok(200, "POST", "/api/v1/locker-requests/"+r.Id+"/deny", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "不需要"}, &r)

	// Authorization code: issue, verify, read by code, revoke.
	var ic api.LockerIssuedCode
	f.ok(201, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/auth-codes", map[string]any{"owner": firm, "password": lkFirmPassword, "purpose": "核验", "expiresAt": time.Now().Add(time.Hour)}, &ic)
	f.ok(200, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/verify-code", map[string]any{"code": ic.Code}, nil)
	f.ok(200, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/view-by-code", map[string]any{"code": ic.Code, "member": lkBank, "reason": "核验"}, &c)
	if string(c.Content) != "营业执照" || c.Access.AuthCode == nil {
		t.Fatalf("view by code %+v", c)
	}
	f.ok(200, "POST", "/api/v1/locker-auth-codes/"+ic.AuthCode.Id+"/revoke", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "作废"}, nil)
	f.eventually("the code listed, revoked, without the code itself", func() bool {
		rec := f.call("GET", "/api/v1/locker-assets/"+issued.AssetId+"/auth-codes", nil)
		var l api.LockerAuthCodeList
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &l) != nil {
			t.Fatalf("list codes: %d %s", rec.Code, rec.Body)
		}
		if strings.Contains(rec.Body.String(), ic.Code) {
			t.Fatalf("the code itself is listed: %s", rec.Body)
		}
		return len(l.Items) == 1 && l.Items[0].Id == ic.AuthCode.Id && l.Items[0].Status == model.GrantRevoked && l.Items[0].Hash != nil
	})

	// The 7.4.4 d queries.
	var fact api.LockerAssetFact
	f.ok(200, "GET", "/api/v1/locker-assets/"+up.AssetId+"/latest-tx", nil, &fact)
	f.ok(200, "GET", "/api/v1/locker-assets/"+up.AssetId+"/encryption", nil, &fact)
	if *fact.Encryption != "sm4" {
		t.Fatalf("encryption %+v", fact)
	}
	var k api.LockerReleasedKey
	f.ok(200, "POST", "/api/v1/locker-assets/"+up.AssetId+"/key", map[string]any{"owner": firm, "password": lkFirmPassword, "reason": "本地解密"}, &k)
	if len(k.Key) != 32 || k.Access.Action != model.AccessKey {
		t.Fatalf("released key %+v", k)
	}
}

// TestLockerAPI_BadInput_Devnet sends bad input to every locker operation:
// each answers a clear 4xx problem+json and nothing changes in the database
// or on chain.
func TestLockerAPI_BadInput_Devnet(t *testing.T) {
	f := newLockerFixture(t)
	firm := f.openActive("坏输入接口有限公司", lkFirmPassword)
	var issued api.LockerIssue
	f.ok(202, "POST", "/api/v1/lockers/"+firm+"/issues", map[string]any{"member": lkBank, "password": lkBankPassword,
		"channel": "department", "type": lkIDCopy, "businessKey": "licence", "content": "eA=="}, &issued)
	f.eventually("issued", func() bool {
		return f.call("GET", "/api/v1/locker-assets/"+issued.AssetId+"/status", nil).Code == 200
	})
	counts := func() string {
		var s string
		if err := f.pool.QueryRow(context.Background(), `SELECT concat_ws(',',
			(SELECT count(*) FROM locker_lockers), (SELECT count(*) FROM locker_issues), (SELECT count(*) FROM locker_auth_codes),
			(SELECT count(*) FROM chain_outbox), (SELECT count(*) FROM keys), (SELECT max(block_number) FROM ledger_events))`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	time.Sleep(300 * time.Millisecond)
	before := counts()
	a := "/api/v1/locker-assets/" + issued.AssetId
	unknown := "0123456789abcdef0123456789abcdef"
	future := time.Now().Add(time.Hour)
	cases := []struct {
		name, method, path string
		body               any
		status             int
		kind               string
	}{
		{"open: no password", "POST", "/api/v1/lockers", map[string]any{"clerkId": "c", "enterprise": map[string]any{"name": "x"}}, 400, "invalid"},
		{"open: bad ID check digit", "POST", "/api/v1/lockers", map[string]any{"clerkId": "c", "password": "locker password", "enterprise": map[string]any{"name": "x"},
			"legalRepresentative": map[string]any{"name": "张三", "idNumber": "110105194912310021"}}, 400, "invalid"},
		{"open: unknown field", "POST", "/api/v1/lockers", `{"clerkId":"c","password":"locker password","x":1}`, 400, "invalid"},
		{"get: unknown locker", "GET", "/api/v1/lockers/" + unknown, nil, 404, "not-found"},
		{"review: unknown locker", "POST", "/api/v1/lockers/" + unknown + "/review", map[string]any{"approve": true}, 404, "not-found"},
		{"review: reviewed already", "POST", "/api/v1/lockers/" + firm + "/review", map[string]any{"approve": false}, 409, "state"},
		{"assets: unknown locker", "GET", "/api/v1/lockers/" + unknown + "/assets", nil, 404, "not-found"},
		{"upload: wrong password", "POST", "/api/v1/lockers/" + firm + "/uploads", map[string]any{"password": "wrong password", "type": lkIDCopy, "businessKey": "k", "content": "eA=="}, 403, "denied"},
		{"upload: no content", "POST", "/api/v1/lockers/" + firm + "/uploads", map[string]any{"password": lkFirmPassword, "type": lkIDCopy, "businessKey": "k"}, 400, "invalid"},
		{"issue: self channel", "POST", "/api/v1/lockers/" + firm + "/issues", map[string]any{"member": lkBank, "password": lkBankPassword, "channel": "self", "type": lkIDCopy, "businessKey": "k", "content": "eA=="}, 400, "invalid"},
		{"issue: wrong password", "POST", "/api/v1/lockers/" + firm + "/issues", map[string]any{"member": lkBank, "password": "wrong password", "channel": "window", "type": lkIDCopy, "businessKey": "k2", "content": "eA=="}, 403, "denied"},
		{"requests: unknown locker", "GET", "/api/v1/lockers/" + unknown + "/requests", nil, 404, "not-found"},
		{"review upload: not pending", "POST", a + "/review", map[string]any{"member": lkBank, "password": lkBankPassword, "approve": true}, 409, "state"},
		{"view: no reason", "POST", a + "/view", map[string]any{"subject": firm, "password": lkFirmPassword}, 400, "invalid"},
		{"view: wrong password", "POST", a + "/view", map[string]any{"subject": firm, "password": "wrong password", "reason": "r"}, 403, "denied"},
		{"view: not the owner", "POST", a + "/view", map[string]any{"member": lkBank, "password": lkBankPassword, "reason": "r"}, 403, "denied"},
		{"view: unknown asset", "POST", "/api/v1/locker-assets/" + unknown + "/view", map[string]any{"subject": firm, "password": lkFirmPassword, "reason": "r"}, 404, "not-found"},
		{"grant: expiry past", "POST", a + "/grants", map[string]any{"grantor": firm, "password": lkFirmPassword, "grantee": lkBank, "granteeMember": true, "purpose": "p", "expiresAt": time.Now().Add(-time.Hour)}, 400, "invalid"},
		{"grant: to itself", "POST", a + "/grants", map[string]any{"grantor": firm, "password": lkFirmPassword, "grantee": firm, "purpose": "p", "expiresAt": future}, 400, "invalid"},
		{"grant: bad scope", "POST", a + "/grants", map[string]any{"grantor": firm, "password": lkFirmPassword, "grantee": lkBank, "purpose": "p", "expiresAt": future, "scope": "own"}, 400, "invalid"},
		{"grants: bad asset ID", "GET", "/api/v1/locker-assets/bad%20id/grants", nil, 400, "invalid"},
		{"revoke grant: unknown", "POST", "/api/v1/locker-grants/" + unknown + "/revoke", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "n"}, 404, "not-found"},
		{"request: past due", "POST", a + "/requests", map[string]any{"member": lkBank, "purpose": "p", "dueAt": time.Now().Add(-time.Hour)}, 400, "invalid"},
		{"request: no requester", "POST", a + "/requests", map[string]any{"purpose": "p", "dueAt": future}, 400, "invalid"},
		{"deny: unknown request", "POST", "/api/v1/locker-requests/" + unknown + "/deny", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "n"}, 404, "not-found"},
		{"auth code: owner not a subject ID", "POST", a + "/auth-codes", map[string]any{"owner": lkBank, "password": lkBankPassword, "purpose": "p", "expiresAt": future}, 400, "invalid"},
		{"auth codes: bad asset ID", "GET", "/api/v1/locker-assets/bad%20id/auth-codes", nil, 400, "invalid"},
		{"revoke code: unknown", "POST", "/api/v1/locker-auth-codes/" + unknown + "/revoke", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "n"}, 404, "not-found"},
		{"access records: bad asset ID", "GET", "/api/v1/locker-assets/bad%20id/access-records", nil, 400, "invalid"},
		{"status: unknown asset", "GET", "/api/v1/locker-assets/" + unknown + "/status", nil, 404, "not-found"},
		{"latest tx: malformed ID", "GET", "/api/v1/locker-assets/abc/latest-tx", nil, 400, "invalid"},
		{"view by code: wrong code", "POST", a + "/view-by-code", map[string]any{"code": "00000000000000000000000000000000", "member": lkBank, "reason": "r"}, 403, "denied"},
		{"verify code: no code", "POST", a + "/verify-code", map[string]any{}, 400, "invalid"},
		{"encryption: unknown asset", "GET", "/api/v1/locker-assets/" + unknown + "/encryption", nil, 404, "not-found"},
		{"key: asymmetric asset", "POST", a + "/key", map[string]any{"owner": firm, "password": lkFirmPassword, "reason": "r"}, 409, "state"},
	}
	for _, c := range cases {
		rec := f.call(c.method, c.path, c.body)
		if rec.Code != c.status || !strings.Contains(rec.Header().Get("Content-Type"), "problem+json") || !strings.Contains(rec.Body.String(), "urn:kaiban:problem:"+c.kind) {
			t.Errorf("%s: %d %s, want %d %s", c.name, rec.Code, rec.Body, c.status, c.kind)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if after := counts(); after != before {
		t.Fatalf("rows or blocks changed by bad input: %s → %s", before, after)
	}
}

// TestLockerAPI_DepartmentSystemActsAsItsMember_Devnet: a department system
// (API client of department bank) acts as its own member BankMSP: naming
// another member is refused without a chain write, naming none means itself.
func TestLockerAPI_DepartmentSystemActsAsItsMember_Devnet(t *testing.T) {
	f := newLockerFixture(t, func(f *lockerFixture, o *Options) {
		o.Authenticate = func(c *gin.Context) {
			p := &identity.Principal{Kind: identity.KindClient, ID: "bank-system", Department: "bank"}
			c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), p))
			SetClient(c, "bank-system")
		}
		o.Workflow = Workflow{Registry: registry.New(f.pool)}
	})
	firm := f.openActive("部门系统测试有限公司", lkFirmPassword)
	var issued api.LockerIssue
	f.ok(202, "POST", "/api/v1/lockers/"+firm+"/issues", map[string]any{"member": lkBank, "password": lkBankPassword,
		"channel": "department", "type": lkIDCopy, "businessKey": "licence", "content": "eA=="}, &issued)
	f.eventually("issued", func() bool { return f.call("GET", "/api/v1/locker-assets/"+issued.AssetId+"/status", nil).Code == 200 })
	due := time.Now().Add(time.Hour)
	rec := f.call("POST", "/api/v1/locker-assets/"+issued.AssetId+"/requests", map[string]any{"member": "TaxMSP", "purpose": "p", "dueAt": due})
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "urn:kaiban:problem:denied") {
		t.Fatalf("request as another member: %d %s", rec.Code, rec.Body)
	}
	var r api.LockerAccessRequest
	f.ok(201, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/requests", map[string]any{"purpose": "开户审核", "dueAt": due}, &r)
	if r.Requester != lkBank {
		t.Fatalf("requester %q, want %s", r.Requester, lkBank)
	}
}

// TestLockerAPI_GrantsReceived_Devnet: a bank officer (a person of department
// bank) lists the grants its member BankMSP holds with their assets, active
// first, and reads the asset naming the grant with a reason; a revoked grant
// stays listed as revoked. A bank system may not list another member's
// grants, and bad input changes nothing.
func TestLockerAPI_GrantsReceived_Devnet(t *testing.T) {
	caller := &identity.Principal{Kind: identity.KindUser, ID: "officer-1", Department: "bank"}
	f := newLockerFixture(t, func(f *lockerFixture, o *Options) {
		o.Authenticate = func(c *gin.Context) {
			c.Request = c.Request.WithContext(identity.WithPrincipal(c.Request.Context(), caller))
			SetClient(c, caller.Kind+":"+caller.ID)
		}
		o.Workflow = Workflow{Registry: registry.New(f.pool)}
	})
	firm := f.openActive("授权给我测试有限公司", lkFirmPassword)
	var issued api.LockerIssue
	f.ok(202, "POST", "/api/v1/lockers/"+firm+"/issues", map[string]any{"member": lkBank, "password": lkBankPassword,
		"channel": "department", "type": lkIDCopy, "businessKey": "licence", "content": base64.StdEncoding.EncodeToString([]byte("营业执照"))}, &issued)
	f.eventually("issued", func() bool { return f.call("GET", "/api/v1/locker-assets/"+issued.AssetId+"/status", nil).Code == 200 })

	var empty api.LockerGrantReceivedList
	f.ok(200, "GET", "/api/v1/locker-grants", nil, &empty)
	if empty.Grantee != lkBank || len(empty.Items) != 0 {
		t.Fatalf("before any grant: %+v", empty)
	}
	grant := func(purpose string) api.LockerGrant {
		var g api.LockerGrant
		f.ok(201, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/grants", map[string]any{"grantor": firm, "password": lkFirmPassword,
			"grantee": lkBank, "granteeMember": true, "purpose": purpose, "expiresAt": time.Now().Add(time.Hour)}, &g)
		return g
	}
	first := grant("开户审核")
	f.ok(200, "POST", "/api/v1/locker-grants/"+first.Id+"/revoke", map[string]any{"owner": firm, "password": lkFirmPassword, "note": "重新授权"}, nil)
	second := grant("开户审核（补充）")
	var l api.LockerGrantReceivedList
	f.eventually("both grants listed, the active one first", func() bool {
		f.ok(200, "GET", "/api/v1/locker-grants", nil, &l)
		return len(l.Items) == 2 && l.Items[0].Grant.Id == second.Id && l.Items[1].Grant.Status == model.GrantRevoked
	})
	if l.Items[0].Asset.Id != issued.AssetId || l.Items[0].Asset.Type != lkIDCopy || l.Items[0].Grant.Grantee != lkBank {
		t.Fatalf("received %+v", l.Items[0])
	}
	var byName api.LockerGrantReceivedList
	f.ok(200, "GET", "/api/v1/locker-grants?grantee="+lkBank, nil, &byName)
	if len(byName.Items) != 2 {
		t.Fatalf("named grantee: %+v", byName)
	}
	var c api.LockerContent
	f.ok(200, "POST", "/api/v1/locker-assets/"+issued.AssetId+"/view", map[string]any{"member": lkBank, "password": lkBankPassword,
		"grant": second.Id, "reason": "开户资料核验"}, &c)
	if string(c.Content) != "营业执照" || c.Access.Accessor != lkBank || c.Access.Grant == nil || *c.Access.Grant != second.Id {
		t.Fatalf("grantee's view %+v", c)
	}

	f.eventually("the bank's read projected", func() bool {
		var l api.LockerAccessRecordList
		f.ok(200, "GET", "/api/v1/locker-assets/"+issued.AssetId+"/access-records", nil, &l)
		return len(l.Items) == 1 && l.Items[0].TxId == c.Access.TxId
	})

	// Bad input and other members' grants: 4xx, nothing changes.
	// A chain write is an outbox row (issues, reviews) or a block (what is
	// submitted directly: requests, reads); the bank's read above is
	// projected already, so both are a measure.
	writes := func() (n int64) {
		if err := f.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM chain_outbox) + (SELECT coalesce(max(block_number), 0) FROM ledger_events)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := writes()
	officer := *caller
	taxOfficer := &identity.Principal{Kind: identity.KindUser, ID: "u3", Department: "tax"}
	due := time.Now().Add(time.Hour)
	for _, c := range []struct {
		name, method, path string
		body               any
		who                *identity.Principal
		status             int
		kind               string
	}{
		{"malformed grantee", "GET", "/api/v1/locker-grants?grantee=bad%20id", nil, &officer, 400, "invalid"},
		{"department without a member", "GET", "/api/v1/locker-grants", nil, &identity.Principal{Kind: identity.KindUser, ID: "u2", Department: "operator"}, 404, "not-found"},
		{"system naming another member", "GET", "/api/v1/locker-grants?grantee=TaxMSP", nil, &identity.Principal{Kind: identity.KindClient, ID: "bank-system", Department: "bank"}, 403, "denied"},
		{"a tax officer reading as the bank", "POST", "/api/v1/locker-assets/" + issued.AssetId + "/view",
			map[string]any{"member": lkBank, "password": lkBankPassword, "grant": second.Id, "reason": "r"}, taxOfficer, 403, "denied"},
		{"a bank officer asking as the tax office", "POST", "/api/v1/locker-assets/" + issued.AssetId + "/requests",
			map[string]any{"member": "TaxMSP", "purpose": "p", "dueAt": due}, &officer, 403, "denied"},
		{"an officer of no member asking as the bank", "POST", "/api/v1/locker-assets/" + issued.AssetId + "/requests",
			map[string]any{"member": lkBank, "purpose": "p", "dueAt": due}, &identity.Principal{Kind: identity.KindUser, ID: "u2", Department: "operator"}, 403, "denied"},
	} {
		*caller = *c.who
		rec := f.call(c.method, c.path, c.body)
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), "urn:kaiban:problem:"+c.kind) {
			t.Errorf("%s: %d %s, want %d %s", c.name, rec.Code, rec.Body, c.status, c.kind)
		}
	}
	*caller = identity.Principal{Kind: identity.KindClient, ID: "bank-system", Department: "bank"}
	var own api.LockerGrantReceivedList
	f.ok(200, "GET", "/api/v1/locker-grants", nil, &own)
	if own.Grantee != lkBank || len(own.Items) != 2 {
		t.Fatalf("bank system's own grants: %+v", own)
	}
	if after := writes(); after != before {
		t.Fatalf("listing enqueued chain writes: %d → %d", before, after)
	}
}
