package ledger

import "time"

// Report is what Verify found.
type Report struct {
	// Blocks is the number of blocks checked, genesis included.
	Blocks uint64
	// Transactions and Valid count all and valid transactions.
	Transactions, Valid uint64
	// Keys is the number of keys in the replayed world state.
	Keys uint64
	// Duration is how long the verification took.
	Duration time.Duration
}

// BlocksPerSecond returns the verification speed.
func (r Report) BlocksPerSecond() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Blocks) / r.Duration.Seconds()
}

// Verify checks the data directory dir of a ledger that is not open: every block's
// data hash and header hash, the previous-hash links and the block numbers, and that
// the stored world state, history and transaction index equal a replay of the valid
// transactions of all blocks into a fresh state. A mismatch is an error wrapping
// ErrCorrupt.
func Verify(dir string) (Report, error) {
	return Report{}, errNotImplemented
}
