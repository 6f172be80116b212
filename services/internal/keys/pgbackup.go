package keys

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// backupRecord is a backup with its encrypted shares.
type backupRecord struct {
	Backup
	shares []shareRecord
}

// shareRecord is one department's share as stored.
type shareRecord struct {
	Holder
	ciphertext []byte
	digest     string
}

func (b *backupRecord) share(department string) (*shareRecord, bool) {
	for i := range b.shares {
		if b.shares[i].Department == department {
			return &b.shares[i], true
		}
	}
	return nil, false
}

// replaceBackup makes b the owner's current backup: the previous one is
// superseded and its shares deleted (a department dropped from the holders
// must lose its share), and a recovery still collecting shares of it is
// cancelled.
func replaceBackup(ctx context.Context, tx pgx.Tx, b *backupRecord, now time.Time) error {
	if _, err := tx.Exec(ctx, `DELETE FROM key_shares WHERE backup_id IN
		(SELECT backup_id FROM key_backups WHERE owner_kind = $1 AND owner_id = $2 AND current)`, b.Owner.Kind, b.Owner.ID); err != nil {
		return fmt.Errorf("supersede backup of %s: %w", b.Owner, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE key_backups SET current = false WHERE owner_kind = $1 AND owner_id = $2 AND current`,
		b.Owner.Kind, b.Owner.ID); err != nil {
		return fmt.Errorf("supersede backup of %s: %w", b.Owner, err)
	}
	if _, err := tx.Exec(ctx, `UPDATE key_recoveries SET status = 'cancelled', closed_at = $3
		WHERE owner_kind = $1 AND owner_id = $2 AND status = 'open'`, b.Owner.Kind, b.Owner.ID, now); err != nil {
		return fmt.Errorf("cancel recoveries of %s: %w", b.Owner, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO key_backups (backup_id, owner_kind, owner_id, threshold, share_count, key_ids, current, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, true, $7)`,
		b.ID, b.Owner.Kind, b.Owner.ID, b.Threshold, len(b.shares), b.KeyIDs, b.CreatedAt); err != nil {
		return fmt.Errorf("store backup of %s: %w", b.Owner, err)
	}
	for _, sh := range b.shares {
		if _, err := tx.Exec(ctx, `INSERT INTO key_shares (backup_id, share_index, holder_id, holder_key_id, ciphertext, digest)
			VALUES ($1, $2, $3, $4, $5, $6)`, b.ID, sh.Index, sh.Department, sh.KeyID, sh.ciphertext, sh.digest); err != nil {
			return fmt.Errorf("store share %d of backup %s: %w", sh.Index, b.ID, err)
		}
	}
	return nil
}

// saveBackup stores b as the owner's current backup.
func (s *store) saveBackup(ctx context.Context, b *backupRecord, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return replaceBackup(ctx, tx, b, now) })
}

// currentBackup returns owner's current backup.
func (s *store) currentBackup(ctx context.Context, owner Owner) (*backupRecord, error) {
	return s.readBackup(ctx, `owner_kind = $1 AND owner_id = $2 AND current`, owner.Kind, owner.ID)
}

func (s *store) readBackup(ctx context.Context, where string, args ...any) (*backupRecord, error) {
	var b backupRecord
	err := s.pool.QueryRow(ctx, `SELECT backup_id, owner_kind, owner_id, threshold, key_ids, created_at FROM key_backups WHERE `+where, args...).
		Scan(&b.ID, &b.Owner.Kind, &b.Owner.ID, &b.Threshold, &b.KeyIDs, &b.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("backup: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read backup: %w", err)
	}
	b.CreatedAt = b.CreatedAt.UTC()
	rows, err := s.pool.Query(ctx, `SELECT share_index, holder_id, holder_key_id, ciphertext, digest FROM key_shares
		WHERE backup_id = $1 ORDER BY share_index`, b.ID)
	if err != nil {
		return nil, fmt.Errorf("read shares of backup %s: %w", b.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh shareRecord
		if err := rows.Scan(&sh.Index, &sh.Department, &sh.KeyID, &sh.ciphertext, &sh.digest); err != nil {
			return nil, fmt.Errorf("read shares of backup %s: %w", b.ID, err)
		}
		b.shares = append(b.shares, sh)
		b.Holders = append(b.Holders, sh.Holder)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read shares of backup %s: %w", b.ID, err)
	}
	return &b, nil
}

// recoveryRecord is a recovery with its backup, sealed session key and the
// shares submitted so far.
type recoveryRecord struct {
	ID            string
	Owner         Owner
	Status        RecoveryStatus // open, completed or cancelled as stored
	RequestedBy   string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	ClosedAt      time.Time
	sessionPublic string
	session       Envelope
	backup        *backupRecord
	submitted     []submittedShare
}

type submittedShare struct {
	index      int
	holder     string
	ciphertext []byte // encrypted to the session key
}

// openRecovery stores a new open recovery, after cancelling an expired one
// of the same owner; another one still open is ErrRecoveryState.
func (s *store) openRecovery(ctx context.Context, r *recoveryRecord) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE key_recoveries SET status = 'cancelled', closed_at = $3
			WHERE owner_kind = $1 AND owner_id = $2 AND status = 'open' AND expires_at <= $3`, r.Owner.Kind, r.Owner.ID, r.CreatedAt); err != nil {
			return fmt.Errorf("cancel expired recoveries of %s: %w", r.Owner, err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO key_recoveries (recovery_id, backup_id, owner_kind, owner_id, status, session_public,
			kdf_algorithm, kdf_iterations, kdf_salt, session_private, created_at, expires_at, requested_by)
			VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9, $10, $11, $12)`,
			r.ID, r.backup.ID, r.Owner.Kind, r.Owner.ID, r.sessionPublic,
			r.session.KDF.Algorithm, r.session.KDF.Iterations, r.session.Salt, r.session.Sealed, r.CreatedAt, r.ExpiresAt, r.RequestedBy)
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: a recovery of %s is already open (cancel it first)", ErrRecoveryState, r.Owner)
		}
		if err != nil {
			return fmt.Errorf("store recovery of %s: %w", r.Owner, err)
		}
		return nil
	})
}

// recovery reads a recovery with its backup and submitted shares.
func (s *store) recovery(ctx context.Context, id string) (*recoveryRecord, error) {
	var (
		r        recoveryRecord
		backupID string
		closed   *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT recovery_id, backup_id, owner_kind, owner_id, status, session_public,
		kdf_algorithm, kdf_iterations, kdf_salt, session_private, created_at, expires_at, closed_at, requested_by
		FROM key_recoveries WHERE recovery_id = $1`, id).
		Scan(&r.ID, &backupID, &r.Owner.Kind, &r.Owner.ID, &r.Status, &r.sessionPublic,
			&r.session.KDF.Algorithm, &r.session.KDF.Iterations, &r.session.Salt, &r.session.Sealed, &r.CreatedAt, &r.ExpiresAt, &closed, &r.RequestedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("recovery %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read recovery %s: %w", id, err)
	}
	r.CreatedAt, r.ExpiresAt = r.CreatedAt.UTC(), r.ExpiresAt.UTC()
	if closed != nil {
		r.ClosedAt = closed.UTC()
	}
	if r.backup, err = s.readBackup(ctx, `backup_id = $1`, backupID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT share_index, holder_id, ciphertext FROM key_recovery_shares
		WHERE recovery_id = $1 ORDER BY share_index`, id)
	if err != nil {
		return nil, fmt.Errorf("read shares of recovery %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var sh submittedShare
		if err := rows.Scan(&sh.index, &sh.holder, &sh.ciphertext); err != nil {
			return nil, fmt.Errorf("read shares of recovery %s: %w", id, err)
		}
		r.submitted = append(r.submitted, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read shares of recovery %s: %w", id, err)
	}
	return &r, nil
}

// addRecoveryShare stores a submitted share if the recovery is still open
// and the share is not there yet; submitting the same share twice is
// harmless.
func (s *store) addRecoveryShare(ctx context.Context, id string, sh submittedShare, now time.Time) error {
	tag, err := s.pool.Exec(ctx, `INSERT INTO key_recovery_shares (recovery_id, share_index, holder_id, ciphertext, submitted_at)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS
			(SELECT 1 FROM key_recoveries WHERE recovery_id = $1 AND status = 'open' AND expires_at > $5)
		ON CONFLICT (recovery_id, share_index) DO NOTHING`, id, sh.index, sh.holder, sh.ciphertext, now)
	if err != nil {
		return fmt.Errorf("store share of recovery %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var open bool
		if err := s.pool.QueryRow(ctx, `SELECT status = 'open' AND expires_at > $2 FROM key_recoveries WHERE recovery_id = $1`,
			id, now).Scan(&open); err != nil {
			return fmt.Errorf("store share of recovery %s: %w", id, err)
		}
		if !open {
			return fmt.Errorf("%w: recovery %s is closed or expired", ErrRecoveryState, id)
		}
	}
	return nil
}

// completeRecovery re-seals the recovered keys, closes the recovery, drops
// its submitted shares and clears the owner's lockout, all at once.
func (s *store) completeRecovery(ctx context.Context, r *recoveryRecord, reseals []reseal, now time.Time, hook func(pgx.Tx) error) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE key_recoveries SET status = 'completed', closed_at = $2
			WHERE recovery_id = $1 AND status = 'open' AND expires_at > $2`, r.ID, now)
		if err != nil {
			return fmt.Errorf("complete recovery %s: %w", r.ID, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%w: recovery %s is closed or expired", ErrRecoveryState, r.ID)
		}
		if err := applyReseals(ctx, tx, reseals); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM key_recovery_shares WHERE recovery_id = $1`, r.ID); err != nil {
			return fmt.Errorf("complete recovery %s: %w", r.ID, err)
		}
		if err := resetAttempts(ctx, tx, r.Owner.String()); err != nil {
			return err
		}
		return hook(tx)
	})
}

// cancelRecovery closes an open recovery and drops its submitted shares.
func (s *store) cancelRecovery(ctx context.Context, id string, now time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE key_recoveries SET status = 'cancelled', closed_at = $2 WHERE recovery_id = $1 AND status = 'open'`, id, now)
		if err != nil {
			return fmt.Errorf("cancel recovery %s: %w", id, err)
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("%w: recovery %s is not open", ErrRecoveryState, id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM key_recovery_shares WHERE recovery_id = $1`, id); err != nil {
			return fmt.Errorf("cancel recovery %s: %w", id, err)
		}
		return nil
	})
}
