package keys

import "time"

// Lockout is the brute-force policy for unlock passwords: after MaxFailures
// consecutive wrong passwords the owner is refused for Cooldown without the
// password being tried. The count lives in PostgreSQL, so it holds across
// processes and restarts.
type Lockout struct {
	MaxFailures int
	Cooldown    time.Duration
}

// DefaultLockout allows five wrong passwords, then refuses for fifteen
// minutes: with PBKDF2 already costing each guess ~0.2 s, this caps an
// online guesser at 480 guesses a day per owner.
var DefaultLockout = Lockout{MaxFailures: 5, Cooldown: 15 * time.Minute}

// attempts is an owner's failure counter as stored.
type attempts struct {
	Failures    int
	LockedUntil time.Time // zero when not locked
}

// admit decides whether an attempt may try a password at now. Every admitted
// attempt counts as a failure until it succeeds (succeeded resets the
// counter): attempts running in parallel therefore cannot exceed the limit
// together, and an attempt whose process died counts against the guesser.
func (p Lockout) admit(a attempts, now time.Time) (attempts, *LockedError) {
	if !a.LockedUntil.IsZero() {
		if now.Before(a.LockedUntil) {
			return a, &LockedError{Until: a.LockedUntil}
		}
		a = attempts{} // the cool-down is over: a fresh allowance
	}
	if a.Failures >= p.MaxFailures {
		// The allowance is spent by attempts still running or lost: lock now.
		a.LockedUntil = now.Add(p.Cooldown)
		return a, &LockedError{Until: a.LockedUntil}
	}
	a.Failures++
	return a, nil
}

// failed records that an admitted attempt had a wrong password; the last
// allowed failure starts the cool-down.
func (p Lockout) failed(a attempts, now time.Time) attempts {
	if a.LockedUntil.IsZero() && a.Failures >= p.MaxFailures {
		a.LockedUntil = now.Add(p.Cooldown)
	}
	return a
}
