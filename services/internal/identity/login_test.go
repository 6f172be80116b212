package identity

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

func TestLogin_LockoutAfterRepeatedFailures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(t, "alice")
	bad := LoginRequest{Login: "alice", Password: "Wrong-Horse-99", Source: "198.51.100.1"}
	for range 5 {
		_, err := e.svc.Login(ctx, bad)
		wantErr(t, err, ErrInvalidCredentials)
	}
	_, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Source: "198.51.100.2"})
	wantErr(t, err, ErrAccountLocked)
	got, _ := e.svc.GetUser(ctx, u.ID)
	if got.LockedUntil == nil {
		t.Fatal("user not shown as locked")
	}
	e.clock.advance(14 * time.Minute)
	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword})
	wantErr(t, err, ErrAccountLocked)
	e.clock.advance(time.Minute)
	e.login(t, "alice")

	// The audit log has every attempt, with the reason.
	e.log.Close()
	recs, err := e.log.Query(ctx, audit.Filter{Action: "identity.login"})
	if err != nil {
		t.Fatal(err)
	}
	results := map[string]int{}
	for _, r := range recs {
		results[r.Result]++
	}
	if results[audit.ResultFailed] != 5 || results[audit.ResultDenied] != 2 || results[audit.ResultOK] != 1 {
		t.Fatalf("audited login results %v", results)
	}
}

func TestLogin_SecurityAdminUnlocks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(t, "alice")
	e.user(t, "sec", RoleSecurityAdmin)
	for range 5 {
		e.svc.Login(ctx, LoginRequest{Login: "alice", Password: "Wrong-Horse-99"})
	}
	_, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword})
	wantErr(t, err, ErrAccountLocked)
	p, _ := e.login(t, "sec")
	if err := e.svc.UnlockUser(ctx, p, u.ID); err != nil {
		t.Fatal(err)
	}
	e.login(t, "alice")
}

// TestLogin_ConcurrentGuessesDoNotOvertakeLockout fires 12 wrong passwords at
// once: the row lock serialises them, so exactly 5 are checked before the
// account locks and the rest are refused as locked.
func TestLogin_ConcurrentGuessesDoNotOvertakeLockout(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SourceMaxFailures = 1000 })
	e.user(t, "alice")
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[error]int{}
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.svc.Login(context.Background(), LoginRequest{Login: "alice", Password: fmt.Sprintf("Wrong-Horse-%d", i)})
			mu.Lock()
			counts[err]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[ErrInvalidCredentials] != 5 || counts[ErrAccountLocked] != 7 {
		t.Fatalf("outcomes %v", counts)
	}
}

func TestLogin_PerSourceCounter(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SourceMaxFailures = 4; c.SourceWindow = 10 * time.Minute })
	ctx := context.Background()
	e.user(t, "alice")
	// One password tried on many accounts from one address: no account
	// reaches its own limit, the address does.
	for i := range 4 {
		_, err := e.svc.Login(ctx, LoginRequest{Login: fmt.Sprintf("user%d", i), Password: "Spray-Password-1", Source: "203.0.113.9"})
		wantErr(t, err, ErrInvalidCredentials)
	}
	_, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Source: "203.0.113.9"})
	wantErr(t, err, ErrSourceBlocked)
	if _, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Source: "203.0.113.10"}); err != nil {
		t.Fatalf("another address is blocked too: %v", err)
	}
	e.clock.advance(10 * time.Minute)
	if _, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Source: "203.0.113.9"}); err != nil {
		t.Fatalf("address still blocked after the window: %v", err)
	}
	// A new window counts from one again.
	_, err = e.svc.Login(ctx, LoginRequest{Login: "nobody", Password: "Spray-Password-1", Source: "203.0.113.9"})
	wantErr(t, err, ErrInvalidCredentials)
	if _, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Source: "203.0.113.9"}); err != nil {
		t.Fatalf("one failure in a new window blocks: %v", err)
	}
}

func TestLogin_UnknownAndDisabledLookTheSame(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(t, "alice")
	off := true
	if _, err := e.svc.UpdateUser(ctx, nil, u.ID, UserUpdate{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []LoginRequest{
		{Login: "alice", Password: testPassword},
		{Login: "nobody", Password: testPassword},
		{Login: "x", Password: testPassword},
		{Login: "alice\x00", Password: testPassword},
	} {
		_, err := e.svc.Login(ctx, r)
		wantErr(t, err, ErrInvalidCredentials)
	}
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTOTP_EnrolConfirmLoginRecoveryDisable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "alice")
	p, sess := e.login(t, "alice")
	_, other := e.login(t, "alice")

	enr, err := e.svc.EnrolTOTP(ctx, p)
	if err != nil || enr.Secret == "" || enr.URL == "" {
		t.Fatal(enr, err)
	}
	_, err = e.svc.ConfirmTOTP(ctx, p, "000000")
	wantInvalid(t, err, "code")
	codes, err := e.svc.ConfirmTOTP(ctx, p, code(t, enr.Secret, e.clock.now()))
	if err != nil || len(codes) != recoveryCodeCount {
		t.Fatal(codes, err)
	}
	if _, err := e.svc.Authenticate(ctx, sess.Token); err != nil {
		t.Fatalf("confirming session ended: %v", err)
	}
	if _, err := e.svc.Authenticate(ctx, other.Token); err != ErrUnauthenticated {
		t.Fatalf("other session survived enabling TOTP: %v", err)
	}
	_, err = e.svc.EnrolTOTP(ctx, p)
	wantErr(t, err, ErrConflict)

	// The secret is sealed at rest.
	var sealed []byte
	e.db.QueryRow(ctx, "SELECT totp_secret_sealed FROM identity_users WHERE id = $1", p.ID).Scan(&sealed)
	if len(sealed) == 0 || string(sealed) == enr.Secret {
		t.Fatal("TOTP secret not sealed")
	}

	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword})
	wantErr(t, err, ErrTOTPRequired)
	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Code: "123456"})
	wantErr(t, err, ErrInvalidCredentials)

	// The code used to confirm cannot log in (same step); the next one can, once.
	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Code: code(t, enr.Secret, e.clock.now())})
	wantErr(t, err, ErrInvalidCredentials)
	e.clock.advance(30 * time.Second)
	c := code(t, enr.Secret, e.clock.now())
	if _, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Code: c}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Code: c})
	wantErr(t, err, ErrInvalidCredentials)

	// A recovery code works once, in any letter case.
	if _, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Code: strings.ToUpper(codes[3])}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Code: codes[3]})
	wantErr(t, err, ErrInvalidCredentials)

	// A wrong password with a right code is still a wrong password.
	e.clock.advance(30 * time.Second)
	_, err = e.svc.Login(ctx, LoginRequest{Login: "alice", Password: "Wrong-Horse-99", Code: code(t, enr.Secret, e.clock.now())})
	wantErr(t, err, ErrInvalidCredentials)

	wantErr(t, e.svc.DisableTOTP(ctx, p, "Wrong-Horse-99"), ErrInvalidCredentials)
	if err := e.svc.DisableTOTP(ctx, p, testPassword); err != nil {
		t.Fatal(err)
	}
	e.login(t, "alice")
}

func TestSession_IdleAndAbsoluteTimeouts(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SessionIdle = 30 * time.Minute; c.SessionAbsolute = 2 * time.Hour })
	ctx := context.Background()
	e.user(t, "alice")

	_, idle := e.login(t, "alice")
	e.clock.advance(29 * time.Minute)
	if _, err := e.svc.Authenticate(ctx, idle.Token); err != nil {
		t.Fatalf("session ended before the idle timeout: %v", err)
	}
	e.clock.advance(29 * time.Minute) // used 29 min ago: still alive
	if _, err := e.svc.Authenticate(ctx, idle.Token); err != nil {
		t.Fatalf("use did not extend the session: %v", err)
	}
	e.clock.advance(30 * time.Minute)
	wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, idle.Token); return err }(), ErrUnauthenticated)

	_, busy := e.login(t, "alice")
	for range 5 { // used every 20 minutes, it still ends 2 h after login
		e.clock.advance(20 * time.Minute)
		if _, err := e.svc.Authenticate(ctx, busy.Token); err != nil {
			t.Fatalf("busy session ended early: %v", err)
		}
	}
	e.clock.advance(20 * time.Minute)
	wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, busy.Token); return err }(), ErrUnauthenticated)
}

func TestSession_LogoutAndTokenAtRest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "alice")
	_, s := e.login(t, "alice")
	var n int
	e.db.QueryRow(ctx, "SELECT count(*) FROM identity_sessions WHERE token_hash = $1 OR token_hash = $2", s.Token, tokenHash(s.Token)).Scan(&n)
	if n != 1 {
		t.Fatal("the session is not stored by its token's SM3 only")
	}
	if err := e.svc.Logout(ctx, s.Token); err != nil {
		t.Fatal(err)
	}
	wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, s.Token); return err }(), ErrUnauthenticated)
	for _, bad := range []string{"", "kbs_", "Bearer x", s.Token + "x"} {
		wantErr(t, func() error { _, err := e.svc.Authenticate(ctx, bad); return err }(), ErrUnauthenticated)
	}
}

func TestSweep_DeletesWhatStoppedMattering(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "alice")
	_, s := e.login(t, "alice")
	e.svc.Logout(ctx, s.Token)
	e.login(t, "alice") // a live session
	e.svc.Login(ctx, LoginRequest{Login: "nobody", Password: "Wrong-Horse-99", Source: "203.0.113.1"})
	e.db.Exec(ctx, "INSERT INTO identity_nonces VALUES ('k', 'n', $1)", e.clock.now().Add(time.Minute))
	count := func(table string) (n int) {
		e.db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n)
		return n
	}
	e.clock.advance(8 * 24 * time.Hour)
	if _, err := e.svc.Authenticate(ctx, s.Token); err != ErrUnauthenticated {
		t.Fatal(err)
	}
	if err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"identity_sessions", "identity_nonces", "identity_login_sources"} {
		if n := count(table); n != 0 {
			t.Errorf("%s: %d rows left", table, n)
		}
	}
}
