package identity

import (
	"context"
	"testing"
)

// BenchmarkPasswordHash is the cost of one PBKDF2-HMAC-SM3 derivation at the
// default iteration count: what a login pays.
//
// go test ./internal/identity -run '^$' -bench 'PasswordHash|Login' -benchtime 20x
func BenchmarkPasswordHash(b *testing.B) {
	for b.Loop() {
		if _, err := hashPassword(testPassword, DefaultPasswordIterations); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLogin is a whole password login at the default iteration count:
// lookup under a row lock, KDF, session creation, audit record.
func BenchmarkLogin(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.PasswordIterations = DefaultPasswordIterations })
	e.user(b, "alice")
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.svc.Login(ctx, LoginRequest{Login: "alice", Password: testPassword, Source: "192.0.2.1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticate is the per-request cost of a session check: from
// the cache, and from the database (a Service without the cache, as
// on a cache miss).
//
// go test ./internal/identity -run '^$' -bench Authenticate -benchtime 2000x
func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	e.user(b, "alice")
	_, s := e.login(b, "alice")
	uncached, err := New(e.db, e.svc.names, Config{SecretKey: make32(3), PasswordIterations: 1000}, WithClock(e.clock.now))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		svc  *Service
	}{{"cached", e.svc}, {"database", uncached}} {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.svc.Authenticate(ctx, s.Token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
