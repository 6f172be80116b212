package identity

import (
	"context"
	"strings"
	"testing"
)

func TestCheckPasswordPolicy(t *testing.T) {
	for _, c := range []struct {
		login, password string
		ok              bool
	}{
		{"alice", "Correct-Horse-9", true},
		{"alice", "correct horse battery", false}, // one class (+ space = other → 2)
		{"alice", "correcthorse9!", true},         // lower, digit, other
		{"alice", "Short-1a", false},
		{"alice", "ALICE-is-here-2026", false}, // contains the login in another case
		{"alice", "开办平台密码Abc-123", true},
		{"alice", strings.Repeat("Ab1-", 33), false}, // too long
		{"alice", "Tab\tin-password1", false},
		{"alice", "\xff\xfeInvalid-utf8-1", false},
	} {
		err := CheckPasswordPolicy(c.login, c.password)
		if (err == nil) != c.ok {
			t.Errorf("%q for %q: %v, want ok=%v", c.password, c.login, err, c.ok)
		}
	}
}

func TestPasswordHash_RoundTrip(t *testing.T) {
	h, err := hashPassword("Correct-Horse-9", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$pbkdf2-sm3$i=1000$") {
		t.Fatalf("encoding %s", h)
	}
	if ok, it := checkPassword(h, "Correct-Horse-9"); !ok || it != 1000 {
		t.Fatal("the right password does not match")
	}
	if ok, _ := checkPassword(h, "Correct-Horse-8"); ok {
		t.Fatal("a wrong password matches")
	}
	for _, bad := range []string{"", "$pbkdf2-sm3$i=x$a$b", "$argon2id$i=1$a$b", "$pbkdf2-sm3$i=1000$!!$b"} {
		if ok, _ := checkPassword(bad, "Correct-Horse-9"); ok {
			t.Fatalf("malformed hash %q matches", bad)
		}
	}
}

func TestLogin_UpgradesAWeakerHash(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.PasswordIterations = 2000 })
	u := e.user(t, "alice")
	weak, _ := hashPassword(testPassword, 500)
	e.db.Exec(context.Background(), "UPDATE identity_users SET password_hash = $2 WHERE id = $1", u.ID, weak)
	e.login(t, "alice")
	var h string
	e.db.QueryRow(context.Background(), "SELECT password_hash FROM identity_users WHERE id = $1", u.ID).Scan(&h)
	if !strings.HasPrefix(h, "$pbkdf2-sm3$i=2000$") {
		t.Fatalf("hash not upgraded: %s", h)
	}
}

func TestChangePassword_PolicyHistoryAndRotation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "alice")
	p, sess := e.login(t, "alice")
	_, other := e.login(t, "alice")

	_, err := e.svc.ChangePassword(ctx, p, "Wrong-Password-1", "Another-Horse-10")
	wantInvalid(t, err, "currentPassword")
	_, err = e.svc.ChangePassword(ctx, p, testPassword, "alice-Horse-10x")
	wantInvalid(t, err, "password")
	_, err = e.svc.ChangePassword(ctx, p, testPassword, testPassword)
	wantInvalid(t, err, "newPassword")

	next, err := e.svc.ChangePassword(ctx, p, testPassword, "Another-Horse-10")
	if err != nil {
		t.Fatal(err)
	}
	for _, old := range []string{sess.Token, other.Token} {
		if _, err := e.svc.Authenticate(ctx, old); err != ErrUnauthenticated {
			t.Fatalf("a session from before the change still works: %v", err)
		}
	}
	p2, err := e.svc.Authenticate(ctx, next.Token)
	if err != nil {
		t.Fatal(err)
	}
	// Cycle through the history: the first password comes back only after
	// PasswordHistory (5) others.
	cur := "Another-Horse-10"
	for _, n := range []string{"Another-Horse-11", "Another-Horse-12", "Another-Horse-13", "Another-Horse-14"} {
		s, err := e.svc.ChangePassword(ctx, p2, cur, n)
		if err != nil {
			t.Fatal(err)
		}
		if p2, err = e.svc.Authenticate(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		cur = n
	}
	_, err = e.svc.ChangePassword(ctx, p2, cur, "Another-Horse-10")
	wantInvalid(t, err, "newPassword")
	if _, err := e.svc.ChangePassword(ctx, p2, cur, testPassword); err != nil {
		t.Fatalf("a password older than the history is refused: %v", err)
	}
}

func TestLogin_MustChangePasswordFirst(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.svc.CreateUser(ctx, nil, NewUser{Login: "bob", Name: "李四", Department: "tax", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	e.db.Exec(ctx, "INSERT INTO identity_user_roles (user_id, role) VALUES ($1, 'officer')", u.ID)
	s, err := e.svc.Login(ctx, LoginRequest{Login: "BOB", Password: testPassword})
	if err != nil || !s.MustChangePassword {
		t.Fatalf("login: %+v %v", s, err)
	}
	p, _ := e.svc.Authenticate(ctx, s.Token)
	wantErr(t, e.svc.Authorize(ctx, p, Perm("approval", "read")), ErrPasswordChangeRequired)
	s2, err := e.svc.ChangePassword(ctx, p, testPassword, "New-Password-77")
	if err != nil {
		t.Fatal(err)
	}
	p, _ = e.svc.Authenticate(ctx, s2.Token)
	if err := e.svc.Authorize(ctx, p, Perm("approval", "read")); err != nil {
		t.Fatal(err)
	}
}
