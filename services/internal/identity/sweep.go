package identity

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// sessionRetention is how long ended sessions stay (for an administrator
// looking into an incident) before Sweep deletes them; the audit log keeps
// their logins and logouts for good.
const sessionRetention = 7 * 24 * time.Hour

// lastSweep is when Sweep last ran in this process (Unix seconds).
var lastSweep atomic.Int64

// Sweep deletes what has stopped mattering: sessions ended more than a week
// ago, nonces past their window, and per-source login counters whose window
// is over. Login runs it at most once a minute per process, so no job is
// needed; it is exported for tests and for an operator's maintenance.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM identity_sessions WHERE expires_at < $1 OR revoked_at < $1", []any{now.Add(-sessionRetention)}},
		{"DELETE FROM identity_nonces WHERE expires_at < $1", []any{now}},
		{`DELETE FROM identity_login_sources WHERE window_start < $1 AND (blocked_until IS NULL OR blocked_until < $2)`,
			[]any{now.Add(-s.cfg.SourceWindow), now}},
	} {
		if _, err := s.db.Exec(ctx, q.sql, q.args...); err != nil {
			return fmt.Errorf("identity sweep: %w", err)
		}
	}
	return nil
}

func (s *Service) maybeSweep(ctx context.Context) {
	now := s.now().Unix()
	if last := lastSweep.Load(); now-last < 60 || !lastSweep.CompareAndSwap(last, now) {
		return
	}
	_ = s.Sweep(ctx) // best effort: the next login tries again
}
