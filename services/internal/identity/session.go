package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// Session tokens are 32 random bytes, base64url, prefixed "kbs_" so that a
// leaked token is recognisable by secret scanners. The database keeps only
// their SM3 digest: a copy of the sessions table logs nobody in. A session
// ends after SessionIdle without use, SessionAbsolute after login whatever
// its use, at logout, and when its user's privileges change (roles,
// department, password, disabling).

// SessionTokenPrefix starts every session token.
const SessionTokenPrefix = "kbs_"

// touchEvery is how stale last_seen_at may get before a request updates it:
// writing it on every request would turn every read into a write, and the
// idle timeout does not need better than this precision.
const touchEvery = time.Minute

// Session is a login's result: the token (shown once) and its limits.
type Session struct {
	Token              string    `json:"token"`
	ID                 string    `json:"id"`
	UserID             string    `json:"userId"`
	ExpiresAt          time.Time `json:"expiresAt"` // absolute expiry
	IdleTimeout        int       `json:"idleTimeoutSeconds"`
	MustChangePassword bool      `json:"mustChangePassword"`
}

func newToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return SessionTokenPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

func tokenHash(token string) string { return gm.Hex([]byte(token)) }

func (s *Service) createSession(ctx context.Context, tx pgx.Tx, userID, source, userAgent string, mustChange bool) (Session, error) {
	token, err := newToken()
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	sess := Session{Token: token, UserID: userID, ExpiresAt: now.Add(s.cfg.SessionAbsolute).UTC().Truncate(time.Microsecond),
		IdleTimeout: int(s.cfg.SessionIdle / time.Second), MustChangePassword: mustChange}
	if len(userAgent) > 256 {
		userAgent = userAgent[:256]
	}
	err = tx.QueryRow(ctx, `INSERT INTO identity_sessions (token_hash, user_id, created_at, last_seen_at, expires_at, source, user_agent)
		VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING id`, tokenHash(token), userID, now, sess.ExpiresAt, source,
		strings.ToValidUTF8(userAgent, "")).Scan(&sess.ID)
	if err != nil {
		return Session{}, fmt.Errorf("create session: %w", err)
	}
	return sess, nil
}

// Authenticate returns the user behind a session token, or
// ErrUnauthenticated when the token is unknown, revoked, idle too long,
// past its absolute expiry, or its user is disabled. With the cache
// (WithCache), a session checked in the last touchEvery is answered
// from memory; cache.go explains why that never outlives a
// revocation.
func (s *Service) Authenticate(ctx context.Context, token string) (*Principal, error) {
	if !strings.HasPrefix(token, SessionTokenPrefix) || len(token) > 100 {
		return nil, ErrUnauthenticated
	}
	h := tokenHash(token)
	now := s.now()
	var gen uint64
	if s.cache != nil {
		if e, ok := s.cache.get(h); ok && now.Before(e.expiresAt) && now.Sub(e.lastSeen) < min(touchEvery, s.cfg.SessionIdle) {
			p := e.p
			return &p, nil
		}
		gen = s.cache.generation()
	}
	var (
		p                   = &Principal{Kind: KindUser, Method: MethodSession}
		lastSeen, expiresAt time.Time
		revoked             *time.Time
		disabled            bool
	)
	err := s.db.QueryRow(ctx, `SELECT s.id, s.last_seen_at, s.expires_at, s.revoked_at,
		u.id, u.login, u.department_code, u.disabled, u.must_change_password,
		coalesce((SELECT array_agg(role ORDER BY role) FROM identity_user_roles WHERE user_id = u.id), '{}')
		FROM identity_sessions s JOIN identity_users u ON u.id = s.user_id WHERE s.token_hash = $1`, h).
		Scan(&p.SessionID, &lastSeen, &expiresAt, &revoked, &p.ID, &p.Name, &p.Department, &disabled, &p.MustChangePassword, &p.Roles)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate session: %w", err)
	}
	if revoked != nil || disabled || !now.Before(expiresAt) || now.Sub(lastSeen) >= s.cfg.SessionIdle {
		return nil, ErrUnauthenticated
	}
	if now.Sub(lastSeen) >= touchEvery {
		if _, err := s.db.Exec(ctx, "UPDATE identity_sessions SET last_seen_at = $2 WHERE id = $1", p.SessionID, now); err != nil {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		lastSeen = now
	}
	if s.cache != nil {
		// Each request gets its own copy: handlers may hold on to it.
		s.cache.put(h, cachedSession{p: *p, expiresAt: expiresAt, lastSeen: lastSeen}, gen)
	}
	return p, nil
}

// forgetUser drops what is cached of userID: its sessions and its record.
// Every change that ends a session, alters its principal or changes what
// GetUser answers calls it once committed, so that this process never
// answers from the cache after the change; other processes hear of it
// through the triggers' notification.
func (s *Service) forgetUser(userID string) {
	if s.cache != nil {
		s.cache.forget(userID)
	}
}

// Logout ends the session of token. Ending an unknown or ended session is
// not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	var userID string
	err := s.db.QueryRow(ctx, `UPDATE identity_sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL
		RETURNING user_id`, tokenHash(token), s.now()).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	s.forgetUser(userID)
	return s.record(ctx, audit.Entry{ActorKind: audit.ActorUser, ActorID: userID, Action: "identity.logout", Resource: "user:" + userID, Result: audit.ResultOK})
}

// RevokeSessions ends every session of user id (a security administrator's
// response to a compromised account).
func (s *Service) RevokeSessions(ctx context.Context, actor *Principal, id string) error {
	if !isUUID(id) {
		return fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if err := lockUser(ctx, tx, id); err != nil {
			return err
		}
		return revokeUserSessions(ctx, tx, id, "", s.now())
	})
	s.forgetUser(id)
	if err != nil {
		return err
	}
	return s.record(ctx, s.event(actor, "identity.sessions.revoke", "user:"+id, audit.ResultOK, nil))
}

// revokeUserSessions ends the user's sessions except the one with ID except.
func revokeUserSessions(ctx context.Context, tx pgx.Tx, userID, except string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE identity_sessions SET revoked_at = $3
		WHERE user_id = $1 AND revoked_at IS NULL AND ($2 = '' OR id::text <> $2)`, userID, except, now)
	if err != nil {
		return fmt.Errorf("end sessions of %s: %w", userID, err)
	}
	return nil
}

// rotate ends the caller's session and opens a new one for the same user,
// so that a token observed before a privilege change is worth nothing after.
func (s *Service) rotate(ctx context.Context, tx pgx.Tx, p *Principal, mustChange bool) (Session, error) {
	if _, err := tx.Exec(ctx, "UPDATE identity_sessions SET revoked_at = $2 WHERE id = $1", p.SessionID, s.now()); err != nil {
		return Session{}, fmt.Errorf("rotate session: %w", err)
	}
	var source, ua string
	if err := tx.QueryRow(ctx, "SELECT source, user_agent FROM identity_sessions WHERE id = $1", p.SessionID).Scan(&source, &ua); err != nil {
		return Session{}, fmt.Errorf("rotate session: %w", err)
	}
	return s.createSession(ctx, tx, p.ID, source, ua, mustChange)
}
