package locker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
	"github.com/kaiban-platform/kaiban/services/internal/locker"
	"github.com/kaiban-platform/kaiban/services/internal/objectstore"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
	"github.com/kaiban-platform/kaiban/services/internal/platformtest"
)

var ctx = context.Background()

// env is a devnet with the fixture consortium, a migrated database, the key
// service, a filesystem object store, an outbox worked by River, and the
// locker service over them.
type env struct {
	chain  *chain.Client
	k      *chaintest.Consortium
	pool   *pgxpool.Pool
	keys   *keys.Service
	store  *objectstore.FS
	ob     *outbox.Outbox
	locker *locker.Service
}

func newEnv(t testing.TB) *env {
	t.Helper()
	p := platformtest.Start(t, platformtest.Options{})
	return &env{chain: p.Chain, k: p.Consortium, pool: p.Pool, keys: p.Keys, store: p.Store, ob: p.Outbox, locker: p.Locker}
}

// subjectWithKeys opens an active enterprise subject on chain whose key is in
// the key service under password, directly through the chain client.
func (e *env) subjectWithKeys(t testing.TB, name, password string) string {
	t.Helper()
	salt, err := gm.NewSalt()
	if err != nil {
		t.Fatal(err)
	}
	app := model.SubjectApplication{Kind: model.SubjectEnterprise, Commitments: map[string]string{
		model.CommitIdentity: gm.Commitment(salt, []byte(name)),
		model.CommitLegalRep: gm.Commitment(salt, []byte(name+" legal representative")),
	}}
	id := model.SubjectID(app.Kind, app.Commitments[model.CommitIdentity])
	key, err := e.keys.Generate(ctx, keys.Owner{Kind: keys.KindSubject, ID: id}, password)
	if err != nil {
		t.Fatal(err)
	}
	app.PublicKey = key.PublicKeyPEM
	canonical := chaintest.Canonical(&app)
	sig, err := e.keys.Sign(ctx, keys.Owner{Kind: keys.KindSubject, ID: id}, password, model.SigningMessage("subject.ApplySubject", []byte(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := e.chain.Contract(chaintest.Operator, model.ChaincodeSubject)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Submit(ctx, "ApplySubject", chain.WithArguments(canonical, keys.EncodeSignature(sig.Value))); err != nil {
		t.Fatal(err)
	}
	if _, err := ct.Submit(ctx, "ReviewSubject", chain.WithArguments(chaintest.Canonical(&model.SubjectReview{
		Subject: id, Approve: true, Permissions: []model.Permission{model.PermTransact},
	}))); err != nil {
		t.Fatal(err)
	}
	return id
}

// inTx runs fn in a committed transaction.
func (e *env) inTx(t testing.TB, fn func(tx pgx.Tx) error) error {
	t.Helper()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// finished waits until the outbox write under key is done or failed.
func (e *env) finished(t testing.TB, key string) *outbox.Entry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		en, err := e.ob.Get(ctx, key)
		if err != nil && !errors.Is(err, outbox.ErrNotFound) {
			t.Fatal(err)
		}
		if en != nil && (en.Status == outbox.StatusDone || en.Status == outbox.StatusFailed) {
			return en
		}
		if time.Now().After(deadline) {
			t.Fatalf("write %s not finished: %+v", key, en)
		}
		time.Sleep(20 * time.Millisecond)
	}
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

// Resident ID numbers with valid check digits.
const (
	idZhang = "11010519491231002X"
	idLi    = "440524188001010014"
)

// openActive opens an enterprise locker through the service, approves it and
// waits until the chain's answer is projected.
func (e *env) openActive(t testing.TB, name, password string) *locker.Locker {
	t.Helper()
	l, err := e.locker.Open(ctx, locker.OpenInput{
		Enterprise: &locker.Enterprise{Name: name, Type: "有限责任公司", Address: "济南市历下区"},
		LegalRep:   &locker.Person{Name: "张三", IDNumber: idZhang}, ClerkID: "clerk-1", Password: password,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.locker.Review(ctx, l.ID, locker.ReviewInput{Approve: true, Reviewer: "reviewer-1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "locker active", func() bool {
		got, err := e.locker.Get(ctx, l.ID)
		return err == nil && got.Status == model.StatusActive
	})
	return l
}

// Members and the asset type the locker tests add to the fixture.
const (
	Bank   = "BankMSP"
	IDCopy = "id-copy" // self-upload type reviewed (and issuable) by Bank
)

// joinBank admits BankMSP as an institution whose member key is in the key
// service under password, and defines the self-upload type IDCopy with Bank
// as reviewer and issuer.
func (e *env) joinBank(t testing.TB, password string) {
	t.Helper()
	key, err := e.keys.Generate(ctx, keys.Owner{Kind: keys.KindDepartment, ID: Bank}, password)
	if err != nil {
		t.Fatal(err)
	}
	app := model.MemberApplication{ID: Bank, Name: "Bank", Kind: model.MemberInstitution, PublicKey: key.PublicKeyPEM}
	canonical := chaintest.Canonical(&app)
	sig, err := e.keys.Sign(ctx, keys.Owner{Kind: keys.KindDepartment, ID: Bank}, password, model.SigningMessage("subject.ApplyMember", []byte(canonical)))
	if err != nil {
		t.Fatal(err)
	}
	submit := func(ref, cc, fn string, args ...string) {
		t.Helper()
		ct, err := e.chain.Contract(ref, cc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ct.Submit(ctx, fn, chain.WithArguments(args...)); err != nil {
			t.Fatalf("%s: %v", fn, err)
		}
	}
	submit(Bank+"/Admin", model.ChaincodeSubject, "ApplyMember", canonical, keys.EncodeSignature(sig.Value))
	submit(chaintest.Operator+"/Admin", model.ChaincodeSubject, "ReviewMember", chaintest.Canonical(&model.MemberReview{Member: Bank, Approve: true}))
	submit(chaintest.Operator, model.ChaincodeAsset, "DefineAssetType", chaintest.Canonical(&model.AssetTypeDefinition{
		Code: IDCopy, Name: "身份证复印件", Schema: `{"type":"object"}`, Issuers: []string{Bank}, Reviewers: []string{Bank}, SelfUpload: true,
	}))
}

// projectedAsset waits until the asset is projected with status.
func (e *env) projectedAsset(t testing.TB, id, status string) {
	t.Helper()
	eventually(t, "asset "+id+" "+status, func() bool {
		var s string
		return e.pool.QueryRow(ctx, `SELECT status FROM ledger_assets WHERE id = $1`, id).Scan(&s) == nil && s == status
	})
}
