package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/kaiban-platform/kaiban/network/devnet/blockfile"
	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
)

// Report is what Verify found.
type Report struct {
	// Blocks is the number of blocks checked, genesis included.
	Blocks uint64
	// Transactions and Valid count all and valid transactions.
	Transactions, Valid uint64
	// Keys, HistoryEntries and TxIDs count what the replayed state holds.
	Keys, HistoryEntries, TxIDs uint64
	// Behind is how many blocks the stored state had not applied yet (a crash left
	// them for the next Open to replay); the comparison is made at its savepoint.
	Behind uint64
	// TornBytes is the size of a torn record at the end of the block file, which the
	// next Open truncates.
	TornBytes int64
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
// number, data hash and previous-hash link, and that the stored world state, history
// and transaction index equal a replay of the valid transactions of the blocks into a
// fresh state. A mismatch is an error wrapping ErrCorrupt.
func Verify(dir string) (Report, error) {
	start := time.Now()
	var r Report
	blocks, err := blockfile.OpenReadOnly(filepath.Join(dir, BlocksFile))
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	defer blocks.Close()
	r.TornBytes = blocks.Torn()
	if blocks.Len() == 0 {
		return r, fmt.Errorf("verify %s: no blocks: %w", dir, ErrCorrupt)
	}
	stored, err := statedb.Open(filepath.Join(dir, StateFile), statedb.Options{ReadOnly: true})
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	defer stored.Close()
	sp, ok, err := stored.Savepoint()
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	if !ok {
		return r, fmt.Errorf("verify %s: state has no savepoint: %w", dir, ErrCorrupt)
	}
	if sp >= blocks.Len() {
		return r, fmt.Errorf("verify %s: state is at block %d, beyond the last block %d: %w", dir, sp, blocks.Len()-1, ErrCorrupt)
	}
	r.Behind = blocks.Len() - 1 - sp

	tmp, err := os.MkdirTemp("", "devnet-verify-")
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(tmp)
	fresh, err := statedb.Open(filepath.Join(tmp, StateFile), statedb.Options{})
	if err != nil {
		return r, fmt.Errorf("verify: %w", err)
	}
	defer fresh.Close()

	st, err := replay(blocks, fresh, 0, sp+1, checkLink)
	r.Blocks, r.Transactions, r.Valid = st.blocks, st.txs, st.valid
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", dir, err)
	}
	cmp, err := statedb.Compare(stored, fresh)
	r.Keys, r.HistoryEntries, r.TxIDs = cmp.Keys, cmp.HistoryEntries, cmp.TxIDs
	if err != nil {
		if errors.Is(err, statedb.ErrDiffer) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return r, fmt.Errorf("verify %s: stored state differs from the replay of blocks 0 to %d: %w", dir, sp, err)
	}
	// Blocks the state has not applied yet are checked and replayed too, so that the
	// next Open is known to succeed.
	st, err = replay(blocks, fresh, sp+1, blocks.Len(), checkLink)
	r.Blocks += st.blocks
	r.Transactions += st.txs
	r.Valid += st.valid
	r.Duration = time.Since(start)
	if err != nil {
		return r, fmt.Errorf("verify %s: %w", dir, err)
	}
	return r, nil
}

// checkLink checks a block's data hash and its link to the block before.
func checkLink(b *common.Block, prev *common.BlockHeader) error {
	num := b.Header.Number
	if !bytes.Equal(DataHash(b.Data), b.Header.DataHash) {
		return fmt.Errorf("block %d: data hash does not match its data: %w", num, ErrCorrupt)
	}
	if prev == nil {
		if len(b.Header.PreviousHash) != 0 {
			return fmt.Errorf("block 0 has a previous hash: %w", ErrCorrupt)
		}
		return nil
	}
	if !bytes.Equal(HeaderHash(prev), b.Header.PreviousHash) {
		return fmt.Errorf("block %d: previous hash is not the header hash of block %d: %w", num, prev.Number, ErrCorrupt)
	}
	return nil
}
