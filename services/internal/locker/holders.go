package locker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// A locker is its holder's (7.6.2). A person becomes a holder by proving the
// unlock password once (Bind); the binding is a row of locker_holders
// (migration 01110). Callers whose roles read lockers only as their holders
// (the applicant) are limited to what Holds and HoldsAsset allow; the roles
// that act for the platform or the departments are not (httpapi decides who
// is which, from the permission locker:read-any).

// Holding is a locker a person holds and since when.
type Holding struct {
	Locker *Locker   `json:"locker"`
	Since  time.Time `json:"since"`
}

// Bind makes user (an identity user ID) a holder of locker id once password
// unlocks the locker's key. The check is the key service's, so a wrong
// password counts toward the locker's lockout like any other unlock. Binding
// again returns the first binding.
func (s *Service) Bind(ctx context.Context, id, user, password string) (*Holding, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	if password == "" {
		return nil, fmt.Errorf("bind holder of %s: the unlock password is required: %w", id, ErrInvalid)
	}
	l, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	k, err := s.keys.Unlock(ctx, keys.Owner{Kind: keys.KindSubject, ID: id}, password)
	if err != nil {
		return nil, fmt.Errorf("bind holder of %s: %w", id, keyErr(err))
	}
	k.Destroy()
	h := &Holding{Locker: l}
	if err := s.pool.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO locker_holders (user_id, locker_id) VALUES ($1, $2)
			ON CONFLICT (user_id, locker_id) DO NOTHING RETURNING bound_at)
		SELECT bound_at FROM ins
		UNION ALL SELECT bound_at FROM locker_holders WHERE user_id = $1 AND locker_id = $2
		LIMIT 1`, user, id).Scan(&h.Since); err != nil {
		return nil, fmt.Errorf("bind holder of %s: %w", id, err)
	}
	return h, nil
}

// Holdings lists the lockers user holds, the most recent binding first.
func (s *Service) Holdings(ctx context.Context, user string) ([]Holding, error) {
	rows, err := s.pool.Query(ctx, `SELECT locker_id, bound_at FROM locker_holders WHERE user_id = $1
		ORDER BY bound_at DESC, locker_id`, user)
	if err != nil {
		return nil, fmt.Errorf("holdings of %s: %w", user, err)
	}
	type row struct {
		id    string
		since time.Time
	}
	rs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		return x, r.Scan(&x.id, &x.since)
	})
	if err != nil {
		return nil, fmt.Errorf("holdings of %s: %w", user, err)
	}
	out := make([]Holding, 0, len(rs))
	for _, r := range rs {
		l, err := s.Get(ctx, r.id)
		if err != nil {
			return nil, err
		}
		out = append(out, Holding{Locker: l, Since: r.since})
	}
	return out, nil
}

// Holds reports whether user holds locker id.
func (s *Service) Holds(ctx context.Context, user, id string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM locker_holders WHERE user_id = $1 AND locker_id = $2)`,
		user, id).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("holder of %s: %w", id, err)
	}
	return ok, nil
}

// HoldsAsset reports whether user holds the locker that owns asset or, when
// grantee is true, a locker an active grant of the asset names as grantee
// (an asset pushed into it).
func (s *Service) HoldsAsset(ctx context.Context, user, asset string, grantee bool) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM ledger_assets a JOIN locker_holders h ON h.locker_id = a.owner
		        WHERE a.id = $2 AND h.user_id = $1)
		OR ($3 AND EXISTS (SELECT 1 FROM ledger_grants g JOIN locker_holders h ON h.locker_id = g.grantee
		        WHERE g.asset = $2 AND h.user_id = $1 AND g.status = 'active' AND g.expires_at > now()))`,
		user, asset, grantee).Scan(&ok)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, fmt.Errorf("holder of asset %s: %w", asset, err)
	}
	return ok, nil
}
