package deliver

import "errors"

// ErrClosed is returned by Follow when the ledger closed while it was waiting.
var ErrClosed = errors.New("deliver: ledger closed")
