package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// store is the PostgreSQL adapter of the key service (tables of migration
// 00300_keys.sql). Every method that changes more than one row runs in one
// transaction, so no request leaves half its effects.
type store struct {
	pool *pgxpool.Pool
}

// record is a key with its custody envelope and revision.
type record struct {
	Key
	custody Envelope
	rev     int64
}

// querier is what a pool and a transaction have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func (s *store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

const keyColumns = `key_id, owner_kind, owner_id, version, status, public_key_pem, fingerprint,
	kdf_algorithm, kdf_iterations, kdf_salt, wrapped_private, custody_rev, created_at, retired_at`

func scanKey(row pgx.Row) (*record, error) {
	var (
		r       record
		retired *time.Time
	)
	err := row.Scan(&r.ID, &r.Owner.Kind, &r.Owner.ID, &r.Version, &r.Status, &r.PublicKeyPEM, &r.Fingerprint,
		&r.custody.KDF.Algorithm, &r.custody.KDF.Iterations, &r.custody.Salt, &r.custody.Sealed, &r.rev, &r.CreatedAt, &retired)
	if err != nil {
		return nil, err
	}
	r.CreatedAt = r.CreatedAt.UTC()
	if retired != nil {
		r.RetiredAt = retired.UTC()
	}
	return &r, nil
}

func queryKeys(ctx context.Context, q querier, where string, args ...any) ([]*record, error) {
	rows, err := q.Query(ctx, `SELECT `+keyColumns+` FROM keys WHERE `+where+` ORDER BY version DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	defer rows.Close()
	var out []*record
	for rows.Next() {
		r, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("read keys: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read keys: %w", err)
	}
	return out, nil
}

func insertKey(ctx context.Context, q querier, r *record) error {
	_, err := q.Exec(ctx, `INSERT INTO keys (`+keyColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,NULL)`,
		r.ID, r.Owner.Kind, r.Owner.ID, r.Version, r.Status, r.PublicKeyPEM, r.Fingerprint,
		r.custody.KDF.Algorithm, r.custody.KDF.Iterations, r.custody.Salt, r.custody.Sealed, r.rev, r.CreatedAt)
	if isUniqueViolation(err) {
		return fmt.Errorf("key of %s: %w", r.Owner, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("store key of %s: %w", r.Owner, err)
	}
	return nil
}

// createKey stores an owner's first key.
func (s *store) createKey(ctx context.Context, r *record) error {
	return insertKey(ctx, s.pool, r)
}

// ownerKeys returns all of owner's keys, newest first; ErrNotFound when it
// has none.
func (s *store) ownerKeys(ctx context.Context, owner Owner) ([]*record, error) {
	rs, err := queryKeys(ctx, s.pool, `owner_kind = $1 AND owner_id = $2`, owner.Kind, owner.ID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("keys of %s: %w", owner, ErrNotFound)
	}
	return rs, nil
}

// activeKey returns owner's active key.
func (s *store) activeKey(ctx context.Context, owner Owner) (*record, error) {
	rs, err := queryKeys(ctx, s.pool, `owner_kind = $1 AND owner_id = $2 AND status = 'active'`, owner.Kind, owner.ID)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("active key of %s: %w", owner, ErrNotFound)
	}
	return rs[0], nil
}

// keyByID returns one key.
func (s *store) keyByID(ctx context.Context, id string) (*record, error) {
	rs, err := queryKeys(ctx, s.pool, `key_id = $1`, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, fmt.Errorf("key %s: %w", id, ErrNotFound)
	}
	return rs[0], nil
}

// reseal is a new envelope for a key, conditional on the key's revision.
type reseal struct {
	keyID   string
	rev     int64
	custody Envelope
}

func applyReseals(ctx context.Context, q querier, rs []reseal) error {
	for _, r := range rs {
		tag, err := q.Exec(ctx, `UPDATE keys SET kdf_algorithm = $3, kdf_iterations = $4, kdf_salt = $5, wrapped_private = $6,
			custody_rev = custody_rev + 1 WHERE key_id = $1 AND custody_rev = $2`,
			r.keyID, r.rev, r.custody.KDF.Algorithm, r.custody.KDF.Iterations, r.custody.Salt, r.custody.Sealed)
		if err != nil {
			return fmt.Errorf("re-seal key %s: %w", r.keyID, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("re-seal key %s: %w", r.keyID, ErrConflict)
		}
	}
	return nil
}

// reseal stores new envelopes for keys, all or none, and runs hook (when
// not nil) in the same transaction.
func (s *store) reseal(ctx context.Context, rs []reseal, hook func(pgx.Tx) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if err := applyReseals(ctx, tx, rs); err != nil || hook == nil {
			return err
		}
		return hook(tx)
	})
}

// rotate retires old (unless its custody changed meanwhile), stores next as
// the active key, makes backup the owner's current backup when it is not
// nil, and runs hook, all in one transaction.
func (s *store) rotate(ctx context.Context, old *record, next *record, backup *backupRecord, now time.Time, hook func(pgx.Tx) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE keys SET status = 'retired', retired_at = $3
			WHERE key_id = $1 AND custody_rev = $2 AND status = 'active'`, old.ID, old.rev, now)
		if err != nil {
			return fmt.Errorf("retire key %s: %w", old.ID, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("retire key %s: %w", old.ID, ErrConflict)
		}
		if err := insertKey(ctx, tx, next); err != nil {
			if errors.Is(err, ErrExists) {
				return fmt.Errorf("rotate key of %s: %w", old.Owner, ErrConflict)
			}
			return err
		}
		if backup != nil {
			if err := replaceBackup(ctx, tx, backup, now); err != nil {
				return err
			}
		}
		if hook != nil {
			return hook(tx)
		}
		return nil
	})
}

// attempt runs fn on principal's failure counter under a row lock and
// stores what it returns.
func (s *store) attempt(ctx context.Context, principal string, now time.Time, fn func(attempts) attempts) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO key_unlock_attempts (principal, failures, updated_at) VALUES ($1, 0, $2)
			ON CONFLICT (principal) DO NOTHING`, principal, now); err != nil {
			return fmt.Errorf("count attempts of %s: %w", principal, err)
		}
		var (
			a      attempts
			locked *time.Time
		)
		if err := tx.QueryRow(ctx, `SELECT failures, locked_until FROM key_unlock_attempts WHERE principal = $1 FOR UPDATE`,
			principal).Scan(&a.Failures, &locked); err != nil {
			return fmt.Errorf("count attempts of %s: %w", principal, err)
		}
		if locked != nil {
			a.LockedUntil = locked.UTC()
		}
		a = fn(a)
		locked = nil
		if !a.LockedUntil.IsZero() {
			locked = &a.LockedUntil
		}
		if _, err := tx.Exec(ctx, `UPDATE key_unlock_attempts SET failures = $2, locked_until = $3, updated_at = $4 WHERE principal = $1`,
			principal, a.Failures, locked, now); err != nil {
			return fmt.Errorf("count attempts of %s: %w", principal, err)
		}
		return nil
	})
}

// admit counts an attempt by principal, or returns a *LockedError.
func (s *store) admit(ctx context.Context, principal string, now time.Time, p Lockout) error {
	var refused *LockedError
	err := s.attempt(ctx, principal, now, func(a attempts) attempts {
		a, refused = p.admit(a, now)
		return a
	})
	if err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	return nil
}

// failed records a wrong password by principal.
func (s *store) failed(ctx context.Context, principal string, now time.Time, p Lockout) error {
	return s.attempt(ctx, principal, now, func(a attempts) attempts { return p.failed(a, now) })
}

// succeeded clears principal's counter.
func (s *store) succeeded(ctx context.Context, principal string) error {
	return resetAttempts(ctx, s.pool, principal)
}

func resetAttempts(ctx context.Context, q querier, principal string) error {
	if _, err := q.Exec(ctx, `DELETE FROM key_unlock_attempts WHERE principal = $1`, principal); err != nil {
		return fmt.Errorf("reset attempts of %s: %w", principal, err)
	}
	return nil
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
