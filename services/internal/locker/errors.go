package locker

import "errors"

// The sentinel errors callers branch on with errors.Is. HTTP maps them to
// problem+json in one place (httpapi).
var (
	// ErrInvalid reports a request that can never succeed as given.
	ErrInvalid = errors.New("invalid locker request")
	// ErrNotFound reports a locker, asset, grant, code or request that does
	// not exist (or that the caller may not know of).
	ErrNotFound = errors.New("not found")
	// ErrConflict reports a request that contradicts what exists: another
	// content for an asset already issued, a locker opened twice.
	ErrConflict = errors.New("conflict")
	// ErrState reports a request the thing it names is not in a state for.
	ErrState = errors.New("wrong state")
	// ErrDenied reports a caller that may not do what it asked.
	ErrDenied = errors.New("denied")
)
