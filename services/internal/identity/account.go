package identity

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// ChangePassword changes the calling user's password. The current password
// must be given (a wrong one counts towards the lockout like a failed login);
// the new one must pass CheckPasswordPolicy and differ from the last
// PasswordHistory passwords. The user's other sessions end and the calling
// session is replaced by the returned one.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) (Session, error) {
	if p == nil || p.Kind != KindUser || p.SessionID == "" {
		return Session{}, ErrUnauthenticated
	}
	var hash string
	var failed int
	if err := s.db.QueryRow(ctx, "SELECT password_hash, failed_logins FROM identity_users WHERE id = $1", p.ID).Scan(&hash, &failed); err != nil {
		return Session{}, fmt.Errorf("change password: %w", err)
	}
	if ok, _ := checkPassword(hash, current); !ok {
		failed++
		if failed >= s.cfg.MaxFailedLogins {
			s.db.Exec(ctx, "UPDATE identity_users SET failed_logins = 0, locked_until = $2 WHERE id = $1", p.ID, s.now().Add(s.cfg.LockoutDuration))
			s.db.Exec(ctx, "UPDATE identity_sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", p.ID, s.now())
			s.forgetUser(p.ID)
		} else {
			s.db.Exec(ctx, "UPDATE identity_users SET failed_logins = $2 WHERE id = $1", p.ID, failed)
		}
		s.record(ctx, s.event(p, "identity.password.change", "user:"+p.ID, audit.ResultFailed, map[string]any{"reason": "bad-password"}))
		return Session{}, invalid("currentPassword", "is wrong")
	}
	if err := CheckPasswordPolicy(p.Name, next); err != nil {
		return Session{}, err
	}
	rows, err := s.db.Query(ctx, "SELECT hash FROM identity_password_history WHERE user_id = $1 ORDER BY changed_at DESC LIMIT $2", p.ID, s.cfg.PasswordHistory)
	if err != nil {
		return Session{}, fmt.Errorf("password history: %w", err)
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return Session{}, fmt.Errorf("password history: %w", err)
	}
	for _, h := range append(old, hash) {
		if ok, _ := checkPassword(h, next); ok {
			return Session{}, invalid("newPassword", "must differ from your last %d passwords", s.cfg.PasswordHistory)
		}
	}
	newHash, err := hashPassword(next, s.cfg.PasswordIterations)
	if err != nil {
		return Session{}, err
	}
	var sess Session
	err = pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE identity_users SET password_hash = $2, password_changed_at = now(),
			must_change_password = false, failed_logins = 0, updated_at = now() WHERE id = $1`, p.ID, newHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO identity_password_history (user_id, hash) VALUES ($1, $2)", p.ID, newHash); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM identity_password_history WHERE user_id = $1 AND ctid NOT IN
			(SELECT ctid FROM identity_password_history WHERE user_id = $1 ORDER BY changed_at DESC LIMIT $2)`, p.ID, s.cfg.PasswordHistory); err != nil {
			return err
		}
		if err := revokeUserSessions(ctx, tx, p.ID, p.SessionID, s.now()); err != nil {
			return err
		}
		var err error
		sess, err = s.rotate(ctx, tx, p, false)
		return err
	})
	s.forgetUser(p.ID)
	if err != nil {
		return Session{}, fmt.Errorf("change password: %w", err)
	}
	return sess, s.record(ctx, s.event(p, "identity.password.change", "user:"+p.ID, audit.ResultOK, nil))
}
