package acceptance_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/acceptance"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/jobs"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
	"github.com/kaiban-platform/kaiban/services/internal/projection"
	"github.com/kaiban-platform/kaiban/services/internal/registry"
)

var ctx = context.Background()

// deptPassword unlocks every department's key in the tests; firmPassword
// the applicant's.
const (
	deptPassword = "department-key-password"
	firmPassword = "applicant-unlock-password"
)

// env is a devnet on which the operator bootstrapped the chain and the seven
// departments joined with keys held by the key service, an active enterprise
// subject (the applicant), a migrated database with the projection running,
// an outbox worked by River, and the acceptance service over them.
type env struct {
	chain     *chain.Client
	pool      *pgxpool.Pool
	keys      *keys.Service
	ob        *outbox.Outbox
	registry  *registry.Service
	svc       *acceptance.Service
	applicant string
}

var departments = map[string]string{
	model.DeptMarket: "MarketMSP", model.DeptSeal: "SealMSP", model.DeptSocial: "SocialMSP", model.DeptMedical: "MedicalMSP",
	model.DeptHousingFund: "HousingFundMSP", model.DeptBank: "BankMSP", model.DeptTax: "TaxMSP",
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{pool: pgtest.New(t)}
	if _, err := jobs.Migrate(ctx, e.pool); err != nil {
		t.Fatal(err)
	}
	net := chaintest.Start(t, chaintest.Options{})
	e.chain = net.Connect(t)
	var err error
	if e.keys, err = keys.New(e.pool, keys.Config{KDF: keys.KDF{Algorithm: keys.KDFPBKDF2SM3, Iterations: keys.MinIterations}}); err != nil {
		t.Fatal(err)
	}
	e.found(t)
	if e.ob, err = outbox.New(e.pool, e.chain, outbox.Config{Key: []byte("0123456789abcdef"), RetryBase: 50 * time.Millisecond, LaneWait: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	e.ob.Register(workers)
	rc, err := jobs.NewClient(e.pool, workers, jobs.Config{Queues: map[string]int{outbox.Queue: 8}, FetchPollInterval: 50 * time.Millisecond})
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
	id, err := e.chain.Identity(chaintest.Operator)
	if err != nil {
		t.Fatal(err)
	}
	pctx, stopProjection := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		projection.New(e.pool, id, projection.WithRetryDelay(50*time.Millisecond)).Run(pctx)
	}()
	t.Cleanup(func() { stopProjection(); <-done })
	protector, err := pii.New(1, bytes.Repeat([]byte{7}, pii.MasterKeySize), nil)
	if err != nil {
		t.Fatal(err)
	}
	e.registry = registry.New(e.pool)
	if e.svc, err = acceptance.New(acceptance.Config{Pool: e.pool, Registry: e.registry, Outbox: e.ob, PII: protector,
		Clerk: chaintest.Operator + "/clerk", Keys: e.keys}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "applicant projected", func() bool {
		var n int
		_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM ledger_subjects WHERE id = $1 AND status = 'active'`, e.applicant).Scan(&n)
		return n == 1
	})
	return e
}

// found bootstraps the chain by the operator, admits the seven departments
// with keys generated in the key service, and opens an active enterprise.
func (e *env) found(t testing.TB) {
	t.Helper()
	submit := func(ref, chaincode, function string, args ...string) *chain.Result {
		t.Helper()
		ct, err := e.chain.Contract(ref, chaincode)
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
	app := model.MemberApplication{ID: chaintest.Operator, Name: "operator", Kind: model.MemberOperator, PublicKey: opPub}
	submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "Bootstrap", chaintest.Signed(opKey, "subject.Bootstrap", &app)...)
	for code, msp := range departments {
		owner := keys.Owner{Kind: keys.KindDepartment, ID: msp}
		k, err := e.keys.Generate(ctx, owner, deptPassword)
		if err != nil {
			t.Fatal(err)
		}
		join := model.MemberApplication{ID: msp, Name: code, Kind: model.MemberDepartment, Department: code, PublicKey: k.PublicKeyPEM}
		canonical := chaintest.Canonical(&join)
		sig, err := e.keys.Sign(ctx, owner, deptPassword, model.SigningMessage("subject.ApplyMember", []byte(canonical)))
		if err != nil {
			t.Fatal(err)
		}
		submit(msp+"/Admin", model.ChaincodeSubject, "ApplyMember", canonical, keys.EncodeSignature(sig.Value))
		submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "ReviewMember", chaintest.Canonical(&model.MemberReview{Member: msp, Approve: true}))
	}
	salt, _ := gm.NewSalt()
	app2 := model.SubjectApplication{Kind: model.SubjectEnterprise, Commitments: map[string]string{
		model.CommitIdentity: gm.Commitment(salt, []byte("acceptance firm")),
		model.CommitLegalRep: gm.Commitment(salt, []byte("acceptance firm legal representative")),
	}}
	firmOwner := keys.Owner{Kind: keys.KindSubject, ID: model.SubjectID(app2.Kind, app2.Commitments[model.CommitIdentity])}
	fk, err := e.keys.Generate(ctx, firmOwner, firmPassword)
	if err != nil {
		t.Fatal(err)
	}
	app2.PublicKey = fk.PublicKeyPEM
	canonical := chaintest.Canonical(&app2)
	fsig, err := e.keys.Sign(ctx, firmOwner, firmPassword, model.SigningMessage("subject.ApplySubject", []byte(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	res := submit(chaintest.Operator, model.ChaincodeSubject, "ApplySubject", canonical, keys.EncodeSignature(fsig.Value))
	var firm model.Subject
	if err := res.Decode(&firm); err != nil {
		t.Fatal(err)
	}
	e.applicant = firm.ID
	submit(chaintest.Operator, model.ChaincodeSubject, "ReviewSubject", chaintest.Canonical(&model.SubjectReview{
		Subject: firm.ID, Approve: true, Permissions: []model.Permission{model.PermTransact},
	}))
	// The establishment item's address proof, issued by the market department.
	submit(chaintest.Operator, model.ChaincodeAsset, "DefineAssetType", chaintest.Canonical(&model.AssetTypeDefinition{
		Code: "address-proof", Name: "住所使用证明", Schema: `{"type":"object"}`, Issuers: []string{"MarketMSP"},
	}))
}

// finished waits until the outbox write under key is done or failed.
func (e *env) finished(t testing.TB, key string) *outbox.Entry {
	t.Helper()
	var en *outbox.Entry
	eventually(t, "write "+key, func() bool {
		var err error
		en, err = e.ob.Get(ctx, key)
		if err != nil && !errors.Is(err, outbox.ErrNotFound) {
			t.Fatal(err)
		}
		return en != nil && (en.Status == outbox.StatusDone || en.Status == outbox.StatusFailed)
	})
	return en
}

// stepState reads a projected step's status and readiness.
func (e *env) stepState(process, step string) (status string, ready bool) {
	_ = e.pool.QueryRow(ctx, `SELECT status, ready FROM ledger_steps WHERE process = $1 AND step_key = $2`, process, step).Scan(&status, &ready)
	return status, ready
}

// eventually retries cond until it holds or 20 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 20s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
