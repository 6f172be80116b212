package keys

import (
	"errors"
	"fmt"
	"time"
)

// The sentinel errors callers branch on with errors.Is. Every error the
// package returns for one of these situations wraps the matching sentinel and
// carries its own context.
var (
	// ErrInvalid reports a request that can never succeed as given: a
	// malformed owner ID, a password outside the policy, a threshold that
	// does not fit, a ciphertext that is not one this service makes.
	ErrInvalid = errors.New("invalid key request")

	// ErrNotFound reports an owner, key, backup or recovery that does not
	// exist.
	ErrNotFound = errors.New("not found")

	// ErrExists reports an owner that already has a key pair.
	ErrExists = errors.New("already exists")

	// ErrBadPassword reports an unlock password that does not open the
	// owner's key. It is returned only after the full key derivation, so its
	// timing does not tell a wrong password from an unknown owner.
	ErrBadPassword = errors.New("wrong unlock password")

	// ErrLocked reports an owner refused without trying the password because
	// of too many recent failures; the error is a *LockedError that says
	// until when.
	ErrLocked = errors.New("locked after repeated wrong passwords")

	// ErrConflict reports a change lost to a concurrent one (two password
	// changes at once, say); reading again and retrying is safe.
	ErrConflict = errors.New("concurrent change")

	// ErrBadShare reports a submitted backup share that is not the one the
	// split issued to that department.
	ErrBadShare = errors.New("backup share does not match")

	// ErrRecoveryState reports a recovery that cannot take the step asked:
	// not enough shares yet, already completed, expired or cancelled.
	ErrRecoveryState = errors.New("recovery is not in a state for this step")

	// ErrForbidden reports a requester who may not act on the owner's keys
	// that way: a recovery started by someone who is neither the owner nor a
	// security administrator acting for it.
	ErrForbidden = errors.New("not allowed for this owner")

	// ErrDecrypt reports a wrapped key or share that none of the owner's
	// keys opens. The causes are not distinguished, so the error is no
	// oracle.
	ErrDecrypt = errors.New("decryption failed")

	// ErrBadSignature reports a signature that does not verify.
	ErrBadSignature = errors.New("signature does not verify")
)

// LockedError is the ErrLocked error: the owner may try again at Until.
type LockedError struct {
	Until time.Time
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%v until %s", ErrLocked, e.Until.UTC().Format(time.RFC3339))
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// RetryAfter returns how long from now the lock lasts, at least a second.
func (e *LockedError) RetryAfter(now time.Time) time.Duration {
	return max(e.Until.Sub(now).Round(time.Second), time.Second)
}
