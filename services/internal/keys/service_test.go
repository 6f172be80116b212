package keys

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
)

// The tests in this file run against a real PostgreSQL through pgtest,
// which starts a project cluster when none is configured.

var testNow = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	svc   *Service
	pool  *pgxpool.Pool
	clock *testClock
	ctx   context.Context
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	pool := pgtest.New(t)
	clock := &testClock{t: testNow}
	if cfg.KDF == (KDF{}) {
		cfg.KDF = testKDF
	}
	cfg.Now = clock.now
	svc, err := New(pool, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, pool: pool, clock: clock, ctx: context.Background()}
}

func subject(n int) Owner    { return Owner{Kind: KindSubject, ID: fmt.Sprintf("%032x", n)} }
func department(n int) Owner { return Owner{Kind: KindDepartment, ID: fmt.Sprintf("Dept%dMSP", n)} }

func (f *fixture) generate(t *testing.T, o Owner, password string) Key {
	t.Helper()
	k, err := f.svc.Generate(f.ctx, o, password)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// count returns the number of rows of a table, to show that a refused
// request changed nothing.
func (f *fixture) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestService_GenerateUnlockSignVerify(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	k := f.generate(t, owner, "locker password")
	if k.Status != StatusActive || k.Version != 1 || k.Owner != owner || !k.CreatedAt.Equal(testNow) {
		t.Fatalf("key %+v", k)
	}
	if _, err := f.svc.Generate(f.ctx, owner, "another password"); !errors.Is(err, ErrExists) {
		t.Fatalf("second Generate: %v", err)
	}
	msg := model.SigningMessage("asset.IssueAsset", []byte(`{"id":"x"}`))
	sig, err := f.svc.Sign(f.ctx, owner, "locker password", msg)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := k.PublicKey()
	if !gm.Verify(pub, msg, sig.Value) || sig.KeyID != k.ID {
		t.Fatal("signature does not verify")
	}
	if got, err := f.svc.Verify(f.ctx, owner, msg, sig.Value); err != nil || got.ID != k.ID {
		t.Fatalf("Verify = %v, %v", got.ID, err)
	}
	if _, err := f.svc.Verify(f.ctx, owner, []byte("other"), sig.Value); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify other message: %v", err)
	}
	if _, err := f.svc.Sign(f.ctx, owner, "wrong password", msg); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := f.svc.Sign(f.ctx, subject(2), "locker password", msg); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown owner: %v", err)
	}

	// Nothing in the row is the private key in clear.
	sk, err := f.svc.Unlock(f.ctx, owner, "locker password")
	if err != nil {
		t.Fatal(err)
	}
	scalar := sk.mat.priv.D.FillBytes(make([]byte, 32))
	sym := bytes.Clone(sk.mat.sym)
	sk.Destroy()
	var row []byte
	if err := f.pool.QueryRow(f.ctx, `SELECT convert_to(t::text, 'UTF8') FROM keys t`).Scan(&row); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(row, scalar) || bytes.Contains(row, []byte(fmt.Sprintf("%x", scalar))) || bytes.Contains(row, sym) ||
		bytes.Contains(row, []byte(fmt.Sprintf("%x", sym))) {
		t.Fatal("the keys row holds a secret in clear")
	}
}

func TestService_Generate_BadInput(t *testing.T) {
	f := newFixture(t, Config{})
	for name, c := range map[string]struct {
		owner    Owner
		password string
	}{
		"bad subject ID":   {Owner{KindSubject, "Org1"}, "locker password"},
		"bad kind":         {Owner{"user", "u1"}, "locker password"},
		"short password":   {subject(1), "short"},
		"empty password":   {subject(1), ""},
		"huge password":    {subject(1), strings.Repeat("p", MaxPasswordLen+1)},
		"not UTF-8":        {subject(1), "password\xff\xfe"},
		"department empty": {Owner{KindDepartment, ""}, "locker password"},
	} {
		if _, err := f.svc.Generate(f.ctx, c.owner, c.password); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := f.count(t, "keys"); n != 0 {
		t.Fatalf("%d keys stored", n)
	}
}

func TestService_WrongPassword_LocksOutThenCoolsDown(t *testing.T) {
	f := newFixture(t, Config{Lockout: Lockout{MaxFailures: 3, Cooldown: 10 * time.Minute}})
	owner := subject(1)
	f.generate(t, owner, "locker password")
	for i := range 3 {
		if _, err := f.svc.Unlock(f.ctx, owner, "guess"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Locked: even the right password is not tried.
	_, err := f.svc.Unlock(f.ctx, owner, "locker password")
	var locked *LockedError
	if !errors.As(err, &locked) || !errors.Is(err, ErrLocked) || !locked.Until.Equal(testNow.Add(10*time.Minute)) {
		t.Fatalf("after 3 failures: %v", err)
	}
	if d := locked.RetryAfter(testNow); d != 10*time.Minute {
		t.Fatalf("RetryAfter = %s", d)
	}
	// Other owners are not affected.
	other := subject(2)
	f.generate(t, other, "other password")
	if sk, err := f.svc.Unlock(f.ctx, other, "other password"); err != nil {
		t.Fatal(err)
	} else {
		sk.Destroy()
	}
	f.clock.advance(9 * time.Minute)
	if _, err := f.svc.Unlock(f.ctx, owner, "locker password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("during the cool-down: %v", err)
	}
	f.clock.advance(time.Minute)
	sk, err := f.svc.Unlock(f.ctx, owner, "locker password")
	if err != nil {
		t.Fatalf("after the cool-down: %v", err)
	}
	sk.Destroy()
	// Success resets the count: two more failures do not lock.
	for range 2 {
		f.svc.Unlock(f.ctx, owner, "guess")
	}
	if sk, err := f.svc.Unlock(f.ctx, owner, "locker password"); err != nil {
		t.Fatalf("after 2 failures and a reset: %v", err)
	} else {
		sk.Destroy()
	}
}

// TestService_ParallelGuessesCannotExceedTheLimit fires many wrong guesses
// at once; every attempt counts before its derivation, so no more than
// MaxFailures passwords are ever tried.
func TestService_ParallelGuessesCannotExceedTheLimit(t *testing.T) {
	f := newFixture(t, Config{Lockout: Lockout{MaxFailures: 4, Cooldown: time.Hour}})
	owner := subject(1)
	f.generate(t, owner, "locker password")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		tried   int
		refused int
	)
	for range 16 {
		wg.Go(func() {
			_, err := f.svc.Unlock(f.ctx, owner, "guess")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ErrBadPassword):
				tried++
			case errors.Is(err, ErrLocked):
				refused++
			default:
				t.Errorf("unexpected %v", err)
			}
		})
	}
	wg.Wait()
	if tried > 4 || tried+refused != 16 {
		t.Fatalf("%d passwords tried, %d refused", tried, refused)
	}
}

func TestService_ChangePassword_RewrapsEveryKey(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	first := f.generate(t, owner, "old password")
	rot, err := f.svc.Rotate(f.ctx, owner, "old password", "yearly rotation")
	if err != nil {
		t.Fatal(err)
	}
	var before [][]byte
	rows, _ := f.pool.Query(f.ctx, `SELECT wrapped_private FROM keys ORDER BY version`)
	for rows.Next() {
		var b []byte
		rows.Scan(&b)
		before = append(before, b)
	}
	if err := f.svc.ChangePassword(f.ctx, owner, "wrong password", "new password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong old password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, owner, "old password", "short"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short new password: %v", err)
	}
	if err := f.svc.ChangePassword(f.ctx, owner, "old password", "new password"); err != nil {
		t.Fatal(err)
	}
	keys, _ := f.svc.Keys(f.ctx, owner)
	if len(keys) != 2 || keys[0].ID != rot.New.ID || keys[1].ID != first.ID || keys[0].PublicKeyPEM != rot.New.PublicKeyPEM {
		t.Fatalf("keys changed: %+v", keys)
	}
	if _, err := f.svc.Unlock(f.ctx, owner, "old password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("old password still opens: %v", err)
	}
	// Both versions open with the new password (the retired one through a
	// symmetric unwrap of a key it wrapped).
	sk, err := f.svc.Unlock(f.ctx, owner, "new password")
	if err != nil {
		t.Fatal(err)
	}
	sk.Destroy()
	rs, _ := f.svc.db.ownerKeys(f.ctx, owner)
	for i, r := range rs {
		if bytes.Equal(r.custody.Sealed, before[len(before)-1-i]) {
			t.Fatalf("key %s was not re-sealed", r.ID)
		}
		sk, err := f.svc.open(f.ctx, r, "new password")
		if err != nil {
			t.Fatalf("key %s under the new password: %v", r.ID, err)
		}
		sk.Destroy()
	}
}

// TestService_ChangePassword_ConcurrentChangesNeverSplitKeys races two
// changes to different passwords: one wins, the other gets ErrConflict, and
// all keys end under the winner's password.
func TestService_ChangePassword_ConcurrentChangesNeverSplitKeys(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	f.generate(t, owner, "old password")
	for range 2 {
		if _, err := f.svc.Rotate(f.ctx, owner, "old password", "rotation"); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, p := range []string{"password one", "password two"} {
		wg.Go(func() { errs[i] = f.svc.ChangePassword(f.ctx, owner, "old password", p) })
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			winner = []string{"password one", "password two"}[i]
		case errors.Is(err, ErrConflict), errors.Is(err, ErrBadPassword):
			// lost the race, or started after the winner committed
		default:
			t.Fatalf("change %d: %v", i, err)
		}
	}
	if winner == "" {
		t.Fatalf("no change won: %v", errs)
	}
	rs, _ := f.svc.db.ownerKeys(f.ctx, owner)
	for _, r := range rs {
		sk, err := f.svc.open(f.ctx, r, winner)
		if err != nil {
			t.Fatalf("key %s is not under the winning password: %v", r.ID, err)
		}
		sk.Destroy()
	}
}

func TestService_Unlock_RehashesWeakParameters(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	f.generate(t, owner, "locker password")
	stronger, err := New(f.pool, Config{KDF: KDF{KDFPBKDF2SM3, 2 * MinIterations}, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	sk, err := stronger.Unlock(f.ctx, owner, "locker password")
	if err != nil {
		t.Fatal(err)
	}
	sk.Destroy()
	var iters int
	var rev int64
	f.pool.QueryRow(f.ctx, `SELECT kdf_iterations, custody_rev FROM keys`).Scan(&iters, &rev)
	if iters != 2*MinIterations || rev != 2 {
		t.Fatalf("after unlock: %d iterations, revision %d", iters, rev)
	}
	// Still the same password, and nothing to upgrade the second time.
	sk, err = stronger.Unlock(f.ctx, owner, "locker password")
	if err != nil {
		t.Fatal(err)
	}
	sk.Destroy()
	f.pool.QueryRow(f.ctx, `SELECT custody_rev FROM keys`).Scan(&rev)
	if rev != 2 {
		t.Fatalf("re-sealed again: revision %d", rev)
	}
}

// TestService_TamperedCustody_DoesNotOpen swaps two owners' sealed keys and
// lowers an iteration count in the database: neither opens.
func TestService_TamperedCustody_DoesNotOpen(t *testing.T) {
	f := newFixture(t, Config{})
	a, b := subject(1), subject(2)
	f.generate(t, a, "same password")
	f.generate(t, b, "same password")
	if _, err := f.pool.Exec(f.ctx, `UPDATE keys SET wrapped_private = o.wrapped_private, kdf_salt = o.kdf_salt
		FROM keys o WHERE keys.owner_id = $1 AND o.owner_id = $2`, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Unlock(f.ctx, a, "same password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("transplanted custody: %v", err)
	}
	f.pool.Exec(f.ctx, `UPDATE keys SET kdf_iterations = $2 WHERE owner_id = $1`, b.ID, MinIterations+1)
	if _, err := f.svc.Unlock(f.ctx, b, "same password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("edited iterations: %v", err)
	}
}

func TestService_WrapUnwrap_BothModes(t *testing.T) {
	f := newFixture(t, Config{})
	owner, other := subject(1), subject(2)
	f.generate(t, owner, "locker password")
	f.generate(t, other, "other password")
	asset := model.DeriveID("asset", "licence", owner.ID)
	dataKey, _ := gm.NewDataKey()

	asym, err := f.svc.WrapFor(f.ctx, owner, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	sym, err := f.svc.WrapSymmetric(f.ctx, owner, "locker password", asset, dataKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []model.WrappedKey{asym, sym} {
		got, err := f.svc.Unwrap(f.ctx, owner, "locker password", asset, w)
		if err != nil || !bytes.Equal(got, dataKey) {
			t.Fatalf("%s: %x, %v", w.Mode, got, err)
		}
		// The wrapped key is what the asset chaincode accepts.
		digest := gm.Hex([]byte("content"))
		issue := model.AssetIssue{Type: "business-licence", Owner: owner.ID, Issuer: "MarketMSP", Channel: model.ChannelDepartment,
			BusinessKey: "APP-1/licence", ContentDigest: digest, CipherDigest: digest, StorageRef: "minio://assets/" + digest,
			Size: 10, Encryption: w.Mode, Keys: []model.WrappedKey{w}}
		if err := issue.Validate(); err != nil {
			t.Fatalf("%s wrapped key in an asset issue: %v", w.Mode, err)
		}
	}
	if _, err := f.svc.Unwrap(f.ctx, owner, "locker password", model.DeriveID("asset", "other"), sym); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("symmetric key for another asset: %v", err)
	}
	if _, err := f.svc.Unwrap(f.ctx, owner, "wrong password", asset, sym); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	// other's key cannot open what was wrapped for owner, even relabelled.
	relabelled := asym
	relabelled.Recipient = other.ID
	if _, err := f.svc.Unwrap(f.ctx, other, "other password", asset, relabelled); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("asymmetric key of another owner: %v", err)
	}
	relabelled = sym
	relabelled.Recipient = other.ID
	if _, err := f.svc.Unwrap(f.ctx, other, "other password", asset, relabelled); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("symmetric key of another owner: %v", err)
	}
	if _, err := f.svc.Unwrap(f.ctx, other, "other password", asset, asym); !errors.Is(err, ErrInvalid) {
		t.Fatalf("key wrapped for someone else: %v", err)
	}
	if _, err := f.svc.WrapSymmetric(f.ctx, owner, "locker password", asset, dataKey[:8]); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short data key: %v", err)
	}
	if _, err := f.svc.WrapFor(f.ctx, subject(3), dataKey); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recipient without key: %v", err)
	}
}

func TestService_Rotate_Subject(t *testing.T) {
	var hooked []KeyChange
	f := newFixture(t, Config{OnSubjectKeyChange: func(ctx context.Context, tx pgx.Tx, ch KeyChange) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM keys WHERE key_id = $1`, ch.OldKeyID).Scan(&n); err != nil || n != 1 {
			return fmt.Errorf("hook does not see the rotation's transaction: %d, %v", n, err)
		}
		hooked = append(hooked, ch)
		return nil
	}})
	owner := subject(1)
	old := f.generate(t, owner, "locker password")
	asset := model.DeriveID("asset", "a")
	dataKey, _ := gm.NewDataKey()
	oldAsym, _ := f.svc.WrapFor(f.ctx, owner, dataKey)
	oldSym, _ := f.svc.WrapSymmetric(f.ctx, owner, "locker password", asset, dataKey)
	oldSig, _ := f.svc.Sign(f.ctx, owner, "locker password", []byte("before"))

	if _, err := f.svc.Rotate(f.ctx, owner, "locker password", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty note: %v", err)
	}
	f.clock.advance(time.Hour)
	rot, err := f.svc.Rotate(f.ctx, owner, "locker password", "yearly rotation")
	if err != nil {
		t.Fatal(err)
	}
	if rot.Old.ID != old.ID || rot.Old.Status != StatusRetired || rot.New.Version != 2 || rot.New.Status != StatusActive || rot.Backup != nil {
		t.Fatalf("rotation %+v", rot)
	}
	if len(hooked) != 1 || hooked[0] != *rot.Change {
		t.Fatalf("hook saw %v", hooked)
	}
	// The chain request: canonical, naming the new key, signed by the old.
	var req model.SubjectKeyChange
	if err := model.DecodeCanonical(rot.Change.Canonical, &req); err != nil || req.PublicKey != rot.New.PublicKeyPEM || req.Subject != owner.ID {
		t.Fatalf("request %+v, %v", req, err)
	}
	sig, _ := base64.StdEncoding.DecodeString(rot.Change.Signature)
	oldPub, _ := old.PublicKey()
	if !gm.Verify(oldPub, model.SigningMessage("subject.ChangeSubjectKey", []byte(rot.Change.Canonical)), sig) {
		t.Fatal("the change is not signed by the old key")
	}

	keys, _ := f.svc.Keys(f.ctx, owner)
	if len(keys) != 2 || keys[0].ID != rot.New.ID || keys[1].Status != StatusRetired || !keys[1].RetiredAt.Equal(testNow.Add(time.Hour)) {
		t.Fatalf("keys %+v", keys)
	}
	// New signatures come from the new key; old ones still verify.
	newSig, _ := f.svc.Sign(f.ctx, owner, "locker password", []byte("after"))
	if newSig.KeyID != rot.New.ID {
		t.Fatalf("signed with %s", newSig.KeyID)
	}
	if k, err := f.svc.Verify(f.ctx, owner, []byte("before"), oldSig.Value); err != nil || k.ID != old.ID {
		t.Fatalf("old signature: %v %v", k.ID, err)
	}
	// What was wrapped for the old key still opens.
	for _, w := range []model.WrappedKey{oldAsym, oldSym} {
		if got, err := f.svc.Unwrap(f.ctx, owner, "locker password", asset, w); err != nil || !bytes.Equal(got, dataKey) {
			t.Fatalf("%s wrapped before rotation: %v", w.Mode, err)
		}
	}
	// New wraps use the new key.
	w, _ := f.svc.WrapFor(f.ctx, owner, dataKey)
	sk, _ := f.svc.Unlock(f.ctx, owner, "locker password")
	raw, _ := base64.StdEncoding.DecodeString(w.Key)
	if _, err := sk.Decrypt(raw); err != nil {
		t.Fatal("new wrap is not for the new key")
	}
	sk.Destroy()
}

func TestService_Rotate_HookFailureRollsBack(t *testing.T) {
	f := newFixture(t, Config{OnSubjectKeyChange: func(context.Context, pgx.Tx, KeyChange) error {
		return errors.New("outbox unavailable")
	}})
	owner := subject(1)
	old := f.generate(t, owner, "locker password")
	if _, err := f.svc.Rotate(f.ctx, owner, "locker password", "rotation"); err == nil {
		t.Fatal("rotation succeeded without its chain write")
	}
	keys, _ := f.svc.Keys(f.ctx, owner)
	if len(keys) != 1 || keys[0].ID != old.ID || keys[0].Status != StatusActive {
		t.Fatalf("keys after a failed rotation: %+v", keys)
	}
}

func TestService_Rotate_DepartmentSignsItsMemberKeyChange(t *testing.T) {
	var hooked []MemberKeyChange
	f := newFixture(t, Config{OnMemberKeyChange: func(_ context.Context, _ pgx.Tx, c MemberKeyChange) error {
		hooked = append(hooked, c)
		return nil
	}})
	d := department(1)
	old := f.generate(t, d, "department password")
	// The chain refuses a change without a note, so the service does first.
	if _, err := f.svc.Rotate(f.ctx, d, "department password", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("no note: %v", err)
	}
	rot, err := f.svc.Rotate(f.ctx, d, "department password", "yearly rotation")
	if err != nil {
		t.Fatal(err)
	}
	c := rot.MemberChange
	if rot.Change != nil || c == nil || rot.New.Version != 2 || len(hooked) != 1 || hooked[0] != *c {
		t.Fatalf("rotation %+v, hooked %+v", rot, hooked)
	}
	if c.Request.Member != d.ID || c.Request.PublicKey != rot.New.PublicKeyPEM || c.OldKeyID != old.ID {
		t.Fatalf("change %+v", c)
	}
	canon, _ := model.Canonical(&c.Request)
	if string(canon) != c.Canonical {
		t.Fatalf("canonical %s, want %s", c.Canonical, canon)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := gm.ParsePublicKeyPEM([]byte(old.PublicKeyPEM))
	if !gm.Verify(pub, model.SigningMessage(ActionChangeMemberKey, canon), sig) {
		t.Fatal("the change is not signed by the old key")
	}
	newPub, _ := gm.ParsePublicKeyPEM([]byte(rot.New.PublicKeyPEM))
	if gm.Verify(newPub, model.SigningMessage(ActionChangeMemberKey, canon), sig) {
		t.Fatal("the change verifies under the new key")
	}
}
