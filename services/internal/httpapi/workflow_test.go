package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

// The registry, task and acceptance operations over the real services on
// PostgreSQL and a devnet: the operator and the seven departments on chain
// (department keys in the key service), an active applicant, the outbox
// worked by River and the projection running; people with sessions and
// department systems with signed API keys.

const wfDeptPassword = "department-key-password"

var wfDepartments = map[string]string{
	model.DeptMarket: "MarketMSP", model.DeptSeal: "SealMSP", model.DeptSocial: "SocialMSP", model.DeptMedical: "MedicalMSP",
	model.DeptHousingFund: "HousingFundMSP", model.DeptBank: "BankMSP", model.DeptTax: "TaxMSP",
}

type wfFixture struct {
	*idFixture
	keys      *keys.Service
	ob        *outbox.Outbox
	applicant string
	sys, sec  string // administrators' tokens
	clerk     string // a window clerk's token
}

func newWorkflowFixture(t *testing.T) *wfFixture {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	names, err := pii.New(1, key32(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := audit.New(pool, key32(2))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	id, err := identity.New(pool, names, identity.Config{SecretKey: key32(3), PasswordIterations: 1000}, identity.WithRecorder(lg))
	if err != nil {
		t.Fatal(err)
	}
	f := &wfFixture{idFixture: &idFixture{t: t, id: id, log: lg, pool: pool}}
	if f.keys, err = keys.New(pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}}); err != nil {
		t.Fatal(err)
	}
	net := chaintest.Start(t, chaintest.Options{})
	c := net.Connect(t)
	f.found(c)
	if f.ob, err = outbox.New(pool, c, outbox.Config{Key: []byte("0123456789abcdef"), RetryBase: 50 * time.Millisecond, LaneWait: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	f.ob.Register(workers)
	rc, err := jobs.NewClient(pool, workers, jobs.Config{Queues: map[string]int{outbox.Queue: 8}, FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rc.Stop(stop)
	})
	chainID, err := c.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopProjection := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		projection.New(pool, chainID, projection.WithRetryDelay(50*time.Millisecond)).Run(pctx)
	}()
	t.Cleanup(func() { stopProjection(); <-done })
	reg := registry.New(pool)
	acc, err := acceptance.New(acceptance.Config{Pool: pool, Registry: reg, Outbox: f.ob, PII: names, Clerk: chaintest.Operator + "/clerk", Keys: f.keys})
	if err != nil {
		t.Fatal(err)
	}
	f.s, _ = newServer(t, Options{Workflow: Workflow{Registry: reg, Acceptance: acc}, Security: SecurityOptions{Identity: id, Audit: lg}})
	f.sys, _ = f.admin("root", identity.RoleSystemAdmin)
	f.sec, _ = f.admin("security", identity.RoleSecurityAdmin)
	var uid string
	f.clerk, uid = f.user(f.sys, "clerk1", "operator")
	f.ok(204, f.sec, "PUT", "/api/v1/users/"+uid+"/roles/clerk", nil, nil)
	var session api.Session // a role change ends the user's sessions
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": "clerk1", "password": fixturePassword}, &session)
	f.clerk = session.Token
	f.waitFor("applicant projected", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_subjects WHERE id = $1 AND status = 'active'`, f.applicant).Scan(&n)
		return n == 1
	})
	return f
}

// found bootstraps the chain, admits the seven departments with keys in the
// key service and opens an active enterprise, the applicant.
func (f *wfFixture) found(c *chain.Client) {
	t := f.t
	ctx := context.Background()
	submit := func(ref, chaincode, function string, args ...string) *chain.Result {
		t.Helper()
		ct, err := c.Contract(ref, chaincode)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ct.Submit(ctx, function, chain.WithArguments(args...))
		if err != nil {
			t.Fatalf("%s.%s by %s: %v", chaincode, function, ref, err)
		}
		return res
	}
	opKey, opPub, err := chaintest.SM2Key()
	if err != nil {
		t.Fatal(err)
	}
	submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "Bootstrap", chaintest.Signed(opKey, "subject.Bootstrap",
		&model.MemberApplication{ID: chaintest.Operator, Name: "operator", Kind: model.MemberOperator, PublicKey: opPub})...)
	for code, msp := range wfDepartments {
		owner := keys.Owner{Kind: keys.KindDepartment, ID: msp}
		k, err := f.keys.Generate(ctx, owner, wfDeptPassword)
		if err != nil {
			t.Fatal(err)
		}
		canonical := chaintest.Canonical(&model.MemberApplication{ID: msp, Name: code, Kind: model.MemberDepartment, Department: code, PublicKey: k.PublicKeyPEM})
		sig, err := f.keys.Sign(ctx, owner, wfDeptPassword, model.SigningMessage("subject.ApplyMember", []byte(canonical)))
		if err != nil {
			t.Fatal(err)
		}
		submit(msp+"/Admin", model.ChaincodeSubject, "ApplyMember", canonical, keys.EncodeSignature(sig.Value))
		submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "ReviewMember", chaintest.Canonical(&model.MemberReview{Member: msp, Approve: true}))
	}
	firmKey, firmPub, err := chaintest.SM2Key()
	if err != nil {
		t.Fatal(err)
	}
	salt, _ := gm.NewSalt()
	res := submit(chaintest.Operator, model.ChaincodeSubject, "ApplySubject", chaintest.Signed(firmKey, "subject.ApplySubject", &model.SubjectApplication{
		Kind:        model.SubjectEnterprise,
		Commitments: map[string]string{model.CommitIdentity: gm.Commitment(salt, []byte("http firm")), model.CommitLegalRep: gm.Commitment(salt, []byte("http firm rep"))},
		PublicKey:   firmPub,
	})...)
	var firm model.Subject
	if err := res.Decode(&firm); err != nil {
		t.Fatal(err)
	}
	f.applicant = firm.ID
	submit(chaintest.Operator, model.ChaincodeSubject, "ReviewSubject", chaintest.Canonical(&model.SubjectReview{
		Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact},
	}))
}

// departmentSystem registers an API client of dept with the
// department-system role and returns a function sending signed requests.
func (f *wfFixture) departmentSystem(dept string) func(method, target string, body any) *httptest.ResponseRecorder {
	f.t.Helper()
	var c api.ApiClient
	f.ok(201, f.sys, "POST", "/api/v1/api-clients", map[string]any{"name": dept + " system", "department": dept, "vendor": "ISV", "purpose": "tasks"}, &c)
	f.ok(200, f.sec, "POST", "/api/v1/api-clients/"+c.Id.String()+"/review", map[string]any{"approve": true, "roles": []string{"department-system"}}, &c)
	var issued api.IssuedApiCredential
	f.ok(201, f.sys, "POST", "/api/v1/api-clients/"+c.Id.String()+"/credentials", map[string]any{"kind": "hmac-sm3"}, &issued)
	secret, _ := base64.StdEncoding.DecodeString(*issued.Secret)
	return func(method, target string, body any) *httptest.ResponseRecorder {
		f.t.Helper()
		var raw string
		if body != nil {
			if s, ok := body.(string); ok {
				raw = s
			} else {
				b, _ := json.Marshal(body)
				raw = string(b)
			}
		}
		req := httptest.NewRequest(method, target, strings.NewReader(raw))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if err := identity.SignRequest(req, []byte(raw), issued.Credential.Id, identity.HMACSigner(secret), time.Now()); err != nil {
			f.t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		f.s.Handler().ServeHTTP(rec, req)
		return rec
	}
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder, status int) T {
	t.Helper()
	var out T
	if rec.Code != status {
		t.Fatalf("status %d, want %d: %s", rec.Code, status, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%v: %s", err, rec.Body)
	}
	return out
}

func (f *wfFixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not after 20s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (f *wfFixture) written(key string) {
	f.t.Helper()
	f.waitFor("write "+key, func() bool {
		en, err := f.ob.Get(context.Background(), key)
		if err != nil && !errors.Is(err, outbox.ErrNotFound) {
			f.t.Fatal(err)
		}
		if en != nil && en.Status == outbox.StatusFailed {
			f.t.Fatalf("write %s failed: %s", key, en.LastError)
		}
		return en != nil && en.Status == outbox.StatusDone
	})
}

func checkedID(body string, check func(string) (byte, bool)) string {
	c, _ := check(body)
	return body + string(c)
}

func (f *wfFixture) form(services ...string) map[string]any {
	if services == nil {
		services = []string{}
	}
	id := checkedID("37010219900307451", acceptance.ResidentCheckChar)
	return map[string]any{
		"applicant": f.applicant, "name": "济南市明湖信息技术有限公司", "enterpriseType": "llc", "registeredCapital": "1000000.00",
		"address": map[string]any{"division": "370102", "detail": "历下区泉城路 1 号"}, "businessScope": "软件开发",
		"shareholders": []map[string]any{
			{"kind": "person", "name": "张三", "idNumber": id, "contribution": "600000"},
			{"kind": "enterprise", "name": "山东某投资有限公司", "idNumber": checkedID("91370102MA3C4T5R1", acceptance.USCCCheckChar), "contribution": "400000"},
		},
		"legalRepresentative": map[string]any{"name": "张三", "idNumber": id, "phone": "13800000000"},
		"services":            services,
	}
}

func TestWorkflowHTTP_RegistryAcceptanceTasks_Devnet(t *testing.T) {
	f := newWorkflowFixture(t)
	items := decode[api.ItemList](t, f.call(f.clerk, "GET", "/api/v1/items", nil), 200)
	if len(items.Items) != 1 || items.Items[0].Code != "establishment" || items.Items[0].CurrentVersion == nil || *items.Items[0].CurrentVersion != 1 {
		t.Fatalf("items %+v", items)
	}
	put := map[string]any{"name": "印章刻制", "kind": "public-service", "department": "seal", "legalBasis": "《印章治安管理办法》", "timeLimitDays": 1,
		"materials": []any{map[string]any{"code": "business-licence", "name": "营业执照", "required": true, "assetType": "business-licence", "departments": []string{"seal"}}}}
	sealItem := decode[api.Item](t, f.call(f.sys, "PUT", "/api/v1/items/seal-engraving", put), 200)
	if sealItem.Code != "seal-engraving" || sealItem.CurrentVersion != nil || len(sealItem.Materials) != 1 || sealItem.Materials[0].AssetType == nil {
		t.Fatalf("put item %+v", sealItem)
	}
	put["timeLimitDays"] = 2
	if again := decode[api.Item](t, f.call(f.sys, "PUT", "/api/v1/items/seal-engraving", put), 200); again.TimeLimitDays != 2 {
		t.Fatalf("updated item %+v", again)
	}
	if got := decode[api.Item](t, f.call(f.clerk, "GET", "/api/v1/items/seal-engraving", nil), 200); got.Name != "印章刻制" || got.TimeLimitDays != 2 {
		t.Fatalf("item %+v", got)
	}
	v1 := decode[api.ProcessDefinition](t, f.call(f.clerk, "GET", "/api/v1/items/establishment/definitions/1", nil), 200)
	if len(v1.Steps) != 7 || v1.Steps[0].Key != "licence" || len(v1.Digest) != 64 {
		t.Fatalf("v1 %+v", v1)
	}
	// A new version: the licence within two hours.
	steps := slices.Clone(v1.Steps)
	steps[0].LimitSeconds = 7200
	v2 := decode[api.ProcessDefinition](t, f.call(f.sys, "POST", "/api/v1/items/establishment/definitions", map[string]any{"steps": steps, "issuance": "unified"}), 201)
	if v2.Version != 2 || v2.Digest == v1.Digest {
		t.Fatalf("v2 %+v", v2)
	}
	problemOf(t, f.call(f.clerk, "POST", "/api/v1/items/establishment/definitions", map[string]any{"steps": steps}), 403, "denied")
	if again := decode[api.ProcessDefinition](t, f.call(f.clerk, "GET", "/api/v1/items/establishment/definitions/1", nil), 200); again.Digest != v1.Digest {
		t.Fatal("version 1 changed")
	}
	if vs := decode[api.DefinitionList](t, f.call(f.clerk, "GET", "/api/v1/items/establishment/definitions", nil), 200); len(vs.Items) != 2 {
		t.Fatalf("%d versions", len(vs.Items))
	}

	f.ok(204, f.sys, "PUT", "/api/v1/task-webhooks/market", map[string]any{"url": "https://market.example/kaiban/tasks"}, nil)
	var hook string
	_ = f.pool.QueryRow(context.Background(), `SELECT coalesce(webhook_url, '') FROM registry_departments WHERE code = 'market'`).Scan(&hook)
	if hook != "https://market.example/kaiban/tasks" {
		t.Fatalf("market webhook %q", hook)
	}
	f.ok(204, f.sys, "DELETE", "/api/v1/task-webhooks/market", nil, nil)
	app := decode[api.Application](t, f.call(f.clerk, "POST", "/api/v1/applications", f.form("seal", "tax")), 201)
	if app.Status != "accepted" || app.DefinitionVersion != 2 || len(app.Steps) != 3 || app.LegalRepresentative.IdNumber == f.form()["legalRepresentative"].(map[string]any)["idNumber"] {
		t.Fatalf("application %+v", app)
	}
	f.written(app.ProcessWrite)
	f.waitFor("process projected", func() bool {
		got := decode[api.Application](t, f.call(f.clerk, "GET", "/api/v1/applications/"+app.Id, nil), 200)
		return got.ProcessStatus != nil && *got.ProcessStatus == model.ProcessRunning
	})
	if list := decode[api.ApplicationList](t, f.call(f.clerk, "GET", "/api/v1/applications?limit=1", nil), 200); len(list.Items) != 1 || list.Items[0].Id != app.Id {
		t.Fatalf("applications %+v", list)
	}

	market, seal := f.departmentSystem("market"), f.departmentSystem("seal")
	tasks := decode[api.TaskList](t, market("GET", "/api/v1/tasks", nil), 200)
	if len(tasks.Items) != 1 || tasks.Items[0].Step != "licence" || !tasks.Items[0].Ready || tasks.Items[0].Member != "MarketMSP" || tasks.Items[0].Deadline == nil {
		t.Fatalf("market tasks %+v", tasks)
	}
	if st := decode[api.TaskList](t, seal("GET", "/api/v1/tasks?ready=true", nil), 200); len(st.Items) != 0 {
		t.Fatalf("seal has ready tasks before the licence: %+v", st)
	}
	task := decode[api.Task](t, market("GET", "/api/v1/tasks/"+app.Id+"/licence", nil), 200)
	if task.Inputs == nil || task.EnterpriseName == nil || *task.EnterpriseName != "济南市明湖信息技术有限公司" || task.LimitSeconds != 7200 {
		t.Fatalf("task %+v", task)
	}
	d := decode[api.TaskDecision](t, market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision",
		map[string]any{"approve": true, "opinion": "准予设立登记", "approver": "officer-7", "password": wfDeptPassword}), 202)
	f.written(d.Queued)
	f.waitFor("seal ready", func() bool {
		st := decode[api.TaskList](t, seal("GET", "/api/v1/tasks?ready=true", nil), 200)
		return len(st.Items) == 1 && st.Items[0].Step == "seal"
	})
	sealTask := decode[api.Task](t, seal("GET", "/api/v1/tasks/"+app.Id+"/seal", nil), 200)
	if sealTask.Information == nil {
		t.Fatal("no information pushed to the seal step")
	}
	info := *sealTask.Information
	basics, _ := info["enterprise-basics"].(map[string]any)
	acc, _ := info["accumulated"].(map[string]any)
	rep, _ := info["legal-representative"].(map[string]any)
	if basics["name"] != "济南市明湖信息技术有限公司" || acc == nil || rep == nil || rep["idNumber"] == f.form()["legalRepresentative"].(map[string]any)["idNumber"] {
		t.Fatalf("information pushed to the seal step %+v", info)
	}
	if _, ok := acc["licence"]; !ok {
		t.Fatalf("the licence's outputs are not accumulated: %+v", acc)
	}
	if done := decode[api.TaskList](t, market("GET", "/api/v1/tasks?status=approved", nil), 200); len(done.Items) != 1 || done.Items[0].Opinion == nil {
		t.Fatalf("market's approved tasks %+v", done)
	}
	// A person: a tax officer signed in sees the tax queue, and only it.
	officer, oid := f.user(f.sys, "officer1", "tax")
	f.ok(204, f.sec, "PUT", "/api/v1/users/"+oid+"/roles/officer", nil, nil)
	var session api.Session
	f.ok(201, "", "POST", "/api/v1/sessions", map[string]any{"login": "officer1", "password": fixturePassword}, &session)
	_ = officer
	if tax := decode[api.TaskList](t, f.call(session.Token, "GET", "/api/v1/tasks", nil), 200); len(tax.Items) != 1 || tax.Items[0].Step != "tax" || !tax.Items[0].Ready {
		t.Fatalf("tax officer's tasks %+v", tax)
	}
	problemOf(t, f.call(session.Token, "GET", "/api/v1/tasks?department=seal", nil), 403, "denied")
}

// wfSnapshot counts the rows the workflow operations write.
func (f *wfFixture) wfSnapshot() string {
	var a, b, c, d int
	if err := f.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM registry_items), (SELECT count(*) FROM registry_definitions),
		(SELECT count(*) FROM acceptance_applications), (SELECT count(*) FROM chain_outbox)
		+ (SELECT count(*) FROM registry_departments WHERE webhook_url IS NOT NULL)`).Scan(&a, &b, &c, &d); err != nil {
		f.t.Fatal(err)
	}
	return fmt.Sprint(a, b, c, d)
}

func TestWorkflowHTTP_BadInputChangesNothing_Devnet(t *testing.T) {
	f := newWorkflowFixture(t)
	app := decode[api.Application](t, f.call(f.clerk, "POST", "/api/v1/applications", f.form("seal")), 201)
	f.written(app.ProcessWrite)
	market, seal := f.departmentSystem("market"), f.departmentSystem("seal")
	f.waitFor("licence queued", func() bool {
		return len(decode[api.TaskList](t, market("GET", "/api/v1/tasks", nil), 200).Items) == 1
	})
	before := f.wfSnapshot()
	field := func(t *testing.T, rec *httptest.ResponseRecorder, status int, kind, name string) {
		t.Helper()
		p := problemOf(t, rec, status, kind)
		if name == "" {
			return
		}
		if p.Errors == nil || !slices.ContainsFunc(*p.Errors, func(e api.FieldError) bool { return e.Field == name }) {
			t.Fatalf("problem %+v does not name %s", p, name)
		}
	}
	steps := []map[string]any{{"key": "aa", "department": "market", "limitSeconds": 60, "dependsOn": []string{"bb"}}, {"key": "bb", "department": "market", "limitSeconds": 60, "dependsOn": []string{"aa"}}}
	badForm := f.form("seal")
	badForm["legalRepresentative"].(map[string]any)["idNumber"] = "370102199003074510"
	badName := f.form()
	badName["name"] = "明湖信息技术有限公司"
	noLocker := f.form()
	noLocker["applicant"] = strings.Repeat("0", 32)
	unknownService := f.form("spa")
	tests := []struct {
		name      string
		rec       func() *httptest.ResponseRecorder
		status    int
		kind, fld string
	}{
		{"items unauthenticated", func() *httptest.ResponseRecorder { return f.call("", "GET", "/api/v1/items", nil) }, 401, "unauthenticated", ""},
		{"item bad code", func() *httptest.ResponseRecorder { return f.call(f.clerk, "GET", "/api/v1/items/BAD!", nil) }, 400, "invalid", ""},
		{"item unknown", func() *httptest.ResponseRecorder { return f.call(f.clerk, "GET", "/api/v1/items/nope", nil) }, 404, "not-found", ""},
		{"put item by clerk", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "PUT", "/api/v1/items/x-item", map[string]any{"name": "x", "kind": "other", "department": "market", "legalBasis": "b", "timeLimitDays": 1, "materials": []any{}})
		}, 403, "denied", ""},
		{"put item bad kind", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "PUT", "/api/v1/items/x-item", map[string]any{"name": "x", "kind": "magic", "department": "market", "legalBasis": "b", "timeLimitDays": 1, "materials": []any{}})
		}, 400, "invalid", "/kind"},
		{"put item duplicate material", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "PUT", "/api/v1/items/x-item", map[string]any{"name": "x", "kind": "other", "department": "market", "legalBasis": "b", "timeLimitDays": 1,
				"materials": []any{map[string]any{"code": "m1", "name": "m", "required": true}, map[string]any{"code": "m1", "name": "m", "required": true}}})
		}, 400, "invalid", "/materials/1/code"},
		{"definition cycle", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "POST", "/api/v1/items/establishment/definitions", map[string]any{"steps": steps})
		}, 400, "invalid", "/steps"},
		{"definition unknown department", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "POST", "/api/v1/items/establishment/definitions", map[string]any{"steps": []map[string]any{{"key": "aa", "department": "police", "limitSeconds": 60}}})
		}, 400, "invalid", "/steps/0/department"},
		{"definition no steps", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "POST", "/api/v1/items/establishment/definitions", map[string]any{"steps": []any{}})
		}, 400, "invalid", ""},
		{"definition unknown item", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "POST", "/api/v1/items/nope/definitions", map[string]any{"steps": []map[string]any{{"key": "aa", "department": "market", "limitSeconds": 60}}})
		}, 404, "not-found", ""},
		{"definition version 0", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "GET", "/api/v1/items/establishment/definitions/0", nil)
		}, 400, "invalid", ""},
		{"definition version unknown", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "GET", "/api/v1/items/establishment/definitions/99", nil)
		}, 404, "not-found", ""},
		{"webhook not a URL", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "PUT", "/api/v1/task-webhooks/market", map[string]any{"url": "ftp://x"})
		}, 400, "invalid", ""},
		{"webhook unknown department", func() *httptest.ResponseRecorder {
			return f.call(f.sys, "PUT", "/api/v1/task-webhooks/police", map[string]any{"url": "https://x.example"})
		}, 404, "not-found", ""},
		{"webhook by a department system", func() *httptest.ResponseRecorder {
			return market("PUT", "/api/v1/task-webhooks/market", map[string]any{"url": "https://x.example"})
		}, 401, "unauthenticated", ""},
		{"webhook delete by the clerk", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "DELETE", "/api/v1/task-webhooks/market", nil)
		}, 403, "denied", ""},
		{"tasks of another department", func() *httptest.ResponseRecorder { return market("GET", "/api/v1/tasks?department=seal", nil) }, 403, "denied", ""},
		{"tasks bad status", func() *httptest.ResponseRecorder { return market("GET", "/api/v1/tasks?status=done", nil) }, 400, "invalid", ""},
		{"tasks bad limit", func() *httptest.ResponseRecorder { return market("GET", "/api/v1/tasks?limit=0", nil) }, 400, "invalid", ""},
		{"tasks bad cursor", func() *httptest.ResponseRecorder { return market("GET", "/api/v1/tasks?cursor=nope", nil) }, 400, "invalid", "cursor"},
		{"tasks by the clerk", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "GET", "/api/v1/tasks?department=market", nil)
		}, 403, "denied", ""},
		{"task unknown", func() *httptest.ResponseRecorder { return market("GET", "/api/v1/tasks/"+app.Id+"/nope", nil) }, 404, "not-found", ""},
		{"task of another department", func() *httptest.ResponseRecorder { return seal("GET", "/api/v1/tasks/"+app.Id+"/licence", nil) }, 403, "denied", ""},
		{"decision without opinion", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "approver": "p", "password": wfDeptPassword})
		}, 400, "invalid", ""},
		{"decision with password and signature", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "password": wfDeptPassword, "signature": "AAAA"})
		}, 400, "invalid", "/password"},
		{"decision bad output", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "password": wfDeptPassword, "outputs": []string{"licence-1"}})
		}, 400, "invalid", "/outputs/0"},
		{"decision wrong password", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "password": "wrong-password"})
		}, 403, "denied", ""},
		{"decision bad signature", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "signature": base64.StdEncoding.EncodeToString([]byte("forged"))})
		}, 422, "signature", ""},
		{"decision not ready", func() *httptest.ResponseRecorder {
			return seal("POST", "/api/v1/tasks/"+app.Id+"/seal/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "password": wfDeptPassword})
		}, 409, "state", ""},
		{"decision unknown field", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "password": wfDeptPassword, "extra": 1})
		}, 400, "invalid", ""},
		{"decision by the clerk", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "POST", "/api/v1/tasks/"+app.Id+"/licence/decision", map[string]any{"approve": true, "opinion": "ok", "approver": "p", "password": wfDeptPassword})
		}, 403, "denied", ""},
		{"material without reason", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/materials/abc", map[string]any{"password": wfDeptPassword})
		}, 400, "invalid", ""},
		{"material unknown", func() *httptest.ResponseRecorder {
			return market("POST", "/api/v1/tasks/"+app.Id+"/licence/materials/abc", map[string]any{"password": wfDeptPassword, "reason": "review"})
		}, 404, "not-found", ""},
		{"application bad ID number", func() *httptest.ResponseRecorder { return f.call(f.clerk, "POST", "/api/v1/applications", badForm) }, 400, "invalid", "/legalRepresentative/idNumber"},
		{"application bad name", func() *httptest.ResponseRecorder { return f.call(f.clerk, "POST", "/api/v1/applications", badName) }, 400, "invalid", "/name"},
		{"application unknown service", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "POST", "/api/v1/applications", unknownService)
		}, 400, "invalid", "/services/0"},
		{"application without locker", func() *httptest.ResponseRecorder { return f.call(f.clerk, "POST", "/api/v1/applications", noLocker) }, 409, "state", ""},
		{"application missing fields", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "POST", "/api/v1/applications", map[string]any{"applicant": f.applicant})
		}, 400, "invalid", ""},
		{"application by a department system", func() *httptest.ResponseRecorder { return market("POST", "/api/v1/applications", f.form()) }, 401, "unauthenticated", ""},
		{"application bad id", func() *httptest.ResponseRecorder { return f.call(f.clerk, "GET", "/api/v1/applications/bad!id", nil) }, 400, "invalid", ""},
		{"application unknown", func() *httptest.ResponseRecorder { return f.call(f.clerk, "GET", "/api/v1/applications/nope", nil) }, 404, "not-found", ""},
		{"applications bad cursor", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "GET", "/api/v1/applications?cursor=nope", nil)
		}, 400, "invalid", "cursor"},
		{"applications bad limit", func() *httptest.ResponseRecorder {
			return f.call(f.clerk, "GET", "/api/v1/applications?limit=500", nil)
		}, 400, "invalid", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			field(t, tc.rec(), tc.status, tc.kind, tc.fld)
		})
	}
	if after := f.wfSnapshot(); after != before {
		t.Fatalf("refused requests changed rows: %s → %s", before, after)
	}
}

func TestWorkflowHTTP_WithoutServicesIs503(t *testing.T) {
	f := newIDFixture(t)
	sys, _ := f.admin("root", identity.RoleSystemAdmin)
	problemOf(t, f.call(sys, "GET", "/api/v1/items", nil), 503, "unavailable")
	problemOf(t, f.call(sys, "GET", "/api/v1/items/establishment/definitions/1", nil), 503, "unavailable")
}
