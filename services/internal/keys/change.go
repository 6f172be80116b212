package keys

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Causes of a CustodyChange.
const (
	CausePassword = "password" // ChangePassword
	CauseRotation = "rotation" // Rotate
	CauseRecovery = "recovery" // CompleteRecovery
)

// CustodyChange is a change of what opens an owner's keys, passed to
// Config.OnCustodyChange: a new password, a new key pair, a recovery under a
// new password.
type CustodyChange struct {
	Owner Owner  `json:"owner"`
	Cause string `json:"cause"` // one of the Cause constants
}

// custodyStep returns the step that runs Config.OnCustodyChange for c inside
// the transaction making the change, and the function to call once that
// transaction committed (never after a rollback), which logs what failed
// then: the change itself stands.
func (s *Service) custodyStep(ctx context.Context, c CustodyChange) (step func(pgx.Tx) error, committed func()) {
	var after func() error
	step = func(tx pgx.Tx) error {
		if s.onCustody == nil {
			return nil
		}
		var err error
		after, err = s.onCustody(ctx, tx, c)
		return err
	}
	committed = func() {
		if after == nil {
			return
		}
		if err := after(); err != nil {
			s.log.Error("after a key custody change", "owner", c.Owner.String(), "cause", c.Cause, "err", err)
		}
	}
	return step, committed
}
