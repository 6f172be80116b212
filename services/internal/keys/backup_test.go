package keys

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/chaincode/model"
)

// Tests of k-of-n backup and recovery against a real PostgreSQL (pgtest).

const deptPassword = "department password"

// windowAdmin is the security administrator who opens a recovery for an
// owner that proved who it is at the window.
var windowAdmin = Requester{Name: "window clerk 7", SecurityAdmin: true}

// TestService_StartRecovery_OnlyOwnerOrSecurityAdmin checks who may open a
// recovery (whoever does chooses the recovered keys' password): a security
// administrator for any owner, a department for its own keys; another
// department, a requester who is no owner and a subject's look-alike are
// ErrForbidden, and nothing is stored.
func TestService_StartRecovery_OnlyOwnerOrSecurityAdmin(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	depts := f.departments(t, 4)
	self := department(4)
	f.generate(t, owner, "forgotten password")
	if _, err := f.svc.Split(f.ctx, owner, "forgotten password", 2, depts[:3]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Split(f.ctx, self, deptPassword, 2, depts[:3]); err != nil {
		t.Fatal(err)
	}
	before := f.count(t, "key_recoveries")
	for name, c := range map[string]struct {
		owner Owner
		req   Requester
	}{
		"another department for a subject":    {owner, Requester{Name: "dept 1 system", Self: department(1)}},
		"another department for a department": {self, Requester{Name: "dept 1 system", Self: department(1)}},
		"no owner, no administrator":          {owner, Requester{Name: "clerk"}},
		"same ID, other kind":                 {self, Requester{Name: "x", Self: Owner{Kind: KindSubject, ID: self.ID}}},
	} {
		if _, err := f.svc.StartRecovery(f.ctx, c.owner, "brand new password", c.req); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want ErrForbidden", name, err)
		}
	}
	if n := f.count(t, "key_recoveries"); n != before {
		t.Fatalf("refused requests stored %d recoveries", n-before)
	}
	if _, err := f.svc.StartRecovery(f.ctx, self, "brand new password", Requester{Name: "dept 4 system", Self: self}); err != nil {
		t.Fatalf("a department for its own keys: %v", err)
	}
	rec, err := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	if err != nil || rec.RequestedBy != windowAdmin.Name {
		t.Fatalf("a security administrator for a subject: %+v, %v", rec, err)
	}
}

// departments gives n departments keys and returns their IDs.
func (f *fixture) departments(t *testing.T, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		d := department(i + 1)
		f.generate(t, d, deptPassword)
		ids[i] = d.ID
	}
	return ids
}

// decryptShare is what a department system does outside the service: fetch
// its encrypted share and decrypt it with its own private key.
func (f *fixture) decryptShare(t *testing.T, recoveryID, dept string) []byte {
	t.Helper()
	ct, h, err := f.svc.EncryptedShare(f.ctx, recoveryID, dept)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.db.keyByID(f.ctx, h.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := f.svc.open(f.ctx, r, deptPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Destroy()
	plain, err := gm.Decrypt(sk.mat.priv, ct)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

func TestService_SplitAndRecover_AnyThreeOfFive(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	depts := f.departments(t, 5)
	first := f.generate(t, owner, "forgotten password")
	if _, err := f.svc.Rotate(f.ctx, owner, "forgotten password", "rotation"); err != nil {
		t.Fatal(err)
	}
	asset := model.DeriveID("asset", "x")
	dataKey, _ := gm.NewDataKey()
	oldWrapped, _ := f.svc.WrapSymmetric(f.ctx, owner, "forgotten password", asset, dataKey)

	b, err := f.svc.Split(f.ctx, owner, "forgotten password", 3, depts)
	if err != nil {
		t.Fatal(err)
	}
	if b.Threshold != 3 || len(b.Holders) != 5 || len(b.KeyIDs) != 2 || b.KeyIDs[1] != first.ID {
		t.Fatalf("backup %+v", b)
	}
	for i, h := range b.Holders {
		if h.Index != i+1 || h.Department != depts[i] {
			t.Fatalf("holder %d: %+v", i, h)
		}
	}

	// Every 3-subset of the five departments recovers, each with a fresh
	// password; a recovery of a subset then becomes the next one's start.
	password := "forgotten password"
	n := 0
	for a := 0; a < 5; a++ {
		for b := a + 1; b < 5; b++ {
			for c := b + 1; c < 5; c++ {
				n++
				next := fmt.Sprintf("new password %d", n)
				rec, err := f.svc.StartRecovery(f.ctx, owner, next, windowAdmin)
				if err != nil || rec.RequestedBy != "window clerk 7" {
					t.Fatalf("start: %+v, %v", rec, err)
				}
				// One department decrypts outside and submits; the others
				// release with their passwords inside the service.
				if _, err := f.svc.SubmitShare(f.ctx, rec.ID, depts[a], f.decryptShare(t, rec.ID, depts[a])); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.ReleaseShare(f.ctx, rec.ID, depts[b], deptPassword); err != nil {
					t.Fatal(err)
				}
				if v, _ := f.svc.Recovery(f.ctx, rec.ID); v.Status != RecoveryOpen {
					t.Fatalf("with 2 of 3 shares: %s", v.Status)
				}
				if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, next); !errors.Is(err, ErrRecoveryState) {
					t.Fatalf("complete with 2 of 3 shares: %v", err)
				}
				v, err := f.svc.ReleaseShare(f.ctx, rec.ID, depts[c], deptPassword)
				if err != nil || v.Status != RecoveryReady || len(v.Submitted) != 3 {
					t.Fatalf("third share: %+v, %v", v, err)
				}
				keys, err := f.svc.CompleteRecovery(f.ctx, rec.ID, next)
				if err != nil || len(keys) != 2 {
					t.Fatalf("complete {%d,%d,%d}: %v", a, b, c, err)
				}
				if _, err := f.svc.Unlock(f.ctx, owner, password); !errors.Is(err, ErrBadPassword) {
					t.Fatalf("the previous password still opens: %v", err)
				}
				password = next
				// Both keys, retired included, are under the new password.
				got, err := f.svc.Unwrap(f.ctx, owner, password, asset, oldWrapped)
				if err != nil || !bytes.Equal(got, dataKey) {
					t.Fatalf("retired key after recovery: %v", err)
				}
			}
		}
	}
	v, _ := f.svc.Recovery(f.ctx, func() string {
		var id string
		f.pool.QueryRow(f.ctx, `SELECT recovery_id FROM key_recoveries ORDER BY created_at DESC, recovery_id LIMIT 1`).Scan(&id)
		return id
	}())
	if v.Status != RecoveryCompleted || n != 10 {
		t.Fatalf("%d recoveries, last %s", n, v.Status)
	}
	if c := f.count(t, "key_recovery_shares"); c != 0 {
		t.Fatalf("%d submitted shares kept after completion", c)
	}
}

func TestService_Recovery_ClearsLockoutAndGuardsItsPassword(t *testing.T) {
	f := newFixture(t, Config{Lockout: Lockout{MaxFailures: 2, Cooldown: time.Hour}})
	owner := subject(1)
	depts := f.departments(t, 3)
	f.generate(t, owner, "forgotten password")
	if _, err := f.svc.Split(f.ctx, owner, "forgotten password", 2, depts); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		f.svc.Unlock(f.ctx, owner, "guess")
	}
	if _, err := f.svc.Unlock(f.ctx, owner, "forgotten password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("owner not locked: %v", err)
	}
	rec, err := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.StartRecovery(f.ctx, owner, "another new password", windowAdmin); !errors.Is(err, ErrRecoveryState) {
		t.Fatalf("second open recovery: %v", err)
	}
	for _, d := range depts[:2] {
		if _, err := f.svc.ReleaseShare(f.ctx, rec.ID, d, deptPassword); err != nil {
			t.Fatal(err)
		}
	}
	// Only the password the recovery was started with completes it, and
	// guessing it is limited too.
	for range 2 {
		if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "someone else's"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("wrong recovery password: %v", err)
		}
	}
	if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "brand new password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("recovery not locked after 2 wrong passwords: %v", err)
	}
	f.clock.advance(time.Hour)
	if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "brand new password"); err != nil {
		t.Fatal(err)
	}
	// The owner's lockout was cleared with the recovery.
	sk, err := f.svc.Unlock(f.ctx, owner, "brand new password")
	if err != nil {
		t.Fatal(err)
	}
	sk.Destroy()
	if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "brand new password"); !errors.Is(err, ErrRecoveryState) {
		t.Fatalf("completed twice: %v", err)
	}
}

func TestService_SubmitShare_Refusals(t *testing.T) {
	f := newFixture(t, Config{RecoveryTTL: 24 * time.Hour})
	owner, other := subject(1), subject(2)
	depts := f.departments(t, 3)
	f.generate(t, owner, "owner password")
	f.generate(t, other, "other password")
	f.svc.Split(f.ctx, owner, "owner password", 2, depts)
	f.svc.Split(f.ctx, other, "other password", 2, depts)
	rec, _ := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	otherRec, _ := f.svc.StartRecovery(f.ctx, other, "brand new password", windowAdmin)

	good := f.decryptShare(t, rec.ID, depts[0])
	foreign := f.decryptShare(t, otherRec.ID, depts[0]) // same department, other owner's backup
	wrongIndex := append([]byte{2}, good[1:]...)
	for name, c := range map[string]struct {
		dept  string
		share []byte
		want  error
	}{
		"altered share":           {depts[0], flip(good, 5), ErrBadShare},
		"other backup's share":    {depts[0], foreign, ErrBadShare},
		"share under wrong index": {depts[0], wrongIndex, ErrBadShare},
		"another holder's share":  {depts[1], good, ErrBadShare},
		"not a share":             {depts[0], []byte{1}, ErrInvalid},
		"index zero":              {depts[0], append([]byte{0}, good[1:]...), ErrInvalid},
		"not a holder":            {"Dept9MSP", good, ErrNotFound},
	} {
		if _, err := f.svc.SubmitShare(f.ctx, rec.ID, c.dept, c.share); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if n := f.count(t, "key_recovery_shares"); n != 0 {
		t.Fatalf("%d shares stored after refusals", n)
	}
	if _, err := f.svc.ReleaseShare(f.ctx, rec.ID, depts[0], "wrong password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("department's wrong password: %v", err)
	}
	// The same share twice counts once.
	for range 2 {
		v, err := f.svc.SubmitShare(f.ctx, rec.ID, depts[0], good)
		if err != nil || len(v.Submitted) != 1 {
			t.Fatalf("resubmission: %+v, %v", v.Submitted, err)
		}
	}
	// Expired: no more shares, no completion; a new recovery may start.
	f.clock.advance(24 * time.Hour)
	if v, _ := f.svc.Recovery(f.ctx, rec.ID); v.Status != RecoveryExpired {
		t.Fatalf("status %s", v.Status)
	}
	if _, err := f.svc.ReleaseShare(f.ctx, rec.ID, depts[1], deptPassword); !errors.Is(err, ErrRecoveryState) {
		t.Fatalf("share after expiry: %v", err)
	}
	again, err := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := f.svc.Recovery(f.ctx, rec.ID); v.Status != RecoveryCancelled {
		t.Fatalf("expired recovery is %s after a new start", v.Status)
	}
	if _, err := f.svc.CancelRecovery(f.ctx, again.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CancelRecovery(f.ctx, again.ID); !errors.Is(err, ErrRecoveryState) {
		t.Fatalf("cancel twice: %v", err)
	}
	if _, err := f.svc.Recovery(f.ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown recovery: %v", err)
	}
}

func TestService_Split_BadInput(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	depts := f.departments(t, 3)
	f.generate(t, owner, "owner password")
	for name, c := range map[string]struct {
		owner     Owner
		password  string
		threshold int
		depts     []string
		want      error
	}{
		"threshold 1":        {owner, "owner password", 1, depts, ErrInvalid},
		"threshold above n":  {owner, "owner password", 4, depts, ErrInvalid},
		"duplicate holder":   {owner, "owner password", 2, []string{depts[0], depts[0], depts[1]}, ErrInvalid},
		"bad holder ID":      {owner, "owner password", 2, []string{depts[0], "bad id"}, ErrInvalid},
		"holder without key": {owner, "owner password", 2, []string{depts[0], "Dept9MSP"}, ErrNotFound},
		"own shares":         {department(1), deptPassword, 2, depts, ErrInvalid},
		"wrong password":     {owner, "wrong password", 2, depts, ErrBadPassword},
		"no keys":            {subject(2), "owner password", 2, depts, ErrNotFound},
	} {
		if _, err := f.svc.Split(f.ctx, c.owner, c.password, c.threshold, c.depts); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if n := f.count(t, "key_backups"); n != 0 {
		t.Fatalf("%d backups stored", n)
	}
	if _, err := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin); !errors.Is(err, ErrNotFound) {
		t.Fatalf("recovery without backup: %v", err)
	}
}

// TestService_Split_ReplacesOldShares checks that a new split (here through
// a rotation, which renews the backup for the new key) deletes the old
// shares, cancels a recovery of them, and that old and new shares do not
// mix.
func TestService_Split_ReplacesOldShares(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	depts := f.departments(t, 3)
	f.generate(t, owner, "owner password")
	first, err := f.svc.Split(f.ctx, owner, "owner password", 2, depts)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	oldShare := f.decryptShare(t, rec.ID, depts[0])

	rot, err := f.svc.Rotate(f.ctx, owner, "owner password", "rotation")
	if err != nil {
		t.Fatal(err)
	}
	if rot.Backup == nil || rot.Backup.ID == first.ID || rot.Backup.Threshold != 2 || len(rot.Backup.KeyIDs) != 2 ||
		rot.Backup.KeyIDs[0] != rot.New.ID || len(rot.Backup.Holders) != 3 {
		t.Fatalf("renewed backup %+v", rot.Backup)
	}
	if v, _ := f.svc.Recovery(f.ctx, rec.ID); v.Status != RecoveryCancelled {
		t.Fatalf("recovery of the old backup is %s", v.Status)
	}
	var n int
	f.pool.QueryRow(f.ctx, `SELECT count(*) FROM key_shares WHERE backup_id = $1`, first.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("%d shares of the superseded backup remain", n)
	}
	cur, _ := f.svc.CurrentBackup(f.ctx, owner)
	if cur.ID != rot.Backup.ID {
		t.Fatalf("current backup %s", cur.ID)
	}
	rec2, _ := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	if _, err := f.svc.SubmitShare(f.ctx, rec2.ID, depts[0], oldShare); !errors.Is(err, ErrBadShare) {
		t.Fatalf("old share into the new backup: %v", err)
	}
	for _, d := range depts[1:] {
		f.svc.ReleaseShare(f.ctx, rec2.ID, d, deptPassword)
	}
	keys, err := f.svc.CompleteRecovery(f.ctx, rec2.ID, "brand new password")
	if err != nil || len(keys) != 2 || keys[0].ID != rot.New.ID {
		t.Fatalf("recover after rotation: %v, %v", keys, err)
	}
}

// TestService_Recovery_HolderRotated checks that a department that rotated
// its own key after the split still releases its share with the retired key.
func TestService_Recovery_HolderRotated(t *testing.T) {
	f := newFixture(t, Config{})
	owner := subject(1)
	depts := f.departments(t, 2)
	f.generate(t, owner, "owner password")
	f.svc.Split(f.ctx, owner, "owner password", 2, depts)
	if _, err := f.svc.Rotate(f.ctx, Owner{KindDepartment, depts[0]}, deptPassword, "rotation"); err != nil {
		t.Fatal(err)
	}
	rec, _ := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	for _, d := range depts {
		if _, err := f.svc.ReleaseShare(f.ctx, rec.ID, d, deptPassword); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "brand new password"); err != nil {
		t.Fatal(err)
	}
}
