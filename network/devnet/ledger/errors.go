package ledger

import "errors"

// Errors returned by the ledger, to be matched with errors.Is.
var (
	// ErrClosed is returned by calls on a closed Ledger.
	ErrClosed = errors.New("ledger: closed")
	// ErrBlockNotFound is returned by Block for a number at or beyond the height.
	ErrBlockNotFound = errors.New("ledger: block not found")
	// ErrTxNotFound is returned by TxStatus for a transaction ID the ledger has not
	// committed.
	ErrTxNotFound = errors.New("ledger: transaction not found")
	// ErrWrongChannel is returned by Broadcast for an envelope addressed to another
	// channel.
	ErrWrongChannel = errors.New("ledger: envelope is for another channel")
	// ErrBadEnvelope is returned by Broadcast for an envelope the orderer cannot parse:
	// no payload, no header or no channel header.
	ErrBadEnvelope = errors.New("ledger: malformed envelope")
	// ErrCorrupt is returned by Open and Verify when the data directory is not a
	// consistent chain (a hash does not match, a block is missing, the state is ahead
	// of the blocks or differs from their replay).
	ErrCorrupt = errors.New("ledger: data directory is corrupt")
)
