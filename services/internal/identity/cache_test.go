package identity

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

// cached waits until token's session is answered from e's cache (the
// notifications of the test's own setup may empty it once or twice), so that
// what follows is proved with the cache in play.
func (e *env) cached(t *testing.T, svc *Service, token string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := svc.Authenticate(context.Background(), token); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		if _, ok := svc.cache.get(tokenHash(token)); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the session never got into the cache")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSessionCache_RevocationIsImmediate: whatever ends a session or changes
// its user's rights is refused by the very next Authenticate of the process
// that made the change, although the session was answered from the cache
// just before.
func TestSessionCache_RevocationIsImmediate(t *testing.T) {
	yes := true
	cases := []struct {
		name   string
		revoke func(e *env, sys, sec *Principal, target User, token string) error
	}{
		{"logout", func(e *env, _, _ *Principal, _ User, token string) error {
			return e.svc.Logout(context.Background(), token)
		}},
		{"sessions revoked", func(e *env, _, sec *Principal, u User, _ string) error {
			return e.svc.RevokeSessions(context.Background(), sec, u.ID)
		}},
		{"role granted", func(e *env, _, sec *Principal, u User, _ string) error {
			return e.svc.AssignRole(context.Background(), sec, u.ID, "officer")
		}},
		{"role taken", func(e *env, _, sec *Principal, u User, _ string) error {
			return e.svc.RevokeRole(context.Background(), sec, u.ID, "clerk")
		}},
		{"password reset", func(e *env, sys, _ *Principal, u User, _ string) error {
			return e.svc.ResetPassword(context.Background(), sys, u.ID, "Another-Horse-77")
		}},
		{"password changed in another session", func(e *env, _, _ *Principal, u User, _ string) error {
			p, _ := e.login(t, u.Login)
			_, err := e.svc.ChangePassword(context.Background(), p, testPassword, "Another-Horse-77")
			return err
		}},
		{"user disabled", func(e *env, sys, _ *Principal, u User, _ string) error {
			_, err := e.svc.UpdateUser(context.Background(), sys, u.ID, UserUpdate{Disabled: &yes})
			return err
		}},
		{"user moved to another department", func(e *env, sys, _ *Principal, u User, _ string) error {
			if _, err := e.svc.CreateDepartment(context.Background(), sys, Department{Code: "moved-to", Name: "调入部门"}); err != nil {
				return err
			}
			dept := "moved-to"
			_, err := e.svc.UpdateUser(context.Background(), sys, u.ID, UserUpdate{Department: &dept})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			e.user(t, "sys", RoleSystemAdmin)
			e.user(t, "sec", RoleSecurityAdmin)
			sys, _ := e.login(t, "sys")
			sec, _ := e.login(t, "sec")
			u := e.user(t, "alice", "clerk")
			_, s := e.login(t, "alice")
			e.cached(t, e.svc, s.Token)

			if err := c.revoke(e, sys, sec, u, s.Token); err != nil {
				t.Fatal(err)
			}
			wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, s.Token); return err }(), ErrUnauthenticated)
		})
	}
}

// otherProcess is a second Service over e's database with its own session
// cache: another process of the deployment.
func (e *env) otherProcess(t *testing.T) *Service {
	t.Helper()
	names, err := pii.New(1, make32(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := New(e.db, names, Config{SecretKey: make32(3), PasswordIterations: 1000}, WithClock(e.clock.now), WithCache())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	if err := svc.WaitCache(t.Context()); err != nil {
		t.Fatal(err)
	}
	return svc
}

// refusedWithin polls svc until it refuses token, and fails after limit.
func refusedWithin(t *testing.T, svc *Service, token string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		_, err := svc.Authenticate(context.Background(), token)
		if err != nil {
			wantErr(t, err, ErrUnauthenticated)
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("the session was still accepted %s after its revocation", limit)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestSessionCache_RevocationReachesOtherProcesses: a revocation made by one
// process, or by hand in SQL, ends the session in another process's cache as
// soon as the commit's notification arrives (logged; well under a
// millisecond on an idle machine), and the role → permission policy of the
// other process follows a change at once too.
func TestSessionCache_RevocationReachesOtherProcesses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := e.otherProcess(t)
	e.user(t, "sec", RoleSecurityAdmin)
	sec, _ := e.login(t, "sec")
	u := e.user(t, "alice", "clerk")

	_, s := e.login(t, "alice")
	e.cached(t, other, s.Token)
	if err := e.svc.RevokeSessions(ctx, sec, u.ID); err != nil {
		t.Fatal(err)
	}
	t.Logf("revocation by another process took effect after %s", refusedWithin(t, other, s.Token, time.Second))

	_, s = e.login(t, "alice")
	e.cached(t, other, s.Token)
	if _, err := e.db.Exec(ctx, "UPDATE identity_sessions SET revoked_at = now() WHERE user_id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	t.Logf("revocation in SQL took effect after %s", refusedWithin(t, other, s.Token, time.Second))

	// Policy: the other process decided with the permission before, and
	// refuses as soon as the change is heard (not policyTTL later).
	p, s := e.login(t, "alice")
	e.cached(t, other, s.Token)
	perm := Perm("intake", "read")
	if err := other.Authorize(ctx, p, perm); err != nil {
		t.Fatalf("clerk cannot %s before the change: %v", perm, err)
	}
	if _, err := e.db.Exec(ctx, "DELETE FROM identity_role_permissions WHERE role = 'clerk' AND resource = $1 AND action = $2",
		perm.Resource, perm.Action); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for other.Authorize(ctx, p, perm) == nil {
		if time.Since(start) > time.Second {
			t.Fatalf("the other process still allowed %s a second after the policy changed", perm)
		}
		time.Sleep(100 * time.Microsecond)
	}
	t.Logf("policy change took effect after %s", time.Since(start))
}

// TestSessionCache_LostListenerEmptiesTheCache: when the listener's
// connection is lost, notifications may be lost with it, so nothing cached
// before is used again: a session revoked while nobody listened is refused
// once the listener is back.
func TestSessionCache_LostListenerEmptiesTheCache(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(t, "alice", "clerk")
	_, s := e.login(t, "alice")
	e.cached(t, e.svc, s.Token)

	var pid int
	if err := e.db.QueryRow(ctx, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
		listenerName).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	// Revoke "while nobody listens": kill the listener in the same
	// transaction, so that its notification can reach no listener of ours.
	tx, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "UPDATE identity_sessions SET revoked_at = now() WHERE user_id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	d := refusedWithin(t, e.svc, s.Token, 2*time.Second)
	if err := e.svc.WaitCache(ctx); err != nil {
		t.Fatal(err)
	}
	wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, s.Token); return err }(), ErrUnauthenticated)
	t.Logf("refused %s after the listener was killed", d)
}

// TestSessionCache_IdleTimeoutStillCounts: a session answered from the cache
// still ends after SessionIdle without use and at its absolute expiry.
func TestSessionCache_IdleTimeoutStillCounts(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SessionIdle = 30 * time.Second })
	e.user(t, "alice")
	_, s := e.login(t, "alice")
	e.cached(t, e.svc, s.Token)
	e.clock.advance(31 * time.Second)
	wantErr(t, func() error { _, err := e.svc.Authenticate(context.Background(), s.Token); return err }(), ErrUnauthenticated)
}

// userCached waits until id is answered from svc's cache with what the
// database holds (the notifications of the test's own setup, made in SQL,
// may empty it once or twice, and arrive a little after their commit), so
// that what follows is proved with the cache in play.
func userCached(t *testing.T, svc *Service, id string) User {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		stored, err := svc.scanUser(svc.db.QueryRow(ctx, "SELECT "+userColumns+" FROM identity_users u WHERE u.id = $1", id))
		if err != nil {
			t.Fatalf("read user: %v", err)
		}
		u, err := svc.GetUser(ctx, id)
		if err != nil {
			t.Fatalf("get user: %v", err)
		}
		if _, ok := svc.cache.user(id); ok && reflect.DeepEqual(u, stored) {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("the user never got into the cache as stored: cache %+v, database %+v", u, stored)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestUserCache_ChangesAreSeenAtOnce: every change of what GetUser answers,
// made through the service, is in the very next GetUser of the process that
// made it, although the user was answered from the cache just before.
func TestUserCache_ChangesAreSeenAtOnce(t *testing.T) {
	yes := true
	cases := []struct {
		name          string
		setup, change func(t *testing.T, e *env, sys, sec *Principal, u User)
		check         func(u User) bool
	}{
		{"renamed", nil, func(t *testing.T, e *env, sys, _ *Principal, u User) {
			name := "李四"
			if _, err := e.svc.UpdateUser(context.Background(), sys, u.ID, UserUpdate{Name: &name}); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return u.Name == "李四" }},
		{"moved to another department", nil, func(t *testing.T, e *env, sys, _ *Principal, u User) {
			if _, err := e.svc.CreateDepartment(context.Background(), sys, Department{Code: "moved-to", Name: "调入部门"}); err != nil {
				t.Fatal(err)
			}
			dept := "moved-to"
			if _, err := e.svc.UpdateUser(context.Background(), sys, u.ID, UserUpdate{Department: &dept}); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return u.Department == "moved-to" }},
		{"given a position", nil, func(t *testing.T, e *env, sys, _ *Principal, u User) {
			pos, err := e.svc.CreatePosition(context.Background(), sys, Position{Department: "market", Code: "registrar", Name: "登记员"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.UpdateUser(context.Background(), sys, u.ID, UserUpdate{Positions: &[]string{pos.ID}}); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return len(u.Positions) == 1 }},
		{"disabled", nil, func(t *testing.T, e *env, sys, _ *Principal, u User) {
			if _, err := e.svc.UpdateUser(context.Background(), sys, u.ID, UserUpdate{Disabled: &yes}); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return u.Disabled }},
		{"role granted", nil, func(t *testing.T, e *env, _, sec *Principal, u User) {
			if err := e.svc.AssignRole(context.Background(), sec, u.ID, "officer"); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return slices.Contains(u.Roles, "officer") }},
		{"role taken", nil, func(t *testing.T, e *env, _, sec *Principal, u User) {
			if err := e.svc.RevokeRole(context.Background(), sec, u.ID, "clerk"); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return !slices.Contains(u.Roles, "clerk") }},
		{"locked out by failed logins", nil, func(t *testing.T, e *env, _, _ *Principal, u User) {
			lockOut(t, e, u)
		}, func(u User) bool { return u.LockedUntil != nil }},
		{"unlocked", func(t *testing.T, e *env, _, _ *Principal, u User) {
			lockOut(t, e, u)
		}, func(t *testing.T, e *env, _, sec *Principal, u User) {
			if err := e.svc.UnlockUser(context.Background(), sec, u.ID); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return u.LockedUntil == nil }},
		{"password reset", nil, func(t *testing.T, e *env, sys, _ *Principal, u User) {
			if err := e.svc.ResetPassword(context.Background(), sys, u.ID, "Another-Horse-77"); err != nil {
				t.Fatal(err)
			}
		}, func(u User) bool { return u.MustChangePassword }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.user(t, "sys", RoleSystemAdmin)
			e.user(t, "sec", RoleSecurityAdmin)
			sys, _ := e.login(t, "sys")
			sec, _ := e.login(t, "sec")
			u := e.user(t, "alice", "clerk")
			if c.setup != nil {
				c.setup(t, e, sys, sec, u)
			}
			if before := userCached(t, e.svc, u.ID); c.check(before) {
				t.Fatalf("the check holds before the change: %+v", before)
			}
			c.change(t, e, sys, sec, u)
			got, err := e.svc.GetUser(context.Background(), u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !c.check(got) {
				t.Fatalf("GetUser right after the change answered %+v", got)
			}
		})
	}
}

// lockOut fails u's password until the account locks.
func lockOut(t *testing.T, e *env, u User) {
	t.Helper()
	for range 5 {
		_, err := e.svc.Login(context.Background(), LoginRequest{Login: u.Login, Password: "Wrong-Horse-1", Source: "192.0.2.9"})
		wantErr(t, err, ErrInvalidCredentials)
	}
}

// TestUserCache_ChangesReachOtherProcesses: a change made in SQL by hand —
// as another process, or an operator, would — reaches the cache of this
// process as soon as the commit's notification arrives (logged).
func TestUserCache_ChangesReachOtherProcesses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other := e.otherProcess(t)
	u := e.user(t, "alice", "clerk")
	var pos string
	if err := e.db.QueryRow(ctx, "INSERT INTO identity_positions (department_code, code, name) VALUES ('market', 'registrar', '登记员') RETURNING id").Scan(&pos); err != nil {
		t.Fatal(err)
	}
	changes := []struct {
		name, sql string
		check     func(u User) bool
	}{
		{"lockout", "UPDATE identity_users SET locked_until = now() + interval '1 hour' WHERE id = $1", func(u User) bool { return u.LockedUntil != nil }},
		{"TOTP", "UPDATE identity_users SET totp_enabled = true WHERE id = $1", func(u User) bool { return u.TOTPEnabled }},
		{"position", "INSERT INTO identity_user_positions (user_id, position_id) VALUES ($1, '" + pos + "')", func(u User) bool { return len(u.Positions) == 1 }},
		{"name", "UPDATE identity_users SET name_sealed = (SELECT name_sealed FROM identity_users WHERE login = 'other') WHERE id = $1", nil},
	}
	e.user(t, "other")
	for _, c := range changes {
		before := userCached(t, other, u.ID)
		if _, err := e.db.Exec(ctx, c.sql, u.ID); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		start := time.Now()
		for {
			got, err := other.GetUser(ctx, u.ID)
			if c.check != nil && err == nil && c.check(got) {
				break
			}
			// A name sealed for another user does not open for this one:
			// the read fails, which proves it no longer comes from the cache.
			if c.check == nil && err != nil {
				break
			}
			if time.Since(start) > time.Second {
				t.Fatalf("%s: the other process still answered %+v a second after the change (before: %+v)", c.name, got, before)
			}
			time.Sleep(100 * time.Microsecond)
		}
		t.Logf("%s changed in SQL reached the other process after %s", c.name, time.Since(start))
	}
}

// TestUserCache_AnswersAreCopies: a caller that changes the slices of a
// cached answer does not change the next one.
func TestUserCache_AnswersAreCopies(t *testing.T) {
	e := newEnv(t)
	u := e.user(t, "alice", "clerk")
	got := userCached(t, e.svc, u.ID)
	got.Roles[0] = "hacked"
	again, err := e.svc.GetUser(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Roles, []string{"clerk"}) {
		t.Fatalf("roles %v, want [clerk]", again.Roles)
	}
	if _, err := e.svc.GetUser(context.Background(), "0b9a0c5e-5d1c-4cbb-9f7e-3b7d6c4f1a2e"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
}
