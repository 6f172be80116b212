package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/establish"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// The establishment end to end (issue 5), over REST only, on an in-process
// `kaiban dev` — the real command's code path, on free ports, with its own
// data folder and a fresh database: the embedded devnet, the seven simulated
// department systems on the SDK, the worker's jobs and the projection. The
// people are kaiban dev's demo accounts (KAIBAN_DEMO=accounts: the accounts
// without the demo establishment). The database is read only to check that
// refused requests changed nothing.

// devE2E is a running kaiban dev and what a test reaches it with.
type devE2E struct {
	t      *testing.T
	base   string
	pool   *pgxpool.Pool
	p      *platform // its master key only: department key passwords derive from it
	errs   *syncBuffer
	window *establish.Window
	anon   *establish.Client
}

// startDevE2E starts kaiban dev with vars added to its environment (the
// simulators approve at once unless vars say otherwise).
func startDevE2E(t *testing.T, vars map[string]string) *devE2E {
	t.Helper()
	pool := pgtest.NewEmpty(t)
	dir := t.TempDir()
	env := map[string]string{
		"DATABASE_URL":             pgtest.URL(t, pool),
		"KAIBAN_DEMO":              "accounts",
		"KAIBAN_DEPARTMENTS_DELAY": "0s",
		"KAIBAN_DEPARTMENTS_POLL":  "200ms",
	}
	for k, v := range vars {
		env[k] = v
	}
	args := []string{"dev",
		"--http-listen", "127.0.0.1:0",
		"--chain-devnet-dir", filepath.Join(dir, "devnet"),
		"--chain-devnet-listen", "127.0.0.1:0", "--chain-devnet-ops", "127.0.0.1:0",
		"--objects-dir", filepath.Join(dir, "objects"),
		"--secrets-master-key-file", filepath.Join(dir, "master.key"),
		// No audit anchor during the test: its blocks would blur the
		// "nothing changed on chain" checks.
		"--audit-anchor-every", "24h",
		"--log-level", "warn",
	}
	base, errs := started(t, args, env, "API")
	key, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	p := &platform{}
	if p.master, err = hex.DecodeString(strings.TrimSpace(string(key))); err != nil {
		t.Fatal(err)
	}
	d := &devE2E{t: t, base: base, pool: pool, p: p, errs: errs, anon: establish.Anonymous(base, nil)}
	d.window = &establish.Window{Clerk: d.login("demo-clerk"), Reviewer: d.login("demo-reviewer"), Supervisor: d.login("demo-supervisor"), Every: 100 * time.Millisecond}
	return d
}

func (d *devE2E) login(who string) *establish.Client {
	d.t.Helper()
	c, err := establish.Login(context.Background(), d.base, nil, who, DemoPassword)
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// ctx is a context ending after within, so that no wait is unbounded.
func (d *devE2E) ctx(within time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	d.t.Cleanup(cancel)
	return ctx
}

func (d *devE2E) must(err error) {
	d.t.Helper()
	if err != nil {
		d.t.Fatalf("%v\n--- kaiban dev log (tail) ---\n%s", err, tail(d.errs.String(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// openLocker opens and approves the test company's locker.
func (d *devE2E) openLocker(name string) string {
	d.t.Helper()
	id, err := d.window.OpenLocker(d.ctx(2*time.Minute), establish.Enterprise{Name: name, Address: "济南市历下区泉城路 1 号",
		LegalRepName: "张三", LegalRepIDNumber: establish.LegalRepID, UnlockPassword: firmPassword})
	d.must(err)
	return id
}

const firmPassword = "Firm-unlock-password-1"

// snapshot is the state a refused request must not change: the domain
// tables of every endpoint the scenario touches, the outbox and the chain.
func (d *devE2E) snapshot() string {
	d.t.Helper()
	var s string
	if err := d.pool.QueryRow(context.Background(), `SELECT concat_ws(',',
		(SELECT count(*) FROM locker_lockers), (SELECT count(*) FROM locker_issues), (SELECT count(*) FROM locker_auth_codes),
		(SELECT count(*) FROM acceptance_applications), (SELECT count(*) FROM issuance_documents),
		(SELECT count(*) FROM supervision_interventions), (SELECT count(*) FROM keys),
		(SELECT count(*) FROM identity_users), (SELECT count(*) FROM identity_sessions),
		(SELECT count(*) FROM chain_outbox), (SELECT max(block_number) FROM ledger_events))`).Scan(&s); err != nil {
		d.t.Fatal(err)
	}
	return s
}

// quiet waits until the platform has stopped writing: the same snapshot
// over a second, and no chain write waiting in the outbox.
func (d *devE2E) quiet() string {
	d.t.Helper()
	var last string
	err := establish.Poll(d.ctx(2*time.Minute), time.Second, "platform quiet", func() (bool, error) {
		var pending int
		if err := d.pool.QueryRow(context.Background(), `SELECT count(*) FROM chain_outbox WHERE status NOT IN ('done', 'failed')`).Scan(&pending); err != nil {
			return false, err
		}
		s := d.snapshot()
		same := s == last && pending == 0
		last = s
		return same, nil
	})
	d.must(err)
	return last
}

// TestDev_EstablishmentEndToEnd_LockerToBundleToBank is the whole scenario of
// issue 5: a locker opened and approved (A.5), one establishment form
// accepted at the window (7.6.1), the seven simulated departments taking
// their tasks over the SDK (licence first, then the six in parallel), the
// bundle issued into the company's locker (7.6.7) with every document
// verifying through the public endpoints, the licence granted to the bank,
// the bank reading it with a reason recorded on chain (7.6.2 b), and the
// supervisor's timeline of the whole process (7.6.6). Then bad input at
// every endpoint the scenario touched: a clear 4xx problem and nothing
// changed.
func TestDev_EstablishmentEndToEnd_LockerToBundleToBank(t *testing.T) {
	d := startDevE2E(t, nil)
	ctx := d.ctx(6 * time.Minute)
	w := d.window
	applicant, bank := d.login("demo-applicant"), d.login("demo-bank")

	firm := d.openLocker("济南市明湖信息技术有限公司")
	// The applicant reads only the lockers it holds: refused, then bound by
	// proving the unlock password.
	d.must(applicant.Call(ctx, "GET", "/api/v1/lockers/"+firm+"/assets", nil, 403, nil))
	d.must(applicant.Call(ctx, "POST", "/api/v1/lockers/"+firm+"/holders", map[string]any{"password": firmPassword}, 201, nil))
	start := time.Now()
	app, err := w.Apply(ctx, establish.Form(firm, establish.AllServices...))
	d.must(err)
	if app.Status != "accepted" || len(app.Steps) != 7 || app.Applicant != firm || app.LegalRepresentative.IdNumber == establish.LegalRepID {
		t.Fatalf("accepted application %+v", app)
	}
	tl, err := w.WaitBundle(ctx, app.Id)
	d.must(err)
	t.Logf("application → bundle seen in %v", time.Since(start).Round(time.Millisecond))
	if tl.Process["status"] != model.ProcessCompleted {
		t.Fatalf("process after its bundle %+v", tl.Process)
	}

	// Supervision: the whole timeline, licence first, then the six.
	if len(tl.Steps) != 7 || tl.Overdue != 0 {
		t.Fatalf("timeline steps %+v", tl.Steps)
	}
	var licenceDecided time.Time
	for _, s := range tl.Steps {
		if s.Status != "approved" || s.DecidedAt == nil || s.ReadyAt == nil || s.DecisionTx == nil || *s.DecisionTx == "" ||
			s.Approver == nil || s.DurationSeconds == nil || s.Deadline == nil || s.Late {
			t.Fatalf("step %s not fully recorded: %+v", s.Key, s)
		}
		if s.Key == "licence" {
			licenceDecided = *s.DecidedAt
		}
	}
	for _, s := range tl.Steps {
		if s.Key != "licence" && (s.ReadyAt.Before(licenceDecided) || !slices.Equal(s.DependsOn, []string{"licence"})) {
			t.Fatalf("step %s ready at %v before the licence was decided at %v (dependsOn %v)", s.Key, s.ReadyAt, licenceDecided, s.DependsOn)
		}
	}
	items, _ := (*tl.Bundle)["items"].([]any)
	if len(items) != 7 {
		t.Fatalf("bundle %+v", *tl.Bundle)
	}
	for _, it := range items {
		if it.(map[string]any)["status"] != model.BundleIssued {
			t.Fatalf("bundle item %+v", it)
		}
	}
	var list api.SupervisedProcessList
	d.must(w.Supervisor.Call(ctx, "GET", "/api/v1/supervision/processes?status=completed", nil, 200, &list))
	if len(list.Items) != 1 || list.Items[0].Id != app.Id || list.Items[0].Decided != 7 || list.Items[0].Late != 0 {
		t.Fatalf("supervised processes %+v", list)
	}

	// The bundle's seven documents are in the company's locker.
	var docs api.IssuedDocumentList
	d.must(w.Clerk.Call(ctx, "GET", "/api/v1/issuance/processes/"+app.Id+"/documents", nil, 200, &docs))
	if len(docs.Items) != 7 {
		t.Fatalf("issued documents %+v", docs)
	}
	var assets api.LockerAssetList
	d.must(establish.Poll(ctx, 100*time.Millisecond, "seven documents available in the locker", func() (bool, error) {
		err := applicant.Call(ctx, "GET", "/api/v1/lockers/"+firm+"/assets", nil, 200, &assets)
		available := 0
		for _, a := range assets.Items {
			if a.Status == model.AssetAvailable && a.Owner == firm {
				available++
			}
		}
		return available == 7, err
	}))
	var licence string
	kinds := map[string]bool{}
	for _, doc := range docs.Items {
		kinds[string(doc.Kind)] = true
		if doc.Kind == "business-licence" {
			licence = doc.Asset
		}
		// Every document verifies by its QR payload, anonymously.
		var v api.DocumentVerification
		d.must(d.anon.Call(ctx, "POST", "/api/v1/issuance/verification/payload", map[string]any{"payload": doc.Payload}, 200, &v))
		if !v.Valid || !v.Authentic || v.Asset == nil || *v.Asset != doc.Asset {
			t.Fatalf("%s payload verification %+v", doc.Kind, v)
		}
	}
	if len(kinds) != 7 || licence == "" {
		t.Fatalf("document kinds %v", kinds)
	}

	// The owner reads the licence PDF (recorded with its reason), and the
	// PDF verifies; one changed byte does not.
	var own api.LockerContent
	d.must(applicant.Call(ctx, "POST", "/api/v1/locker-assets/"+licence+"/view",
		map[string]any{"subject": firm, "password": firmPassword, "reason": "核对营业执照"}, 200, &own))
	if !strings.HasPrefix(string(own.Content), "%PDF") || own.Access.TxId == "" {
		t.Fatalf("owner's view: %d bytes, access %+v", len(own.Content), own.Access)
	}
	var v api.DocumentVerification
	d.must(verifyPDF(ctx, d.anon, own.Content, &v))
	if !v.Valid || v.Asset == nil || *v.Asset != licence || v.Uscc == nil || v.TxId == nil {
		t.Fatalf("licence PDF verification %+v", v)
	}
	altered := slices.Clone(own.Content)
	altered[len(altered)/2] ^= 1
	d.must(verifyPDF(ctx, d.anon, altered, &v))
	if v.Valid || v.Authentic {
		t.Fatalf("an altered licence verified: %+v", v)
	}

	// The company grants the bank a view of its licence; the bank (its
	// officer, with the bank's key) reads it with a reason, recorded on
	// chain, and the company sees who read it, when and why.
	var g api.LockerGrant
	d.must(applicant.Call(ctx, "POST", "/api/v1/locker-assets/"+licence+"/grants", map[string]any{
		"grantor": firm, "password": firmPassword, "grantee": "BankMSP", "granteeMember": true,
		"kind": "authorization", "scope": "view", "purpose": "银行开户核验营业执照", "expiresAt": time.Now().Add(24 * time.Hour)}, 201, &g))
	const bankReason = "基本存款账户开户审核：核验营业执照"
	var read api.LockerContent
	d.must(bank.Call(ctx, "POST", "/api/v1/locker-assets/"+licence+"/view", map[string]any{
		"member": "BankMSP", "password": d.p.departmentKeyPassword("bank"), "grant": g.Id, "reason": bankReason}, 200, &read))
	if string(read.Content) != string(own.Content) || read.Access.Accessor != "BankMSP" || read.Access.Reason != bankReason ||
		read.Access.TxId == "" || read.Access.Time == "" || read.Block == 0 {
		t.Fatalf("bank's read: access %+v block %d", read.Access, read.Block)
	}
	d.must(establish.Poll(ctx, 100*time.Millisecond, "the bank's access in the licence's usage records", func() (bool, error) {
		var recs api.LockerAccessRecordList
		err := applicant.Call(ctx, "GET", "/api/v1/locker-assets/"+licence+"/access-records", nil, 200, &recs)
		return slices.ContainsFunc(recs.Items, func(r api.LockerAccessEntry) bool {
			return r.Accessor == "BankMSP" && r.Reason == bankReason && r.TxId == read.Access.TxId && r.Block == read.Block &&
				r.Grant != nil && *r.Grant == g.Id
		}), err
	}))

	t.Run("BadInput", func(t *testing.T) { badInputE2E(t, d, firm, app.Id, licence, g.Id) })
}

func verifyPDF(ctx context.Context, c *establish.Client, pdf []byte, out *api.DocumentVerification) error {
	r, err := c.Do(ctx, "POST", "/api/v1/issuance/verification/pdf", pdf, "application/pdf")
	if err != nil {
		return err
	}
	if r.Status != 200 {
		return fmt.Errorf("verify PDF: %d %s", r.Status, r.Body)
	}
	return json.Unmarshal(r.Body, out)
}

// badInputE2E sends a refused request to every endpoint the scenario
// touched: each answers its 4xx as problem+json with the problem's kind,
// and neither the database nor the chain changes.
func badInputE2E(t *testing.T, d *devE2E, firm, process, licence, grant string) {
	ctx := d.ctx(3 * time.Minute)
	w := d.window
	applicant, bank, officer := d.login("demo-applicant"), d.login("demo-bank"), d.login("demo-market")
	badID := establish.Form(firm, "seal")
	badID["legalRepresentative"].(map[string]any)["idNumber"] = "370102199003074510"
	badName := establish.Form(firm)
	badName["name"] = "明湖信息技术有限公司"
	noLocker := establish.Form(strings.Repeat("0", 32))
	unknownService := establish.Form(firm, "spa")
	unknownField := establish.Form(firm)
	unknownField["x"] = 1
	future := time.Now().Add(time.Hour)
	unknown := strings.Repeat("0123456789abcdef", 2)
	lk, as := "/api/v1/lockers/", "/api/v1/locker-assets/"+licence
	sup := "/api/v1/supervision/processes/"
	cases := []struct {
		name         string
		c            *establish.Client
		method, path string
		body         any
		status       int
		kind         string
	}{
		{"sign in: no login", d.anon, "POST", "/api/v1/sessions", map[string]any{"password": "x"}, 400, "invalid"},
		{"open locker: bad ID check digit", w.Clerk, "POST", "/api/v1/lockers", map[string]any{"clerkId": "c", "password": firmPassword,
			"enterprise": map[string]any{"name": "济南市另一信息技术有限公司"}, "legalRepresentative": map[string]any{"name": "张三", "idNumber": "370102199003074510"}}, 400, "invalid"},
		{"open locker: the same company again", w.Clerk, "POST", "/api/v1/lockers", map[string]any{"clerkId": "c", "password": firmPassword,
			"enterprise":          map[string]any{"name": "济南市明湖信息技术有限公司", "address": "济南市历下区泉城路 1 号"},
			"legalRepresentative": map[string]any{"name": "张三", "idNumber": establish.LegalRepID}}, 409, "conflict"},
		{"open locker: by the applicant", applicant, "POST", "/api/v1/lockers", map[string]any{"clerkId": "c", "password": firmPassword,
			"enterprise": map[string]any{"name": "济南市第三信息技术有限公司"}}, 403, "denied"},
		{"open locker: anonymous", d.anon, "POST", "/api/v1/lockers", map[string]any{"clerkId": "c"}, 401, "unauthenticated"},
		{"review locker: reviewed already", w.Reviewer, "POST", lk + firm + "/review", map[string]any{"approve": false}, 409, "state"},
		{"review locker: unknown", w.Reviewer, "POST", lk + unknown + "/review", map[string]any{"approve": true}, 404, "not-found"},
		{"get locker: unknown", w.Clerk, "GET", lk + unknown, nil, 404, "not-found"},
		{"apply: ID check digit", w.Clerk, "POST", "/api/v1/applications", badID, 400, "invalid"},
		{"apply: name without division", w.Clerk, "POST", "/api/v1/applications", badName, 400, "invalid"},
		{"apply: unknown service", w.Clerk, "POST", "/api/v1/applications", unknownService, 400, "invalid"},
		{"apply: unknown field", w.Clerk, "POST", "/api/v1/applications", unknownField, 400, "invalid"},
		{"apply: no such locker", w.Clerk, "POST", "/api/v1/applications", noLocker, 409, "state"},
		{"apply: by a department officer", officer, "POST", "/api/v1/applications", establish.Form(firm), 403, "denied"},
		{"apply: not JSON", w.Clerk, "POST", "/api/v1/applications", "{", 400, "invalid"},
		{"application: unknown", w.Clerk, "GET", "/api/v1/applications/nope", nil, 404, "not-found"},
		{"documents: bad process ID", w.Clerk, "GET", "/api/v1/issuance/processes/bad%20id/documents", nil, 400, "invalid"},
		{"verify payload: empty", d.anon, "POST", "/api/v1/issuance/verification/payload", map[string]any{"payload": ""}, 400, "invalid"},
		{"verify PDF: not JSON but not a PDF either", d.anon, "POST", "/api/v1/issuance/verification/pdf", "{}", 415, "unsupported-media-type"},
		{"locker assets: unknown locker", w.Clerk, "GET", lk + unknown + "/assets", nil, 404, "not-found"},
		{"locker assets: a locker the applicant does not hold", applicant, "GET", lk + unknown + "/assets", nil, 403, "denied"},
		{"view: no reason", applicant, "POST", as + "/view", map[string]any{"subject": firm, "password": firmPassword}, 400, "invalid"},
		{"view: wrong password", applicant, "POST", as + "/view", map[string]any{"subject": firm, "password": "Wrong-password-123", "reason": "r"}, 403, "denied"},
		{"view: the bank without its grant", bank, "POST", as + "/view", map[string]any{"member": "BankMSP", "password": d.p.departmentKeyPassword("bank"), "reason": "r"}, 403, "denied"},
		{"view: the bank with another's key password", bank, "POST", as + "/view", map[string]any{"member": "BankMSP", "password": "Wrong-password-123", "grant": grant, "reason": "r"}, 403, "denied"},
		{"view: unknown asset", applicant, "POST", "/api/v1/locker-assets/" + unknown + "/view", map[string]any{"subject": firm, "password": firmPassword, "reason": "r"}, 404, "not-found"},
		{"grant: expiry past", applicant, "POST", as + "/grants", map[string]any{"grantor": firm, "password": firmPassword, "grantee": "BankMSP", "granteeMember": true,
			"purpose": "p", "expiresAt": time.Now().Add(-time.Hour)}, 400, "invalid"},
		{"grant: wrong password", applicant, "POST", as + "/grants", map[string]any{"grantor": firm, "password": "Wrong-password-123", "grantee": "TaxMSP", "granteeMember": true,
			"purpose": "p", "expiresAt": future}, 403, "denied"},
		{"grant: bad scope", applicant, "POST", as + "/grants", map[string]any{"grantor": firm, "password": firmPassword, "grantee": "BankMSP", "granteeMember": true,
			"purpose": "p", "expiresAt": future, "scope": "own"}, 400, "invalid"},
		{"grant: by the bank", bank, "POST", as + "/grants", map[string]any{"grantor": firm, "password": firmPassword, "grantee": "TaxMSP", "granteeMember": true,
			"purpose": "p", "expiresAt": future}, 403, "denied"},
		{"access records: bad asset ID", applicant, "GET", "/api/v1/locker-assets/bad%20id/access-records", nil, 400, "invalid"},
		{"timeline: bad ID", w.Supervisor, "GET", sup + "%20x", nil, 400, "invalid"},
		{"timeline: unknown process", w.Supervisor, "GET", sup + "APP-404", nil, 404, "not-found"},
		{"timeline: by the applicant", applicant, "GET", sup + process, nil, 403, "denied"},
		{"processes: bad status", w.Supervisor, "GET", "/api/v1/supervision/processes?status=lost", nil, 400, "invalid"},
		{"intervene: no reason", w.Supervisor, "POST", sup + process + "/steps/tax/interventions", map[string]any{"action": "note"}, 400, "invalid"},
		{"intervene: unknown step", w.Supervisor, "POST", sup + process + "/steps/spa/interventions", map[string]any{"action": "note", "reason": "r"}, 404, "not-found"},
		{"intervene: extend a completed process", w.Supervisor, "POST", sup + process + "/steps/tax/interventions", map[string]any{"action": "extend", "reason": "r", "extendSeconds": 60}, 400, "invalid"},
		{"intervene: by the clerk", w.Clerk, "POST", sup + process + "/steps/tax/interventions", map[string]any{"action": "note", "reason": "r"}, 403, "denied"},
	}
	before := d.quiet()
	for _, c := range cases {
		r, err := c.c.Do(ctx, c.method, c.path, c.body)
		if err != nil {
			t.Fatal(err)
		}
		p, isProblem := r.Problem()
		if r.Status != c.status || !isProblem || p.Status != c.status || !strings.HasSuffix(p.Type, ":"+c.kind) || p.Title == "" {
			t.Errorf("%s: %d %s %s, want %d problem+json urn:kaiban:problem:%s", c.name, r.Status, r.ContentType, r.Body, c.status, c.kind)
		}
	}
	if after := d.quiet(); after != before {
		t.Fatalf("refused requests changed rows or blocks: %s → %s", before, after)
	}
}

// TestDev_EstablishmentEndToEnd_RejectedAndOverdue runs the two other endings
// on one kaiban dev whose tax simulator rejects every task
// (KAIBAN_DEPARTMENTS_REJECT=tax) and whose seal department waits for a
// person (KAIBAN_DEPARTMENTS_MANUAL=seal), under a process definition that
// the system administrator gives a two-second seal step:
//   - rejected: an application choosing tax ends with the tax step rejected
//     with its opinion; the bundle records the rejection and closes the
//     process, which stays rejected (supervision lists it under rejected,
//     never completed, and refuses to reopen it), and no tax document
//     reaches the locker;
//   - overdue: an application choosing seal waits at the seal step past its
//     limit; the overdue job raises an alert and marks the step on chain;
//     the supervisor extends it with a reason, recorded on chain; the seal
//     officer then decides by hand and the bundle follows.
func TestDev_EstablishmentEndToEnd_RejectedAndOverdue(t *testing.T) {
	d := startDevE2E(t, map[string]string{"KAIBAN_DEPARTMENTS_REJECT": "tax", "KAIBAN_DEPARTMENTS_MANUAL": "seal"})
	ctx := d.ctx(8 * time.Minute)
	w := d.window
	sys, sealOfficer := d.login("demo-sysadmin"), d.login("demo-seal")

	// Version 2 of the establishment process: version 1 with a seal step
	// of two seconds.
	var v1 api.ProcessDefinition
	d.must(sys.Call(ctx, "GET", "/api/v1/items/establishment/definitions/1", nil, 200, &v1))
	steps := slices.Clone(v1.Steps)
	for i := range steps {
		if steps[i].Key == "seal" {
			steps[i].LimitSeconds = 2
		}
	}
	var v2 api.ProcessDefinition
	d.must(sys.Call(ctx, "POST", "/api/v1/items/establishment/definitions", map[string]any{"issuance": v1.Issuance, "steps": steps}, 201, &v2))
	if v2.Version != 2 {
		t.Fatalf("definition %+v", v2)
	}

	firm := d.openLocker("济南市明湖信息技术有限公司")
	rejected, err := w.Apply(ctx, establish.Form(firm, "tax"))
	d.must(err)
	overdue, err := w.Apply(ctx, establish.Form(firm, "seal"))
	d.must(err)
	if rejected.DefinitionVersion != 2 || overdue.DefinitionVersion != 2 {
		t.Fatalf("applications on definition %d and %d, want 2", rejected.DefinitionVersion, overdue.DefinitionVersion)
	}

	t.Run("Rejected", func(t *testing.T) {
		tl, err := w.WaitBundle(ctx, rejected.Id)
		d.must(err)
		byKey := map[string]api.TimelineStep{}
		for _, s := range tl.Steps {
			byKey[s.Key] = s
		}
		tax := byKey["tax"]
		if len(tl.Steps) != 2 || byKey["licence"].Status != "approved" || tax.Status != "rejected" || tax.Opinion == nil ||
			!strings.Contains(*tax.Opinion, "驳回") || tax.DecisionTx == nil || tax.DecidedAt == nil {
			t.Fatalf("timeline of the rejected process %+v", tl.Steps)
		}
		got := map[string]any{}
		items, _ := (*tl.Bundle)["items"].([]any)
		for _, it := range items {
			m := it.(map[string]any)
			got[m["step"].(string)] = m["status"]
		}
		if got["tax"] != model.BundleRejected || got["licence"] != model.BundleIssued || len(got) != 2 {
			t.Fatalf("bundle of the rejected process %+v", *tl.Bundle)
		}
		// Closed by its bundle, the process is still a refused one.
		if tl.Process["status"] != model.ProcessRejected {
			t.Fatalf("rejected process after its bundle %+v", tl.Process)
		}
		listed := func(status string) bool {
			var list api.SupervisedProcessList
			d.must(w.Supervisor.Call(ctx, "GET", "/api/v1/supervision/processes?status="+status, nil, 200, &list))
			return slices.ContainsFunc(list.Items, func(p api.SupervisedProcess) bool { return p.Id == rejected.Id && p.Status == status })
		}
		if !listed(model.ProcessRejected) || listed(model.ProcessCompleted) {
			t.Fatalf("supervision does not list %s as rejected only", rejected.Id)
		}
		d.must(w.Supervisor.Call(ctx, "POST", "/api/v1/supervision/processes/"+rejected.Id+"/steps/tax/interventions",
			map[string]any{"action": "reopen", "reason": "材料已补正"}, 400, nil))
		var docs api.IssuedDocumentList
		d.must(w.Clerk.Call(ctx, "GET", "/api/v1/issuance/processes/"+rejected.Id+"/documents", nil, 200, &docs))
		if len(docs.Items) != 1 || docs.Items[0].Kind != "business-licence" {
			t.Fatalf("documents of the rejected process %+v", docs)
		}
		var taxAssets api.LockerAssetList
		d.must(w.Clerk.Call(ctx, "GET", "/api/v1/lockers/"+firm+"/assets?type=tax-registration", nil, 200, &taxAssets))
		if len(taxAssets.Items) != 0 {
			t.Fatalf("a rejected step's document reached the locker: %+v", taxAssets)
		}
	})

	t.Run("OverdueIntervention", func(t *testing.T) {
		// The overdue job runs every 30 s: an alert within two passes.
		var alert api.SupervisionAlert
		d.must(establish.Poll(ctx, 500*time.Millisecond, "overdue alert for the seal step", func() (bool, error) {
			var alerts api.SupervisionAlertList
			err := w.Supervisor.Call(ctx, "GET", "/api/v1/supervision/alerts", nil, 200, &alerts)
			for _, a := range alerts.Items {
				if a.Process == overdue.Id && a.Step == "seal" {
					alert = a
					return true, nil
				}
			}
			return false, err
		}))
		tl, err := w.WaitTimeline(ctx, overdue.Id, "seal marked overdue on chain", func(tl api.ProcessTimeline) bool {
			return len(tl.Steps) == 2 && tl.Steps[1].OverdueOnChain && tl.Steps[1].Late
		})
		d.must(err)
		seal := tl.Steps[1]
		if seal.Key != "seal" || seal.Status != "pending" || seal.LimitSeconds != 2 || tl.Overdue != 1 || alert.Department == "" {
			t.Fatalf("overdue seal step %+v, alert %+v", seal, alert)
		}
		// The seal officer sees the overdue task in the workbench.
		var tasks api.TaskList
		d.must(sealOfficer.Call(ctx, "GET", "/api/v1/tasks?ready=true", nil, 200, &tasks))
		if len(tasks.Items) != 1 || tasks.Items[0].Process != overdue.Id || !tasks.Items[0].Overdue {
			t.Fatalf("seal officer's tasks %+v", tasks)
		}

		// The supervisor extends the step by an hour, with a reason.
		const reason = "申请人补正印章样式材料，延长办理时限一小时"
		var iv api.SupervisionIntervention
		d.must(w.Supervisor.Call(ctx, "POST", "/api/v1/supervision/processes/"+overdue.Id+"/steps/seal/interventions",
			map[string]any{"action": "extend", "reason": reason, "extendSeconds": 3600}, 202, &iv))
		if iv.OutboxKey == "" || iv.RequestedBy == "" {
			t.Fatalf("intervention %+v", iv)
		}
		tl, err = w.WaitTimeline(ctx, overdue.Id, "the extension recorded on chain", func(tl api.ProcessTimeline) bool {
			return len(tl.Interventions) == 1 && tl.Interventions[0].TxId != "" && !tl.Steps[1].OverdueOnChain
		})
		d.must(err)
		got := tl.Interventions[0]
		if got.Action != "extend" || got.Reason != reason || got.Step != "seal" || got.ExtendSeconds == nil || *got.ExtendSeconds != 3600 ||
			tl.Steps[1].ExtensionSeconds != 3600 || tl.Steps[1].Interventions != 1 || !tl.Steps[1].Deadline.After(*seal.Deadline) {
			t.Fatalf("intervention on chain %+v, seal step %+v", got, tl.Steps[1])
		}

		// The seal officer decides by hand: issues the notice with the
		// department's key and approves with it; the bundle follows.
		password := d.p.departmentKeyPassword("seal")
		var doc api.IssuedDocument
		d.must(sealOfficer.Call(ctx, "POST", "/api/v1/issuance/documents", map[string]any{"process": overdue.Id, "kind": "seal-record",
			"password": password, "results": []map[string]string{{"key": "sealNo", "label": "印章备案编号", "value": "37010000001"}}}, 201, &doc))
		d.must(sealOfficer.Call(ctx, "POST", "/api/v1/tasks/"+overdue.Id+"/seal/decision", map[string]any{"approve": true,
			"opinion": "材料已补正，准予备案", "approver": "demo-seal", "password": password, "outputs": []string{doc.Asset}}, 202, nil))
		tl, err = w.WaitBundle(ctx, overdue.Id)
		d.must(err)
		if tl.Steps[1].Status != "approved" || tl.Steps[1].Approver == nil || *tl.Steps[1].Approver != "demo-seal" || tl.Steps[1].Late {
			t.Fatalf("seal step after the officer's decision %+v", tl.Steps[1])
		}
	})
}
