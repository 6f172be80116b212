package keys

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
)

// custodyLog is a Config.OnCustodyChange that writes a row in the change's
// transaction and notes what ran after its commit.
type custodyLog struct {
	fail      error
	committed []CustodyChange
}

func (l *custodyLog) hook(ctx context.Context, tx pgx.Tx, c CustodyChange) (func() error, error) {
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS custody_changes (owner text, cause text)`); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO custody_changes VALUES ($1, $2)`, c.Owner.String(), c.Cause); err != nil {
		return nil, err
	}
	if l.fail != nil {
		return nil, l.fail
	}
	return func() error { l.committed = append(l.committed, c); return nil }, nil
}

func TestService_CustodyChange_RunsInTheChangesTransaction(t *testing.T) {
	log := &custodyLog{}
	f := newFixture(t, Config{OnCustodyChange: log.hook})
	owner := subject(1)
	f.generate(t, owner, "locker password")
	if err := f.svc.ChangePassword(f.ctx, owner, "locker password", "new locker password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Rotate(f.ctx, owner, "new locker password", "rotation"); err != nil {
		t.Fatal(err)
	}
	// A wrong password changes nothing and runs nothing.
	if err := f.svc.ChangePassword(f.ctx, owner, "locker password", "third locker password"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("change with the old password: %v", err)
	}
	want := []CustodyChange{{Owner: owner, Cause: CausePassword}, {Owner: owner, Cause: CauseRotation}}
	if len(log.committed) != len(want) || log.committed[0] != want[0] || log.committed[1] != want[1] {
		t.Fatalf("committed %+v, want %+v", log.committed, want)
	}
	if n := f.count(t, "custody_changes"); n != 2 {
		t.Fatalf("%d rows written by the hook, want 2", n)
	}
}

func TestService_CustodyChange_HookFailureRollsBack(t *testing.T) {
	log := &custodyLog{fail: errors.New("holders unavailable")}
	f := newFixture(t, Config{OnCustodyChange: log.hook})
	owner := subject(1)
	old := f.generate(t, owner, "locker password")
	if err := f.svc.ChangePassword(f.ctx, owner, "locker password", "new locker password"); err == nil {
		t.Fatal("password changed without its hook")
	}
	if _, err := f.svc.Rotate(f.ctx, owner, "locker password", "rotation"); err == nil {
		t.Fatal("key rotated without its hook")
	}
	// The old password still opens the one key, and nothing ran after a commit.
	k, err := f.svc.Unlock(f.ctx, owner, "locker password")
	if err != nil {
		t.Fatalf("old password after failed changes: %v", err)
	}
	k.Destroy()
	keys, _ := f.svc.Keys(f.ctx, owner)
	if len(keys) != 1 || keys[0].ID != old.ID || len(log.committed) != 0 {
		t.Fatalf("keys %+v, committed %+v", keys, log.committed)
	}
	var exists bool
	if err := f.pool.QueryRow(f.ctx, `SELECT to_regclass('custody_changes') IS NOT NULL`).Scan(&exists); err != nil || exists {
		t.Fatalf("the hook's writes outlived the rollback: %v %v", exists, err)
	}
}

func TestService_CustodyChange_RunsWhenARecoveryCompletes(t *testing.T) {
	log := &custodyLog{}
	f := newFixture(t, Config{OnCustodyChange: log.hook})
	owner := subject(1)
	depts := f.departments(t, 3)
	f.generate(t, owner, "forgotten password")
	if _, err := f.svc.Split(f.ctx, owner, "forgotten password", 2, depts); err != nil {
		t.Fatal(err)
	}
	rec, err := f.svc.StartRecovery(f.ctx, owner, "brand new password", windowAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range depts[:2] {
		if _, err := f.svc.ReleaseShare(f.ctx, rec.ID, d, deptPassword); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "someone else's"); !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong recovery password: %v", err)
	}
	if len(log.committed) != 0 {
		t.Fatalf("a refused recovery ran the hook: %+v", log.committed)
	}
	if _, err := f.svc.CompleteRecovery(f.ctx, rec.ID, "brand new password"); err != nil {
		t.Fatal(err)
	}
	if len(log.committed) != 1 || log.committed[0] != (CustodyChange{Owner: owner, Cause: CauseRecovery}) || f.count(t, "custody_changes") != 1 {
		t.Fatalf("committed %+v", log.committed)
	}
}
