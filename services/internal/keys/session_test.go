package keys

import (
	"errors"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/gm"
)

// lockOut spends owner's allowance of wrong passwords.
func (f *fixture) lockOut(t *testing.T, o Owner) {
	t.Helper()
	for i := 0; i < DefaultLockout.MaxFailures; i++ {
		if _, err := f.svc.Unlock(f.ctx, o, "wrong password!"); !errors.Is(err, ErrBadPassword) {
			t.Fatalf("guess %d: err = %v, want ErrBadPassword", i, err)
		}
	}
}

// TestService_DepartmentSession_HoldsTheKeyOpen: once a department's
// password opened its key, the key stays open for the right password
// without a derivation or the lockout counter (observable: a lockout that
// wrong guesses start later does not stop it, while a person's key, never
// held, is refused); a destroyed view does not close it, and a wrong
// password is never served from it.
func TestService_DepartmentSession_HoldsTheKeyOpen(t *testing.T) {
	f := newFixture(t, Config{})
	dept, person := department(1), subject(1)
	f.generate(t, dept, "department password")
	f.generate(t, person, "person password")
	for _, o := range []Owner{dept, person} {
		sk, err := f.svc.Unlock(f.ctx, o, map[Owner]string{dept: "department password", person: "person password"}[o])
		if err != nil {
			t.Fatal(err)
		}
		sk.Destroy()
		f.lockOut(t, o)
	}
	if _, err := f.svc.Unlock(f.ctx, person, "person password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("person while locked: err = %v, want ErrLocked", err)
	}
	a, err := f.svc.Unlock(f.ctx, dept, "department password")
	if err != nil {
		t.Fatalf("department with its session open while locked: %v", err)
	}
	b, err := f.svc.Unlock(f.ctx, dept, "department password")
	if err != nil {
		t.Fatal(err)
	}
	a.Destroy()
	if _, err := a.Sign([]byte("m")); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("destroyed view signs: %v", err)
	}
	sig, err := b.Sign([]byte("m"))
	if err != nil || !gm.Verify(b.Public(), []byte("m"), sig) {
		t.Fatalf("the other view after one was destroyed: %v", err)
	}
	b.Destroy()
	if _, err := f.svc.Unlock(f.ctx, dept, "department password!"); !errors.Is(err, ErrLocked) {
		t.Fatalf("another password while locked: err = %v, want ErrLocked (never served from the session)", err)
	}
	if _, err := f.svc.Sign(f.ctx, dept, "department password", []byte("m")); err != nil {
		t.Fatalf("sign from the session: %v", err)
	}

	// The session ends after its time.
	f.clock.advance(DefaultDepartmentSession)
	if _, err := f.svc.Unlock(f.ctx, dept, "department password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("after the session's time, while locked: err = %v, want ErrLocked", err)
	}
}

// TestService_DepartmentSession_EndsWithTheCustody: a password change or a
// rotation (here, or by another process: the session checks the stored
// record) ends the session; the old password no longer opens anything.
func TestService_DepartmentSession_EndsWithTheCustody(t *testing.T) {
	f := newFixture(t, Config{})
	other, err := New(f.pool, Config{KDF: testKDF, Now: f.clock.now}) // another process
	if err != nil {
		t.Fatal(err)
	}
	dept := department(2)
	f.generate(t, dept, "first password")
	if _, err := f.svc.Sign(f.ctx, dept, "first password", []byte("m")); err != nil {
		t.Fatal(err)
	}
	if err := other.ChangePassword(f.ctx, dept, "first password", "second password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Sign(f.ctx, dept, "first password", []byte("m")); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("old password after a change elsewhere: err = %v, want ErrBadPassword", err)
	}
	before, err := f.svc.Unlock(f.ctx, dept, "second password")
	if err != nil {
		t.Fatal(err)
	}
	defer before.Destroy()
	if _, err := other.Rotate(f.ctx, dept, "second password", "yearly"); err != nil {
		t.Fatal(err)
	}
	after, err := f.svc.Unlock(f.ctx, dept, "second password")
	if err != nil {
		t.Fatal(err)
	}
	defer after.Destroy()
	if after.Key().ID == before.Key().ID {
		t.Fatal("the rotated-away key is still served from the session")
	}
	if _, err := before.Sign([]byte("m")); err != nil {
		t.Fatalf("an operation under way keeps its key until it ends: %v", err)
	}
}

func TestService_DepartmentSession_Disabled(t *testing.T) {
	f := newFixture(t, Config{DepartmentSession: -time.Second})
	dept := department(3)
	f.generate(t, dept, "department password")
	if _, err := f.svc.Sign(f.ctx, dept, "department password", []byte("m")); err != nil {
		t.Fatal(err)
	}
	f.lockOut(t, dept)
	if _, err := f.svc.Unlock(f.ctx, dept, "department password"); !errors.Is(err, ErrLocked) {
		t.Fatalf("no sessions: err = %v, want ErrLocked", err)
	}
}
