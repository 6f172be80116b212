package kaibannet

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// retry calls fn until it succeeds, fails permanently or timeout passes,
// backing off from 250ms to 2s. Right after a channel is created the
// orderers may have no Raft leader yet and peers of other organisations may
// not have met through gossip; both heal within seconds, so the first
// failures are expected.
func retry(ctx context.Context, timeout time.Duration, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := 250 * time.Millisecond
	for {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var p permanentError
		if errors.As(err, &p) {
			return p.err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (gave up after %s)", err, timeout)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// permanentError makes retry return err at once.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }

// permanent marks err as not worth retrying.
func permanent(err error) error { return permanentError{err} }
