package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/alliance"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

// Alliance administration over the real platform: PostgreSQL, a devnet with
// the fixture consortium (OperatorMSP founding, MarketMSP admitted), the key
// service, the outbox worked by River and the projection running; people
// with sessions through the real authenticator and RBAC.

type allianceFixture struct {
	*idFixture
	p          *platformtest.Platform
	sys, sys2  string // two system administrators
	plain      string // a user without an administration role
	supervisor string
}

func newAllianceFixture(t *testing.T) *allianceFixture {
	t.Helper()
	p := platformtest.Start(t, platformtest.Options{})
	lg, err := audit.New(p.Pool, key32(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	id, err := identity.New(p.Pool, p.PII, identity.Config{SecretKey: key32(3), PasswordIterations: 1000}, identity.WithRecorder(lg))
	if err != nil {
		t.Fatal(err)
	}
	al, err := alliance.New(alliance.Config{Pool: p.Pool, Outbox: p.Outbox, Keys: p.Keys, Chain: p.Chain, Governor: "OperatorMSP/Admin",
		Configuration: json.RawMessage(`{"http":{"listen":":8080"},"database":{"url":"***"}}`),
		Components:    []alliance.Component{{Name: "kaiban", Version: "test"}}})
	if err != nil {
		t.Fatal(err)
	}
	f := &allianceFixture{idFixture: &idFixture{t: t, id: id, log: lg, pool: p.Pool}, p: p}
	f.s, _ = newServer(t, Options{Alliance: al, Security: SecurityOptions{Identity: id, Audit: lg}})
	f.sys, _ = f.admin("root", identity.RoleSystemAdmin)
	f.sys2, _ = f.admin("root2", identity.RoleSystemAdmin)
	sec, _ := f.admin("security", identity.RoleSecurityAdmin)
	f.plain, _ = f.user(f.sys, "plain1", "operator")
	var uid string
	f.supervisor, uid = f.user(f.sys, "super1", "operator")
	f.ok(204, sec, "PUT", "/api/v1/users/"+uid+"/roles/supervisor", nil, nil)
	var session api.Session // a role change ends the user's sessions
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": "super1", "password": fixturePassword}, &session)
	f.supervisor = session.Token
	f.eventually("fixture members projected", func() bool { return f.memberStatus("MarketMSP") == model.StatusActive })
	return f
}

func (f *allianceFixture) eventually(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not after 30s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// written waits for a queued write to be on chain.
func (f *allianceFixture) written(rec api.AllianceQueuedWrite) {
	f.t.Helper()
	f.eventually("write "+rec.OutboxKey, func() bool {
		en, err := f.p.Outbox.Get(context.Background(), rec.OutboxKey)
		if err != nil && !errors.Is(err, outbox.ErrNotFound) {
			f.t.Fatal(err)
		}
		if en != nil && en.Status == outbox.StatusFailed {
			f.t.Fatalf("write %s failed: %s", rec.OutboxKey, en.LastError)
		}
		return en != nil && en.Status == outbox.StatusDone
	})
}

func (f *allianceFixture) memberStatus(id string) string {
	var s string
	_ = f.pool.QueryRow(context.Background(), `SELECT status FROM ledger_members WHERE id = $1`, id).Scan(&s)
	return s
}

// queue sends a write that must be accepted (202), waits until it is on
// chain and until cond holds in the projection.
func (f *allianceFixture) queue(method, path string, body any, what string, cond func() bool) api.AllianceQueuedWrite {
	f.t.Helper()
	var q api.AllianceQueuedWrite
	f.ok(202, f.sys, method, path, body, &q)
	f.written(q)
	f.eventually(what, cond)
	return q
}

// snapshot is every table alliance administration writes, so bad input can
// be shown to change none of them.
func (f *allianceFixture) snapshot() string {
	var out string
	err := f.pool.QueryRow(context.Background(), `SELECT concat_ws('/',
		(SELECT count(*) FROM chain_outbox), (SELECT count(*) FROM keys),
		(SELECT coalesce(string_agg(id || status || history::text, ',' ORDER BY id), '') FROM alliance_contracts),
		(SELECT string_agg(id || status || array_to_string(permissions, '+'), ',' ORDER BY id) FROM ledger_members))`).Scan(&out)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// TestAllianceHTTP_MembersNodesAssetTypes_Devnet runs 7.4.2 a and c and the
// asset-type half of 7.6.5 through REST to the chain and back through the
// projection: an application with a key from the key service, its review,
// operation permissions, suspension and reinstatement, a rejected
// application, a node admitted and retired, an asset type defined,
// modified and abolished.
func TestAllianceHTTP_MembersNodesAssetTypes_Devnet(t *testing.T) {
	f := newAllianceFixture(t)
	ctx := context.Background()
	// Admission: TaxMSP applies with a key created in the key service.
	f.queue("POST", "/api/v1/alliance/members", map[string]any{"id": "TaxMSP", "name": "税务局", "kind": "department", "department": "tax", "keyPassword": "tax-key-password"},
		"TaxMSP pending", func() bool { return f.memberStatus("TaxMSP") == model.StatusPending })
	var m api.AllianceMember
	f.ok(200, f.supervisor, "GET", "/api/v1/alliance/members/TaxMSP", nil, &m)
	key, err := f.p.Keys.ActiveKey(ctx, keysOwner("TaxMSP"))
	if err != nil {
		t.Fatal(err)
	}
	if m.PublicKey != key.PublicKeyPEM || m.Kind != "department" || m.Name != "税务局" {
		t.Fatalf("applied member %+v, custody key %s", m, key.PublicKeyPEM)
	}
	// Review: approved with the node permission.
	f.queue("POST", "/api/v1/alliance/members/TaxMSP/review", map[string]any{"approve": true, "permissions": []string{"node"}, "note": "税务部门入链"},
		"TaxMSP active", func() bool { return f.memberStatus("TaxMSP") == model.StatusActive })
	f.ok(200, f.sys, "GET", "/api/v1/alliance/members/TaxMSP", nil, &m)
	if m.Permissions == nil || len(*m.Permissions) != 1 || (*m.Permissions)[0] != "node" || m.ReviewedBy == nil || *m.ReviewedBy != "OperatorMSP" {
		t.Fatalf("reviewed member %+v", m)
	}
	// Operation permissions.
	f.queue("PUT", "/api/v1/alliance/members/TaxMSP/permissions", map[string]any{"permissions": []string{"node", "contract"}, "note": "可定义税务证照类型"},
		"TaxMSP permissions", func() bool {
			var n int
			_ = f.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_members WHERE id = 'TaxMSP' AND permissions @> '{node,contract}'`).Scan(&n)
			return n == 1
		})
	// A rejected application says why.
	f.queue("POST", "/api/v1/alliance/members", map[string]any{"id": "SealMSP", "name": "公安局", "kind": "department", "department": "seal", "keyPassword": "seal-key-password"},
		"SealMSP pending", func() bool { return f.memberStatus("SealMSP") == model.StatusPending })
	f.queue("POST", "/api/v1/alliance/members/SealMSP/review", map[string]any{"approve": false, "note": "材料不全"},
		"SealMSP rejected", func() bool { return f.memberStatus("SealMSP") == model.StatusRejected })
	// Nodes: a transaction node of TaxMSP admitted, then retired.
	digest := strings.Repeat("ab", 32)
	var admitted api.AdmitAllianceNode202JSONResponse
	f.ok(202, f.sys, "POST", "/api/v1/alliance/nodes", map[string]any{"member": "TaxMSP", "name": "peer0", "kind": "transaction", "endpoint": "peer0.tax.example:7051", "tlsCertDigest": digest}, &admitted)
	f.written(api.AllianceQueuedWrite{OutboxKey: admitted.OutboxKey})
	nodeStatus := func() string {
		var s string
		_ = f.pool.QueryRow(ctx, `SELECT status FROM ledger_nodes WHERE id = $1`, admitted.NodeId).Scan(&s)
		return s
	}
	f.eventually("node active", func() bool { return nodeStatus() == model.StatusActive })
	var nodes struct{ Items []api.AllianceNode }
	f.ok(200, f.sys, "GET", "/api/v1/alliance/nodes", nil, &nodes)
	if len(nodes.Items) != 1 || nodes.Items[0].Id != admitted.NodeId || nodes.Items[0].Kind != "transaction" || nodes.Items[0].TlsCertDigest != digest {
		t.Fatalf("nodes %+v", nodes.Items)
	}
	f.queue("POST", "/api/v1/alliance/nodes/"+admitted.NodeId+"/retirement", map[string]any{"note": "设备更换"},
		"node retired", func() bool { return nodeStatus() == "retired" })
	// Asset types: defined with TaxMSP as issuer, modified, abolished.
	typeStatus := func(code string) (status, name string) {
		_ = f.pool.QueryRow(ctx, `SELECT status, record->>'name' FROM ledger_asset_types WHERE code = $1`, code).Scan(&status, &name)
		return
	}
	def := map[string]any{"name": "税务登记", "schema": `{"type":"object"}`, "issuers": []string{"TaxMSP"}}
	f.queue("PUT", "/api/v1/alliance/asset-types/tax-registration", def, "type defined", func() bool { s, _ := typeStatus("tax-registration"); return s == model.StatusActive })
	def["name"] = "税务登记信息"
	f.queue("PUT", "/api/v1/alliance/asset-types/tax-registration", def, "type modified", func() bool { _, n := typeStatus("tax-registration"); return n == "税务登记信息" })
	f.queue("POST", "/api/v1/alliance/asset-types/tax-registration/abolition", map[string]any{"note": "并入新版证照"},
		"type abolished", func() bool { s, _ := typeStatus("tax-registration"); return s == "abolished" })
	var types struct{ Items []api.AllianceAssetType }
	f.ok(200, f.sys, "GET", "/api/v1/alliance/asset-types", nil, &types)
	if len(types.Items) != 2 { // the fixture's business-licence and ours
		t.Fatalf("asset types %+v", types.Items)
	}
	// Suspension and reinstatement.
	f.queue("POST", "/api/v1/alliance/members/TaxMSP/suspension", map[string]any{"note": "安全检查"},
		"TaxMSP suspended", func() bool { return f.memberStatus("TaxMSP") == model.StatusSuspended })
	f.queue("DELETE", "/api/v1/alliance/members/TaxMSP/suspension", map[string]any{"note": "检查通过"},
		"TaxMSP reinstated", func() bool { return f.memberStatus("TaxMSP") == model.StatusActive })
	var members struct{ Items []api.AllianceMember }
	f.ok(200, f.supervisor, "GET", "/api/v1/alliance/members", nil, &members)
	got := map[string]string{}
	for _, m := range members.Items {
		got[m.Id] = m.Status
	}
	if fmt.Sprint(got) != "map[MarketMSP:active OperatorMSP:active SealMSP:rejected TaxMSP:active]" {
		t.Fatalf("members %v", got)
	}
}

// TestAllianceHTTP_BadInputAndRBACChangeNothing_Devnet sends every kind of
// bad request and refused caller; none changes the chain's writes, the key
// service or the registry.
func TestAllianceHTTP_BadInputAndRBACChangeNothing_Devnet(t *testing.T) {
	f := newAllianceFixture(t)
	before := f.snapshot()
	digest := strings.Repeat("cd", 32)
	cases := []struct {
		token, method, path string
		body                any
		status              int
	}{
		// Unauthenticated, and roles without the permission.
		{"", "GET", "/api/v1/alliance/members", nil, 401},
		{f.plain, "GET", "/api/v1/alliance/members", nil, 403},
		{f.plain, "POST", "/api/v1/alliance/members", map[string]any{"id": "TaxMSP", "name": "税务局", "kind": "department", "department": "tax", "keyPassword": "tax-key-password"}, 403},
		{f.supervisor, "POST", "/api/v1/alliance/members/MarketMSP/suspension", map[string]any{"note": "x"}, 403},
		{f.supervisor, "GET", "/api/v1/alliance/ops/configuration", nil, 403},
		{f.plain, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "asset", "version": "1.1", "name": "n", "purpose": "p", "assetTypes": []string{}, "packageDigest": digest}, 403},
		// Applications.
		{f.sys, "POST", "/api/v1/alliance/members", map[string]any{"id": "TaxMSP", "name": "税务局", "kind": "department", "department": "tax", "keyPassword": "short"}, 400},
		{f.sys, "POST", "/api/v1/alliance/members", map[string]any{"id": "TaxMSP", "name": "税务局", "kind": "alien", "keyPassword": "tax-key-password"}, 400},
		{f.sys, "POST", "/api/v1/alliance/members", map[string]any{"id": "TaxMSP", "name": "税务局", "kind": "department", "keyPassword": "tax-key-password"}, 400},
		{f.sys, "POST", "/api/v1/alliance/members", map[string]any{"id": "NowhereMSP", "name": "无此机构", "kind": "institution", "keyPassword": "nowhere-password"}, 400},
		{f.sys, "POST", "/api/v1/alliance/members", map[string]any{"id": "bad id!", "name": "x", "kind": "institution", "keyPassword": "nowhere-password"}, 400},
		{f.sys, "POST", "/api/v1/alliance/members", map[string]any{"id": "MarketMSP", "name": "市场监管局", "kind": "department", "department": "market", "keyPassword": "market-key-password"}, 409},
		// Reviews, permissions, suspension.
		{f.sys, "POST", "/api/v1/alliance/members/MarketMSP/review", map[string]any{"approve": true}, 409},
		{f.sys, "POST", "/api/v1/alliance/members/GhostMSP/review", map[string]any{"approve": true}, 404},
		{f.sys, "POST", "/api/v1/alliance/members/MarketMSP/review", map[string]any{"approve": false, "permissions": []string{"node"}, "note": "x"}, 400},
		{f.sys, "PUT", "/api/v1/alliance/members/MarketMSP/permissions", map[string]any{"permissions": []string{"root"}, "note": "x"}, 400},
		{f.sys, "PUT", "/api/v1/alliance/members/MarketMSP/permissions", map[string]any{"permissions": []string{"node"}}, 400},
		{f.sys, "POST", "/api/v1/alliance/members/MarketMSP/suspension", map[string]any{"note": ""}, 400},
		{f.sys, "POST", "/api/v1/alliance/members/OperatorMSP/suspension", map[string]any{"note": "自我停用"}, 409},
		{f.sys, "DELETE", "/api/v1/alliance/members/MarketMSP/suspension", map[string]any{"note": "不在停用中"}, 409},
		// Nodes.
		{f.sys, "POST", "/api/v1/alliance/nodes", map[string]any{"member": "MarketMSP", "name": "peer0", "kind": "miner", "endpoint": "x:1", "tlsCertDigest": digest}, 400},
		{f.sys, "POST", "/api/v1/alliance/nodes", map[string]any{"member": "MarketMSP", "name": "peer0", "kind": "transaction", "endpoint": "x:1", "tlsCertDigest": "00"}, 400},
		{f.sys, "POST", "/api/v1/alliance/nodes", map[string]any{"member": "GhostMSP", "name": "peer0", "kind": "transaction", "endpoint": "x:1", "tlsCertDigest": digest}, 404},
		{f.sys, "POST", "/api/v1/alliance/nodes/" + strings.Repeat("0", 32) + "/retirement", map[string]any{"note": "x"}, 404},
		{f.sys, "POST", "/api/v1/alliance/nodes/not-hex/retirement", map[string]any{"note": "x"}, 400},
		// Asset types.
		{f.sys, "PUT", "/api/v1/alliance/asset-types/t1", map[string]any{"name": "x", "schema": "[1]", "issuers": []string{"MarketMSP"}}, 400},
		{f.sys, "PUT", "/api/v1/alliance/asset-types/t1", map[string]any{"name": "x", "schema": `{"type":"object"}`, "issuers": []string{"GhostMSP"}}, 400},
		{f.sys, "PUT", "/api/v1/alliance/asset-types/t1", map[string]any{"name": "x", "schema": `{"type":"object"}`, "issuers": []string{}}, 400},
		{f.sys, "PUT", "/api/v1/alliance/asset-types/t1", map[string]any{"name": "x", "schema": `{"type":"object"}`, "issuers": []string{"MarketMSP"}, "selfUpload": true}, 400},
		{f.sys, "POST", "/api/v1/alliance/asset-types/ghost/abolition", map[string]any{"note": "x"}, 404},
		// Contracts.
		{f.sys, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "Asset!", "version": "1.1", "name": "n", "purpose": "p", "assetTypes": []string{}, "packageDigest": digest}, 400},
		{f.sys, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "asset", "version": "1.1", "name": "n", "purpose": "p", "assetTypes": []string{"ghost-type"}, "packageDigest": digest}, 400},
		{f.sys, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "asset", "version": "1.1", "name": " ", "purpose": "p", "assetTypes": []string{}, "packageDigest": digest}, 400},
		{f.sys, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "asset", "version": "1.1", "name": "n", "purpose": "p", "assetTypes": []string{}, "packageDigest": "xyz"}, 400},
		{f.sys, "POST", "/api/v1/alliance/contracts/99/review", map[string]any{"approve": true}, 404},
		{f.sys, "POST", "/api/v1/alliance/contracts/0/review", map[string]any{"approve": true}, 400},
		{f.sys, "POST", "/api/v1/alliance/contracts/99/deployment", map[string]any{"stage": "staging"}, 400},
	}
	for _, c := range cases {
		rec := f.call(c.token, c.method, c.path, c.body)
		if rec.Code != c.status {
			t.Errorf("%s %s %v: %d, want %d: %s", c.method, c.path, c.body, rec.Code, c.status, rec.Body)
			continue
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Errorf("%s %s: content type %q", c.method, c.path, ct)
		}
	}
	if after := f.snapshot(); after != before {
		t.Fatalf("bad requests changed state:\n%s\n%s", before, after)
	}
}

// TestAllianceHTTP_ContractLifecycleAndOps_Devnet takes a contract through
// the registry (7.4.3 e, 7.6.5): submitted, refused a review by its own
// submitter, approved by another administrator, refused production before
// the test channel, tested, put in production, superseded by the next
// version, abolished; and reads the masked configuration and the versions
// (7.4.2 g).
func TestAllianceHTTP_ContractLifecycleAndOps_Devnet(t *testing.T) {
	f := newAllianceFixture(t)
	submit := func(version string) api.AllianceContract {
		var c api.AllianceContract
		f.ok(201, f.sys, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "asset", "version": version, "name": "数字资产合约",
			"purpose": "证照的发放、授权与废止", "assetTypes": []string{"business-licence"}, "packageDigest": strings.Repeat("ef", 32)}, &c)
		return c
	}
	v1 := submit("1.1")
	if v1.Status != "submitted" || v1.SubmittedBy == "" || len(v1.History) != 1 {
		t.Fatalf("submitted %+v", v1)
	}
	path := fmt.Sprintf("/api/v1/alliance/contracts/%d", v1.Id)
	f.ok(409, f.sys, "POST", "/api/v1/alliance/contracts", map[string]any{"chaincode": "asset", "version": "1.1", "name": "重复", "purpose": "p", "assetTypes": []string{}, "packageDigest": strings.Repeat("ef", 32)}, nil)
	// Separation of duties: the submitter may not review its own contract.
	f.ok(403, f.sys, "POST", path+"/review", map[string]any{"approve": true}, nil)
	f.ok(409, f.sys, "POST", path+"/deployment", map[string]any{"stage": "test"}, nil)
	f.ok(400, f.sys2, "POST", path+"/review", map[string]any{"approve": false}, nil) // a rejection without a reason
	var c api.AllianceContract
	f.ok(200, f.sys2, "POST", path+"/review", map[string]any{"approve": true, "note": "业务定义清楚"}, &c)
	if c.Status != "approved" || c.ReviewedBy == nil || *c.ReviewedBy == c.SubmittedBy {
		t.Fatalf("reviewed %+v", c)
	}
	f.ok(409, f.sys2, "POST", path+"/review", map[string]any{"approve": true}, nil)
	f.ok(409, f.sys, "POST", path+"/deployment", map[string]any{"stage": "production"}, nil)
	f.ok(200, f.sys, "POST", path+"/deployment", map[string]any{"stage": "test", "note": "测试通道"}, &c)
	if c.Status != "testing" {
		t.Fatalf("tested %+v", c)
	}
	f.ok(200, f.sys, "POST", path+"/deployment", map[string]any{"stage": "production"}, &c)
	if c.Status != "production" {
		t.Fatalf("promoted %+v", c)
	}
	// The next version supersedes it in production.
	v2 := submit("1.2")
	p2 := fmt.Sprintf("/api/v1/alliance/contracts/%d", v2.Id)
	f.ok(200, f.sys2, "POST", p2+"/review", map[string]any{"approve": true}, nil)
	f.ok(200, f.sys, "POST", p2+"/deployment", map[string]any{"stage": "test"}, nil)
	f.ok(200, f.sys, "POST", p2+"/deployment", map[string]any{"stage": "production"}, nil)
	f.ok(200, f.supervisor, "GET", path, nil, &c)
	if c.Status != "superseded" || len(c.History) != 5 {
		t.Fatalf("v1 after v2 went to production: %+v", c)
	}
	// Abolish, with a reason; twice is a state conflict.
	f.ok(400, f.sys, "POST", p2+"/abolition", map[string]any{"note": ""}, nil)
	f.ok(200, f.sys, "POST", p2+"/abolition", map[string]any{"note": "业务停办"}, &c)
	if c.Status != "abolished" {
		t.Fatalf("abolished %+v", c)
	}
	f.ok(409, f.sys, "POST", p2+"/abolition", map[string]any{"note": "再次"}, nil)
	var list struct{ Items []api.AllianceContract }
	f.ok(200, f.sys, "GET", "/api/v1/alliance/contracts", nil, &list)
	if len(list.Items) != 2 || list.Items[0].Version != "1.2" {
		t.Fatalf("registry %+v", list.Items)
	}
	// Operations: configuration masked, versions including PostgreSQL's.
	rec := f.call(f.sys, "GET", "/api/v1/alliance/ops/configuration", nil)
	if rec.Code != 200 || rec.Body.String() != `{"http":{"listen":":8080"},"database":{"url":"***"}}` {
		t.Fatalf("configuration %d %s", rec.Code, rec.Body)
	}
	var versions struct{ Items []api.AllianceComponent }
	f.ok(200, f.sys, "GET", "/api/v1/alliance/ops/versions", nil, &versions)
	names := []string{}
	for _, v := range versions.Items {
		names = append(names, v.Name)
		if v.Name == "PostgreSQL" && v.Version == "" {
			t.Fatalf("no PostgreSQL version: %+v", v)
		}
	}
	if strings.Join(names, ",") != "kaiban,PostgreSQL" {
		t.Fatalf("components %v", names)
	}
}

func keysOwner(msp string) keys.Owner { return keys.Owner{Kind: keys.KindDepartment, ID: msp} }
