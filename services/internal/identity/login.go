package identity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
)

// LoginRequest is a password login, with a one-time code (TOTP or recovery
// code) for accounts that enrolled TOTP.
type LoginRequest struct {
	Login     string
	Password  string
	Code      string
	Source    string // client IP address, for the per-source counter
	UserAgent string
}

// Login checks a password (and one-time code) and opens a session.
//
// Failures are counted twice: per account (MaxFailedLogins consecutive
// failures lock it for LockoutDuration) and per source address
// (SourceMaxFailures failures within SourceWindow, on any accounts, block the
// address for the rest of the window), so that one address cannot try many
// passwords on one account, nor one password on many accounts. An unknown
// login costs the same key derivation as a known one and answers the same
// ErrInvalidCredentials. Every attempt is recorded in the audit log.
func (s *Service) Login(ctx context.Context, r LoginRequest) (Session, error) {
	login := strings.ToLower(strings.TrimSpace(r.Login))
	s.maybeSweep(ctx)
	ev := func(result, userID, reason string) audit.Entry {
		e := audit.Entry{ActorKind: audit.ActorAnonymous, ActorName: clip(login, 64), Action: "identity.login",
			Resource: "login:" + clip(login, 64), Result: result, Source: r.Source}
		if userID != "" {
			e.ActorKind, e.ActorID, e.Resource = audit.ActorUser, userID, "user:"+userID
		}
		if reason != "" {
			e.Detail = `{"reason":"` + reason + `"}`
		}
		return e
	}
	if blocked, err := s.sourceBlocked(ctx, r.Source); err != nil {
		return Session{}, err
	} else if blocked {
		s.record(ctx, ev(audit.ResultDenied, "", "source-blocked"))
		return Session{}, ErrSourceBlocked
	}
	if len(r.Password) > 4*MaxPasswordLength || !loginRE.MatchString(login) {
		s.failSource(ctx, r.Source)
		s.record(ctx, ev(audit.ResultFailed, "", "malformed"))
		return Session{}, ErrInvalidCredentials
	}

	var sess Session
	var userID, reason string
	var outcome error
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var (
			hash                 string
			disabled, mustChange bool
			totpOn               bool
			failed               int
			lockedUntil          *time.Time
			totpSealed           []byte
			lastStep             int64
		)
		// The row lock serialises concurrent attempts on one account, so
		// that parallel guesses cannot overtake the failure counter.
		err := tx.QueryRow(ctx, `SELECT id, password_hash, disabled, must_change_password, totp_enabled, failed_logins,
			locked_until, totp_secret_sealed, totp_last_step FROM identity_users WHERE login = $1 FOR UPDATE`, login).
			Scan(&userID, &hash, &disabled, &mustChange, &totpOn, &failed, &lockedUntil, &totpSealed, &lastStep)
		if errors.Is(err, pgx.ErrNoRows) {
			checkPassword(s.dummyPwd, r.Password)
			userID, reason, outcome = "", "unknown-login", ErrInvalidCredentials
			return nil
		}
		if err != nil {
			return fmt.Errorf("login: %w", err)
		}
		now := s.now()
		if lockedUntil != nil && now.Before(*lockedUntil) {
			reason, outcome = "locked", ErrAccountLocked
			return nil
		}
		ok, iterations := checkPassword(hash, r.Password)
		if ok && disabled {
			reason, outcome = "disabled", ErrInvalidCredentials
			return nil
		}
		if ok && totpOn {
			switch {
			case r.Code == "":
				reason, outcome = "totp-required", ErrTOTPRequired
				return nil
			default:
				step, good, err := s.checkSecondFactor(ctx, tx, userID, totpSealed, lastStep, r.Code)
				if err != nil {
					return err
				}
				if !good {
					ok, reason = false, "bad-code"
				} else if step > 0 {
					if _, err := tx.Exec(ctx, "UPDATE identity_users SET totp_last_step = $2 WHERE id = $1", userID, step); err != nil {
						return err
					}
				}
			}
		} else if !ok {
			reason = "bad-password"
		}
		if !ok {
			failed++
			if failed >= s.cfg.MaxFailedLogins {
				_, err = tx.Exec(ctx, "UPDATE identity_users SET failed_logins = 0, locked_until = $2 WHERE id = $1",
					userID, now.Add(s.cfg.LockoutDuration))
				reason += ",locked"
			} else {
				_, err = tx.Exec(ctx, "UPDATE identity_users SET failed_logins = $2 WHERE id = $1", userID, failed)
			}
			outcome = ErrInvalidCredentials
			return err
		}
		if iterations < s.cfg.PasswordIterations {
			if newHash, err := hashPassword(r.Password, s.cfg.PasswordIterations); err == nil {
				if _, err := tx.Exec(ctx, "UPDATE identity_users SET password_hash = $2 WHERE id = $1", userID, newHash); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE identity_users SET failed_logins = 0, locked_until = NULL WHERE id = $1", userID); err != nil {
			return err
		}
		sess, err = s.createSession(ctx, tx, userID, r.Source, r.UserAgent, mustChange)
		return err
	})
	if err != nil {
		return Session{}, err
	}
	switch {
	case outcome == nil:
		return sess, s.record(ctx, ev(audit.ResultOK, userID, ""))
	case errors.Is(outcome, ErrInvalidCredentials):
		if strings.HasSuffix(reason, ",locked") {
			s.forgetUser(userID)
		}
		s.failSource(ctx, r.Source)
		s.record(ctx, ev(audit.ResultFailed, userID, reason))
	case errors.Is(outcome, ErrTOTPRequired):
		s.record(ctx, ev(audit.ResultFailed, userID, reason))
	default:
		s.record(ctx, ev(audit.ResultDenied, userID, reason))
	}
	return Session{}, outcome
}

func (s *Service) sourceBlocked(ctx context.Context, source string) (bool, error) {
	if source == "" {
		return false, nil
	}
	var until *time.Time
	err := s.db.QueryRow(ctx, "SELECT blocked_until FROM identity_login_sources WHERE source = $1", source).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("login source: %w", err)
	}
	return until != nil && s.now().Before(*until), nil
}

// failSource counts a failure against source in a fixed window, blocking it
// for the rest of the window at the threshold. Best effort: a failure to
// count does not turn a wrong password into another error.
func (s *Service) failSource(ctx context.Context, source string) {
	if source == "" {
		return
	}
	now := s.now()
	_, _ = s.db.Exec(ctx, `INSERT INTO identity_login_sources AS l (source, window_start, failures) VALUES ($1, $2, 1)
		ON CONFLICT (source) DO UPDATE SET
		  failures = CASE WHEN l.window_start <= $2 - $3::interval THEN 1 ELSE l.failures + 1 END,
		  window_start = CASE WHEN l.window_start <= $2 - $3::interval THEN $2 ELSE l.window_start END,
		  blocked_until = CASE
		    WHEN l.window_start > $2 - $3::interval AND l.failures + 1 >= $4 THEN l.window_start + $3::interval
		    WHEN l.window_start <= $2 - $3::interval AND 1 >= $4 THEN $2 + $3::interval
		    ELSE l.blocked_until END`,
		source, now, s.cfg.SourceWindow, s.cfg.SourceMaxFailures)
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
