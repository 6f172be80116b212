package deliver

import (
	"context"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// Source is the part of a channel's ledger that delivery reads.
type Source interface {
	// Height returns the number of committed blocks.
	Height() uint64
	// Block returns committed block num.
	Block(num uint64) (*common.Block, error)
	// Watch returns the current height and a channel closed when the next block is
	// committed or the ledger closes.
	Watch() (height uint64, next <-chan struct{})
}

// Follow calls fn with every block of src from number start on, in order, waiting
// for blocks not yet committed, until fn returns an error or stop is true, ctx is
// done, or the ledger closes (ErrClosed).
func Follow(ctx context.Context, src Source, start uint64, fn func(*common.Block) (stop bool, err error)) error {
	for n := start; ; {
		height, next := src.Watch()
		for ; n < height; n++ {
			block, err := src.Block(n)
			if err != nil {
				return err
			}
			stop, err := fn(block)
			if err != nil || stop {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-next:
			if h, _ := src.Watch(); h <= n {
				// The channel closed without a new block: the ledger is closing.
				return ErrClosed
			}
		}
	}
}
