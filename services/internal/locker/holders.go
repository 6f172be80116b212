package locker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/kaiban-platform/kaiban/services/internal/audit"
	"github.com/kaiban-platform/kaiban/services/internal/identity"
	"github.com/kaiban-platform/kaiban/services/internal/keys"
)

// A locker is its holder's (7.6.2). A person becomes a holder by proving the
// unlock password once (Bind); the binding is a row of locker_holders
// (migration 01110). Callers whose roles read lockers only as their holders
// (the applicant) are limited to what Holds and HoldsAsset allow; the roles
// that act for the platform or the departments are not (httpapi decides who
// is which, from the permission locker:read-any). A holding ends when its
// holder gives it up (Unbind) or when the locker's unlock password or key
// changes (EndHoldingsOnKeyChange): whoever knew the old password proves the
// new one.

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

// Holder is a person holding a locker: an identity user, its login and
// since when. Name is the user's masked display name where the caller knows
// it (httpapi fills it from the identity service); the locker keeps none.
type Holder struct {
	UserID string    `json:"userId"`
	Login  string    `json:"login"`
	Name   string    `json:"name,omitempty"`
	Since  time.Time `json:"since"`
}

// Holders lists the holders of locker id, the earliest binding first.
func (s *Service) Holders(ctx context.Context, id string) ([]Holder, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT h.user_id::text, u.login, h.bound_at
		FROM locker_holders h JOIN identity_users u ON u.id = h.user_id
		WHERE h.locker_id = $1 ORDER BY h.bound_at, h.user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("holders of %s: %w", id, err)
	}
	hs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Holder, error) {
		var h Holder
		return h, r.Scan(&h.UserID, &h.Login, &h.Since)
	})
	if err != nil {
		return nil, fmt.Errorf("holders of %s: %w", id, err)
	}
	return hs, nil
}

// Unbind ends user's holding of locker id. A user holding nothing there —
// the locker unknown or not held — gets ErrNotFound, the same for both.
func (s *Service) Unbind(ctx context.Context, id, user string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM locker_holders WHERE user_id = $1 AND locker_id = $2`, user, id)
	if err != nil {
		return fmt.Errorf("unbind holder of %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("the caller holds no locker %s: %w", id, ErrNotFound)
	}
	return nil
}

// Auditor records security events; *audit.Log implements it.
type Auditor interface {
	Record(ctx context.Context, e audit.Entry) error
}

// ActionHoldingEnded is the audit log's action for a holding ended by a
// change of the locker's unlock password or key.
const ActionHoldingEnded = "locker.holding.ended"

// EndHoldingsOnKeyChange is keys.Config.OnCustodyChange for a process that
// runs the locker. When a locker's unlock password changes, its key is
// rotated or recovered, it ends, in the transaction making the change, every
// holding of the locker but the one of the person making it (the request's
// principal, when a person): the others knew the old password and must prove
// the new one. Once the change committed, each ended holding is recorded in
// aud. Other owners (departments) have no holders.
func EndHoldingsOnKeyChange(aud Auditor) func(context.Context, pgx.Tx, keys.CustodyChange) (func() error, error) {
	return func(ctx context.Context, tx pgx.Tx, c keys.CustodyChange) (func() error, error) {
		if c.Owner.Kind != keys.KindSubject {
			return nil, nil
		}
		var keep *string
		if p := identity.PrincipalFrom(ctx); p != nil && p.Kind == identity.KindUser {
			keep = &p.ID
		}
		rows, err := tx.Query(ctx, `DELETE FROM locker_holders WHERE locker_id = $1 AND user_id::text IS DISTINCT FROM $2
			RETURNING user_id::text`, c.Owner.ID, keep)
		if err != nil {
			return nil, fmt.Errorf("end the holdings of %s after its key's %s: %w", c.Owner.ID, c.Cause, err)
		}
		ended, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("end the holdings of %s after its key's %s: %w", c.Owner.ID, c.Cause, err)
		}
		if len(ended) == 0 || aud == nil {
			return nil, nil
		}
		return func() error {
			var errs []error
			for _, user := range ended {
				detail, err := json.Marshal(map[string]string{"holder": user, "cause": c.Cause})
				if err == nil {
					err = aud.Record(ctx, audit.Entry{Action: ActionHoldingEnded, Resource: "locker:" + c.Owner.ID,
						Result: audit.ResultOK, Detail: string(detail)})
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("record the end of %s's holding of %s: %w", user, c.Owner.ID, err))
				}
			}
			return errors.Join(errs...)
		}, nil
	}
}
