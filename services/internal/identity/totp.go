package identity

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/kaiban-platform/kaiban/chaincode/gm"
	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// TOTP is RFC 6238 with the parameters every authenticator app supports
// (HMAC-SHA1, 6 digits, 30 s): the one-time code is a second factor whose
// security comes from the secret's entropy and the short window, and an SM3
// variant would be unusable with the apps staff carry. The secret is sealed
// with SM4-GCM (bound to the user ID); a code is accepted one step either
// side of now, and never twice (the last used step is stored). Ten recovery
// codes are issued at confirmation, stored as HMAC-SM3 under the service's
// secret key, each usable once.

const (
	totpPeriod        = 30
	recoveryCodeCount = 10
)

// TOTPEnrolment is what a user scans into an authenticator app.
type TOTPEnrolment struct {
	Secret string `json:"secret"` // base32
	URL    string `json:"url"`    // otpauth:// URL, for a QR code
}

// EnrolTOTP starts TOTP enrolment for the calling user: a new secret that
// becomes active when ConfirmTOTP sees a code made from it.
func (s *Service) EnrolTOTP(ctx context.Context, p *Principal) (TOTPEnrolment, error) {
	if p == nil || p.Kind != KindUser {
		return TOTPEnrolment{}, ErrUnauthenticated
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.cfg.TOTPIssuer, AccountName: p.Name, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("totp secret: %w", err)
	}
	sealed, err := gm.SealGCM(s.sealKey, []byte(key.Secret()), []byte("totp\x00"+p.ID))
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("seal totp secret: %w", err)
	}
	tag, err := s.db.Exec(ctx, `UPDATE identity_users SET totp_secret_sealed = $2 WHERE id = $1 AND NOT totp_enabled`, p.ID, sealed)
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("enrol totp: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return TOTPEnrolment{}, fmt.Errorf("TOTP is already enabled: %w", ErrConflict)
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL()}, s.record(ctx, s.event(p, "identity.totp.enrol", "user:"+p.ID, audit.ResultOK, nil))
}

// ConfirmTOTP enables TOTP for the calling user when code matches the
// enrolled secret, and returns the recovery codes (shown once). The user's
// other sessions end.
func (s *Service) ConfirmTOTP(ctx context.Context, p *Principal, code string) ([]string, error) {
	if p == nil || p.Kind != KindUser {
		return nil, ErrUnauthenticated
	}
	var codes []string
	err := pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		var sealed []byte
		var enabled bool
		err := tx.QueryRow(ctx, "SELECT totp_secret_sealed, totp_enabled FROM identity_users WHERE id = $1 FOR UPDATE", p.ID).Scan(&sealed, &enabled)
		if err != nil {
			return fmt.Errorf("confirm totp: %w", err)
		}
		if enabled {
			return fmt.Errorf("TOTP is already enabled: %w", ErrConflict)
		}
		if sealed == nil {
			return fmt.Errorf("no TOTP enrolment to confirm: %w", ErrConflict)
		}
		step, ok, err := s.checkTOTP(p.ID, sealed, 0, code)
		if err != nil {
			return err
		}
		if !ok {
			return invalid("code", "does not match the enrolled secret")
		}
		if _, err := tx.Exec(ctx, "UPDATE identity_users SET totp_enabled = true, totp_last_step = $2 WHERE id = $1", p.ID, step); err != nil {
			return err
		}
		codes, err = s.newRecoveryCodes(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		return revokeUserSessions(ctx, tx, p.ID, p.SessionID, s.now())
	})
	s.forgetUser(p.ID)
	if err != nil {
		return nil, err
	}
	return codes, s.record(ctx, s.event(p, "identity.totp.confirm", "user:"+p.ID, audit.ResultOK, nil))
}

// DisableTOTP turns TOTP off for the calling user, who proves it is them
// with their password.
func (s *Service) DisableTOTP(ctx context.Context, p *Principal, password string) error {
	if p == nil || p.Kind != KindUser {
		return ErrUnauthenticated
	}
	var hash string
	if err := s.db.QueryRow(ctx, "SELECT password_hash FROM identity_users WHERE id = $1", p.ID).Scan(&hash); err != nil {
		return fmt.Errorf("disable totp: %w", err)
	}
	if ok, _ := checkPassword(hash, password); !ok {
		s.record(ctx, s.event(p, "identity.totp.disable", "user:"+p.ID, audit.ResultFailed, map[string]any{"reason": "bad-password"}))
		return ErrInvalidCredentials
	}
	if err := s.clearTOTP(ctx, p.ID); err != nil {
		return err
	}
	return s.record(ctx, s.event(p, "identity.totp.disable", "user:"+p.ID, audit.ResultOK, nil))
}

// ResetTOTP turns TOTP off for a user who lost their device (a security
// administrator's act; the user enrols again).
func (s *Service) ResetTOTP(ctx context.Context, actor *Principal, id string) error {
	if !isUUID(id) {
		return fmt.Errorf("user %q: %w", id, ErrNotFound)
	}
	if actor != nil && actor.ID == id {
		return ErrSelfAssignment
	}
	if err := s.clearTOTP(ctx, id); err != nil {
		return err
	}
	return s.record(ctx, s.event(actor, "identity.totp.reset", "user:"+id, audit.ResultOK, nil))
}

func (s *Service) clearTOTP(ctx context.Context, id string) error {
	defer s.forgetUser(id)
	return pgx.BeginFunc(ctx, s.db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "UPDATE identity_users SET totp_enabled = false, totp_secret_sealed = NULL, totp_last_step = 0 WHERE id = $1", id)
		if err != nil {
			return fmt.Errorf("clear totp: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("user %s: %w", id, ErrNotFound)
		}
		_, err = tx.Exec(ctx, "DELETE FROM identity_recovery_codes WHERE user_id = $1", id)
		return err
	})
}

// checkTOTP reports whether code is the TOTP of the sealed secret one step
// either side of now and later than lastStep, and the step it matched.
func (s *Service) checkTOTP(userID string, sealed []byte, lastStep int64, code string) (int64, bool, error) {
	secret, err := gm.OpenGCM(s.sealKey, sealed, []byte("totp\x00"+userID))
	if err != nil {
		return 0, false, fmt.Errorf("open totp secret of %s: %w", userID, err)
	}
	if len(code) != 6 {
		return 0, false, nil
	}
	now := s.now().Unix() / totpPeriod
	for step := now - 1; step <= now+1; step++ {
		if step <= lastStep {
			continue
		}
		want, err := totp.GenerateCodeCustom(string(secret), time.Unix(step*totpPeriod, 0),
			totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false, fmt.Errorf("totp: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true, nil
		}
	}
	return 0, false, nil
}

// checkSecondFactor accepts a TOTP code, or an unused recovery code (which
// it uses up). step is the TOTP step matched, 0 for a recovery code.
func (s *Service) checkSecondFactor(ctx context.Context, tx pgx.Tx, userID string, sealed []byte, lastStep int64, code string) (int64, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) == 6 {
		return s.checkTOTP(userID, sealed, lastStep, code)
	}
	tag, err := tx.Exec(ctx, `UPDATE identity_recovery_codes SET used_at = $3
		WHERE user_id = $1 AND code_mac = $2 AND used_at IS NULL`, userID, s.recoveryMAC(userID, code), s.now())
	if err != nil {
		return 0, false, fmt.Errorf("recovery code: %w", err)
	}
	return 0, tag.RowsAffected() == 1, nil
}

func normalizeRecovery(code string) string {
	return strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(code, "-", ""), " ", ""))
}

func (s *Service) recoveryMAC(userID, code string) string {
	return hex.EncodeToString(gm.HMAC(s.macKey, []byte(userID+"\x00"+normalizeRecovery(code))))
}

// recoveryAlphabet has no 0/o, 1/l/i, so codes survive being read aloud or
// copied by hand.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

func (s *Service) newRecoveryCodes(ctx context.Context, tx pgx.Tx, userID string) ([]string, error) {
	if _, err := tx.Exec(ctx, "DELETE FROM identity_recovery_codes WHERE user_id = $1", userID); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		c, err := randomString(recoveryAlphabet, 10) // 31^10 ≈ 2^49.5
		if err != nil {
			return nil, err
		}
		codes[i] = c[:5] + "-" + c[5:]
		if _, err := tx.Exec(ctx, "INSERT INTO identity_recovery_codes (user_id, code_mac) VALUES ($1, $2)",
			userID, s.recoveryMAC(userID, codes[i])); err != nil {
			return nil, fmt.Errorf("store recovery code: %w", err)
		}
	}
	return codes, nil
}

// randomString draws n characters uniformly from alphabet.
func randomString(alphabet string, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 1)
	limit := 256 - 256%len(alphabet)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		if int(buf[0]) < limit {
			out = append(out, alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return string(out), nil
}
