package departments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/departments"
	"github.com/kaiban-platform/kaiban/services/internal/establish"
	"github.com/kaiban-platform/kaiban/services/internal/httpapi"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/issuance"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
	"github.com/kaiban-platform/kaiban/services/sdk"
)

const deptPassword = "department-key-password"

// The key service's settings for the benchmark: by default the minimum
// PBKDF2 iterations (fast tests) with department sessions; -keys.production
// derives as kaiban dev and production do (300,000 iterations, ~125 ms of
// CPU each), and -keys.sessions=false makes every department operation
// derive, to measure what the sessions save.
var (
	productionKDF      = flag.Bool("keys.production", false, "run the key service with its production KDF (PBKDF2-HMAC-SM3, 300,000 iterations)")
	departmentSessions = flag.Bool("keys.sessions", true, "keep department keys open between operations (keys.Config.DepartmentSession)")
	concurrency        = flag.String("establishments.concurrent", "1,8,32", "the batches of concurrent applications BenchmarkFleet_Devnet_Establishments runs, comma-separated")
)

var members = map[string]string{
	model.DeptMarket: "MarketMSP", model.DeptSeal: "SealMSP", model.DeptSocial: "SocialMSP", model.DeptMedical: "MedicalMSP",
	model.DeptHousingFund: "HousingFundMSP", model.DeptBank: "BankMSP", model.DeptTax: "TaxMSP",
}

// TestFleet_Devnet_EstablishmentToBundle runs the whole department side on
// devnet through the real REST API: an application accepted at the window
// starts a process on chain; the seven simulated departments, each an
// approved API client signing its requests and using only the SDK, pull
// their tasks, issue their documents into the applicant's locker and approve;
// the window issues the bundle; every document verifies against the chain.
// devnetEnv is the platform on devnet behind the real REST API, with the
// seven department systems as approved API clients.
type devnetEnv struct {
	pool      *pgxpool.Pool
	acc       *acceptance.Service
	iss       *issuance.Service
	url       string
	depts     []departments.Department
	applicant string
}

func newDevnet(t testing.TB) *devnetEnv {
	pool := pgtest.New(t)
	if _, err := jobs.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	net := chaintest.Start(t, chaintest.Options{})
	ch := net.Connect(t)
	kc := keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}}
	if *productionKDF {
		kc.KDF = keys.DefaultKDF
	}
	if !*departmentSessions {
		kc.DepartmentSession = -1
	}
	ks, err := keys.New(pool, kc)
	if err != nil {
		t.Fatal(err)
	}
	applicant := found(t, ch, ks)
	ob, err := outbox.New(pool, ch, outbox.Config{Key: []byte("0123456789abcdef"), RetryBase: 50 * time.Millisecond, LaneWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	opID, err := ch.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopProjection := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		projection.New(pool, opID, projection.WithRetryDelay(50*time.Millisecond)).Run(pctx)
	}()
	t.Cleanup(func() { stopProjection(); <-done })

	names, err := pii.New(1, bytes.Repeat([]byte{7}, pii.MasterKeySize), nil)
	if err != nil {
		t.Fatal(err)
	}
	store, err := objectstore.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	lk, err := locker.New(locker.Config{Pool: pool, Store: store, Keys: ks, Outbox: ob, PII: names, Chain: ch, Gateway: chaintest.Operator})
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.New(pool)
	acc, err := acceptance.New(acceptance.Config{Pool: pool, Registry: reg, Outbox: ob, PII: names,
		Clerk: chaintest.Operator + "/clerk", Keys: ks, Viewer: lk})
	if err != nil {
		t.Fatal(err)
	}
	r, err := issuance.NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	iss, err := issuance.New(issuance.Config{Pool: pool, Renderer: r, Locker: lk, Outbox: ob, Keys: ks, Clerk: chaintest.Operator + "/clerk"})
	if err != nil {
		t.Fatal(err)
	}
	// One River client works the outbox and runs the periodic bundle job
	// (periodic jobs run on the elected leader, so they belong with the
	// worker's other queues).
	workers := river.NewWorkers()
	ob.Register(workers)
	iss.Register(workers)
	rc, err := jobs.NewClient(pool, workers, jobs.Config{Queues: map[string]int{outbox.Queue: 8, issuance.Queue: 1},
		FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	rc.PeriodicJobs().Add(issuance.PeriodicBundle(200 * time.Millisecond))
	if err := rc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		rc.Stop(stop)
	})
	lg, err := audit.New(pool, bytes.Repeat([]byte{2}, 32))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	id, err := identity.New(pool, names, identity.Config{SecretKey: bytes.Repeat([]byte{3}, 32), PasswordIterations: 1000}, identity.WithRecorder(lg))
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Options{Logger: slog.New(slog.DiscardHandler), Keys: ks, Issuance: iss,
		Workflow: httpapi.Workflow{Registry: reg, Acceptance: acc}, Security: httpapi.SecurityOptions{Identity: id, Audit: lg}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)

	// The seven department systems, each an approved API client.
	var depts []departments.Department
	for _, code := range departments.Codes {
		c, err := id.ApplyClient(ctx, nil, identity.ClientApplication{Name: "系统 " + code, Department: code, Purpose: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := id.ReviewClient(ctx, nil, c.ID, identity.Review{Approve: true, Roles: []string{"department-system"}}); err != nil {
			t.Fatal(err)
		}
		cred, err := id.IssueAPIKey(ctx, nil, c.ID, identity.CredentialHMAC, "", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		sign, _ := sdk.HMACKey(cred.Secret)
		client, err := sdk.New(srv.URL, sdk.WithAPIKey(cred.ID, sign))
		if err != nil {
			t.Fatal(err)
		}
		depts = append(depts, departments.Department{Code: code, Client: client, KeyPassword: deptPassword})
	}

	eventually(t, 20*time.Second, "applicant projected", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_subjects WHERE id = $1 AND status = 'active'`, applicant).Scan(&n)
		return n == 1
	})
	return &devnetEnv{pool: pool, acc: acc, iss: iss, url: srv.URL, depts: depts, applicant: applicant}
}

func TestFleet_Devnet_EstablishmentToBundle(t *testing.T) {
	e := newDevnet(t)
	pool, acc, iss, applicant, depts := e.pool, e.acc, e.iss, e.applicant, e.depts
	start := time.Now()
	a, err := acc.Accept(ctx, establishmentForm(applicant), "clerk-1")
	if err != nil {
		t.Fatal(err)
	}
	// A notice before the licence is refused: nothing to print the
	// company's code and name from yet.
	eventually(t, 20*time.Second, "steps projected", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_steps WHERE process = $1`, a.ID).Scan(&n)
		return n == 7
	})
	if _, err := depts[len(depts)-1].Client.IssueDocument(ctx, sdk.DocumentRequest{Process: a.ID, Kind: sdk.KindTax, Password: deptPassword}); !errors.Is(err, sdk.ErrState) {
		t.Fatalf("tax notice before the licence: err = %v, want ErrState", err)
	}
	fleet, err := departments.Start(ctx, depts, departments.Config{Poll: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Stop()
	// The departments approve; the periodic job then issues the bundle.
	eventually(t, 60*time.Second, "every step approved", func() bool {
		var pending, approved int
		_ = pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'approved')
			FROM ledger_steps WHERE process = $1`, a.ID).Scan(&pending, &approved)
		return pending == 0 && approved == 7
	})
	approvedIn := time.Since(start)

	eventually(t, 30*time.Second, "bundle on chain", func() bool {
		var n int
		_ = pool.QueryRow(ctx, `SELECT count(*) FROM ledger_bundles WHERE process = $1`, a.ID).Scan(&n)
		return n == 1
	})
	t.Logf("seven departments approved in %v, bundle on chain after %v", approvedIn, time.Since(start))

	var items int
	if err := pool.QueryRow(ctx, `SELECT jsonb_array_length(record->'items') FROM ledger_bundles WHERE process = $1`, a.ID).Scan(&items); err != nil || items != 7 {
		t.Fatalf("bundle items: %d, %v", items, err)
	}
	docs, err := iss.Documents(ctx, a.ID)
	if err != nil || len(docs) != 7 {
		t.Fatalf("documents %+v, %v", docs, err)
	}
	anon, _ := sdk.New(e.url)
	for _, d := range docs {
		v, err := anon.VerifyPayload(ctx, d.Payload)
		if err != nil || !v.Valid {
			t.Fatalf("%s: %+v, %v", d.Kind, v, err)
		}
	}
}

func establishmentForm(applicant string) acceptance.Form {
	id := "37010219900307451"
	c, _ := acceptance.ResidentCheckChar(id)
	id += string(c)
	holder := "91370102MA3C4T5R1"
	hc, _ := acceptance.USCCCheckChar(holder)
	return acceptance.Form{
		Applicant: applicant, Name: "济南市明湖信息技术有限公司", EnterpriseType: acceptance.TypeLLC,
		RegisteredCapital: "1000000.00", Address: acceptance.Address{Division: "370102", Detail: "历下区泉城路 1 号"},
		BusinessScope: "软件开发",
		Shareholders: []acceptance.Shareholder{
			{Kind: acceptance.HolderPerson, Name: "张三", IDNumber: id, Contribution: "600000"},
			{Kind: acceptance.HolderEnterprise, Name: "山东某投资有限公司", IDNumber: holder + string(hc), Contribution: "400000"},
		},
		LegalRepresentative: acceptance.Person{Name: "张三", IDNumber: id, Phone: "13800000000"},
		Services:            []string{"seal", "social", "medical", "housing-fund", "bank", "tax"},
	}
}

// found bootstraps the chain, admits the seven departments with keys in the
// key service, defines the asset types of their documents and opens an
// active enterprise whose key is in the key service; it returns its ID.
func found(t testing.TB, ch *chain.Client, ks *keys.Service) string {
	t.Helper()
	submit := func(ref, cc, fn string, args ...string) *chain.Result {
		t.Helper()
		ct, err := ch.Contract(ref, cc)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ct.Submit(ctx, fn, chain.WithArguments(args...))
		if err != nil {
			t.Fatalf("%s.%s by %s: %v", cc, fn, ref, err)
		}
		return res
	}
	opKey, opPub, err := chaintest.SM2Key()
	if err != nil {
		t.Fatal(err)
	}
	app := model.MemberApplication{ID: chaintest.Operator, Name: "operator", Kind: model.MemberOperator, PublicKey: opPub}
	submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "Bootstrap", chaintest.Signed(opKey, "subject.Bootstrap", &app)...)
	for code, msp := range members {
		owner := keys.Owner{Kind: keys.KindDepartment, ID: msp}
		k, err := ks.Generate(ctx, owner, deptPassword)
		if err != nil {
			t.Fatal(err)
		}
		join := model.MemberApplication{ID: msp, Name: code, Kind: model.MemberDepartment, Department: code, PublicKey: k.PublicKeyPEM}
		canonical := chaintest.Canonical(&join)
		sig, err := ks.Sign(ctx, owner, deptPassword, model.SigningMessage("subject.ApplyMember", []byte(canonical)))
		if err != nil {
			t.Fatal(err)
		}
		submit(msp+"/Admin", model.ChaincodeSubject, "ApplyMember", canonical, keys.EncodeSignature(sig.Value))
		submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "ReviewMember", chaintest.Canonical(&model.MemberReview{Member: msp, Approve: true}))
		kind, _ := issuance.KindFor(code)
		submit(chaintest.Operator, model.ChaincodeAsset, "DefineAssetType", chaintest.Canonical(&model.AssetTypeDefinition{
			Code: string(kind), Name: kind.Title(), Schema: `{"type":"object"}`, Issuers: []string{msp},
		}))
	}
	salt, _ := gm.NewSalt()
	sub := model.SubjectApplication{Kind: model.SubjectEnterprise, Commitments: map[string]string{
		model.CommitIdentity: gm.Commitment(salt, []byte("departments firm")),
		model.CommitLegalRep: gm.Commitment(salt, []byte("departments firm legal representative")),
	}}
	owner := keys.Owner{Kind: keys.KindSubject, ID: model.SubjectID(sub.Kind, sub.Commitments[model.CommitIdentity])}
	fk, err := ks.Generate(ctx, owner, "applicant-unlock-password")
	if err != nil {
		t.Fatal(err)
	}
	sub.PublicKey = fk.PublicKeyPEM
	canonical := chaintest.Canonical(&sub)
	fsig, err := ks.Sign(ctx, owner, "applicant-unlock-password", model.SigningMessage("subject.ApplySubject", []byte(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	var firm model.Subject
	if err := submit(chaintest.Operator, model.ChaincodeSubject, "ApplySubject", canonical, keys.EncodeSignature(fsig.Value)).Decode(&firm); err != nil {
		t.Fatal(err)
	}
	submit(chaintest.Operator, model.ChaincodeSubject, "ReviewSubject", chaintest.Canonical(&model.SubjectReview{
		Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact},
	}))
	return firm.ID
}

func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFleet_Devnet_RejectedStep: the tax department rejects with its
// opinion; the process is rejected on chain and its bundle lists the
// rejection, the issued licence and the other steps — and closes the
// process without making it completed.
func TestFleet_Devnet_RejectedStep(t *testing.T) {
	e := newDevnet(t)
	a, err := e.acc.Accept(ctx, establishmentForm(e.applicant), "clerk-1")
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := departments.Start(ctx, e.depts, departments.Config{Poll: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
		Reject: func(t sdk.Task) (string, bool) { return "涉税登记信息不完整", t.Department == model.DeptTax }})
	if err != nil {
		t.Fatal(err)
	}
	defer fleet.Stop()
	var record []byte
	eventually(t, 60*time.Second, "bundle of the rejected process", func() bool {
		return e.pool.QueryRow(ctx, `SELECT record FROM ledger_bundles WHERE process = $1`, a.ID).Scan(&record) == nil
	})
	var b model.Bundle
	if err := json.Unmarshal(record, &b); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, it := range b.Items {
		got[it.Step] = it.Status
	}
	if got["tax"] != model.BundleRejected || got["licence"] != model.BundleIssued || len(got) != 7 {
		t.Fatalf("bundle items %+v", b.Items)
	}
	// The projection writes the process and its bundle in one transaction.
	var status, updatedTx string
	if err := e.pool.QueryRow(ctx, `SELECT status, record->>'updatedTx' FROM ledger_processes WHERE id = $1`, a.ID).Scan(&status, &updatedTx); err != nil ||
		status != model.ProcessRejected || updatedTx != b.TxID {
		t.Fatalf("process after its bundle: %s (updated by %s, bundle %s), %v", status, updatedTx, b.TxID, err)
	}
	// Still rejected, it is never bundled again: a pass finds nothing to do
	// and the one bundle write stays the only one.
	if n, err := e.iss.BundleReady(ctx); err != nil || n != 0 {
		t.Fatalf("a pass after the bundle enqueued %d (%v)", n, err)
	}
	var writes int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM chain_outbox WHERE function = 'IssueBundle' AND key = $1`, "issuance/bundle/"+a.ID).Scan(&writes); err != nil || writes != 1 {
		t.Fatalf("%d bundle writes (%v)", writes, err)
	}
	var opinion string
	if err := e.pool.QueryRow(ctx, `SELECT record->>'opinion' FROM ledger_steps WHERE process = $1 AND step_key = 'tax'`, a.ID).Scan(&opinion); err != nil || opinion != "涉税登记信息不完整" {
		t.Fatalf("tax opinion %q, %v", opinion, err)
	}
}

// BenchmarkFleet_Devnet_Establishments measures establishments per minute
// end to end (acceptance → seven departments through the REST API → bundle
// on chain) with the departments approving at once, for batches of
// concurrent applications; one at a time gives the latency from application
// to bundle. Besides the rate it reports the mean, median, 99th percentile
// and longest time from an application to its bundle on chain (seen within
// 50 ms) and this process's CPU time per establishment (user and system: the
// platform, the simulated departments and the devnet, not PostgreSQL), which
// other work on the machine disturbs less than the rate. It measures with
// establish.Run, the driver of scripts/load-establishments.sh (which also
// runs 128 at once against a whole kaiban dev).
func BenchmarkFleet_Devnet_Establishments(b *testing.B) {
	var batches []int
	for _, f := range strings.Split(*concurrency, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("-establishments.concurrent: %q is not a positive number", f)
		}
		batches = append(batches, n)
	}
	for _, concurrent := range batches {
		b.Run(fmt.Sprintf("concurrent=%d", concurrent), func(b *testing.B) {
			e := newDevnet(b)
			fleet, err := departments.Start(ctx, e.depts, departments.Config{Poll: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer fleet.Stop()
			tctx, stopTracking := context.WithCancel(ctx)
			defer stopTracking()
			bundles := establish.Track(tctx, func(ctx context.Context) ([]string, error) {
				rows, err := e.pool.Query(ctx, `SELECT process FROM ledger_bundles`)
				if err != nil {
					return nil, err
				}
				return pgx.CollectRows(rows, pgx.RowTo[string])
			}, 50*time.Millisecond)
			b.ResetTimer()
			cpu0 := cpuTime()
			var r establish.Result
			done := 0
			for b.Loop() {
				r = establish.Run(ctx, max(2*concurrent, 4), concurrent, func(ctx context.Context, i int) (time.Duration, error) {
					ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
					defer cancel()
					start := time.Now()
					a, err := e.acc.Accept(ctx, establishmentForm(e.applicant), fmt.Sprintf("clerk-%d", i))
					if err != nil {
						return 0, err
					}
					at, err := bundles.Wait(ctx, a.ID)
					return at.Sub(start), err
				})
				if r.Failed > 0 {
					b.Fatal(r)
				}
				done += r.N
			}
			b.Log(r)
			b.ReportMetric(r.PerMinute, "establishments/min")
			b.ReportMetric(r.Mean.Seconds(), "s-to-bundle")
			b.ReportMetric(r.P50.Seconds(), "s-to-bundle-p50")
			b.ReportMetric(r.P99.Seconds(), "s-to-bundle-p99")
			b.ReportMetric(r.Max.Seconds(), "s-to-bundle-max")
			b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(done), "cpu-ms/establishment")
		})
	}
}

// cpuTime returns the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
