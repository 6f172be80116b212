package identity

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/pgtest"
	"github.com/kaiban-platform/kaiban/services/internal/pii"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type env struct {
	svc   *Service
	db    *pgxpool.Pool
	log   *audit.Log
	clock *clock
}

const testPassword = "Correct-Horse-9"

func newEnv(t testing.TB, mod ...func(*Config)) *env {
	t.Helper()
	db := pgtest.New(t)
	names, err := pii.New(1, make32(7), nil)
	if err != nil {
		t.Fatal(err)
	}
	lg, err := audit.New(db, make32(9))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lg.Close)
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	cfg := Config{SecretKey: make32(3), PasswordIterations: 1000}
	for _, m := range mod {
		m(&cfg)
	}
	// Every test runs with the cache, as the platform does: what
	// they prove about sessions holds with it.
	svc, err := New(db, names, cfg, WithClock(c.now), WithRecorder(lg), WithCache())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := svc.WaitCache(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, db: db, log: lg, clock: c}
}

func make32(b byte) []byte {
	k := make([]byte, 32)
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

// user creates a user holding roles (through SQL for the roles, so tests of
// other things do not depend on the assignment rules) and returns it.
func (e *env) user(t testing.TB, login string, roles ...string) User {
	t.Helper()
	ctx := context.Background()
	u, err := e.svc.CreateUser(ctx, nil, NewUser{Login: login, Name: "张三", Department: "market", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if _, err := e.db.Exec(ctx, "INSERT INTO identity_user_roles (user_id, role) VALUES ($1, $2)", u.ID, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.Exec(ctx, "UPDATE identity_users SET must_change_password = false WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	u.Roles = roles
	return u
}

// login logs in and authenticates the session.
func (e *env) login(t testing.TB, login string) (*Principal, Session) {
	t.Helper()
	ctx := context.Background()
	s, err := e.svc.Login(ctx, LoginRequest{Login: login, Password: testPassword, Source: "192.0.2.1"})
	if err != nil {
		t.Fatalf("login %s: %v", login, err)
	}
	p, err := e.svc.Authenticate(ctx, s.Token)
	if err != nil {
		t.Fatalf("authenticate %s: %v", login, err)
	}
	return p, s
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func wantInvalid(t testing.TB, err error, field string) {
	t.Helper()
	var inv *InvalidError
	if !errors.As(err, &inv) || inv.Field != field {
		t.Fatalf("got error %v, want invalid %s", err, field)
	}
}
