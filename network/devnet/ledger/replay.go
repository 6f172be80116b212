package ledger

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/blockfile"
	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
	"google.golang.org/protobuf/proto"
)

// replayChunk is how many blocks replay applies in one state transaction.
const replayChunk = 256

// replayStats counts what replay saw.
type replayStats struct {
	blocks, txs, valid uint64
}

// replay applies blocks [from, to) of the block file to the state, trusting the
// validation codes the blocks carry, as a peer rebuilding its state databases does.
// Each valid transaction is still checked by txsim's MVCC validator: replayed in
// order, it cannot conflict, so a conflict means the blocks and the state disagree.
// When check is set it is called with each block and the header of the one before
// (nil for block 0) before the block is applied.
func replay(f *blockfile.File, db *statedb.DB, from, to uint64, check func(b *common.Block, prev *common.BlockHeader) error) (replayStats, error) {
	var st replayStats
	var prev *common.BlockHeader
	if check != nil && from > 0 {
		b, err := readBlock(f, from-1)
		if err != nil {
			return st, err
		}
		prev = b.Header
	}
	for start := from; start < to; start += replayChunk {
		end := min(start+replayChunk, to)
		w, err := db.Begin()
		if err != nil {
			return st, err
		}
		for num := start; num < end; num++ {
			b, err := readBlock(f, num)
			if err == nil && check != nil {
				err = check(b, prev)
			}
			if err == nil {
				err = applyBlock(w, b, &st)
			}
			if err != nil {
				w.Rollback()
				return st, err
			}
			prev = b.Header
		}
		if err := w.Commit(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// applyBlock applies the valid transactions of a committed block to w, indexes all
// its transaction IDs and moves the savepoint to it.
func applyBlock(w *statedb.WriteTx, b *common.Block, st *replayStats) error {
	num := b.Header.Number
	data := b.GetData().GetData()
	var filter []byte
	if md := b.GetMetadata().GetMetadata(); len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		filter = md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	if len(filter) != len(data) {
		return fmt.Errorf("block %d has %d transactions and %d validation codes: %w", num, len(data), len(filter), ErrCorrupt)
	}
	mvcc := txsim.NewValidator(w, num)
	type indexed struct {
		txID string
		loc  statedb.TxLoc
	}
	var index []indexed
	for i, env := range data {
		code := peer.TxValidationCode(filter[i])
		st.txs++
		p, _ := parseEnvelope(env)
		if p.chdr == nil {
			if code == peer.TxValidationCode_VALID {
				return fmt.Errorf("block %d tx %d is marked valid but does not parse: %w", num, i, ErrCorrupt)
			}
			continue
		}
		if p.chdr.TxId != "" {
			index = append(index, indexed{p.chdr.TxId, statedb.TxLoc{BlockNum: num, TxNum: uint64(i), Code: code}})
		}
		if code != peer.TxValidationCode_VALID {
			continue
		}
		st.valid++
		if common.HeaderType(p.chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
			continue
		}
		rws, err := validRWSet(p)
		if err != nil {
			return fmt.Errorf("block %d tx %d is marked valid: %w: %w", num, i, ErrCorrupt, err)
		}
		got, err := mvcc.Validate(txsim.BlockTx{TxNum: uint64(i), TxID: p.chdr.TxId, Timestamp: p.chdr.Timestamp, RWSet: rws})
		if err != nil {
			return err
		}
		if got != peer.TxValidationCode_VALID {
			return fmt.Errorf("block %d tx %d is marked valid but replays as %s: %w", num, i, got, ErrCorrupt)
		}
	}
	if err := w.Apply(mvcc.Batch()); err != nil {
		return err
	}
	for _, x := range index {
		if err := w.IndexTx(x.txID, x.loc); err != nil {
			return err
		}
	}
	st.blocks++
	return w.SetSavepoint(num)
}

// validRWSet returns the read/write set of an endorser transaction.
func validRWSet(p envelopeParts) (*rwset.TxReadWriteSet, error) {
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(p.payload.Data, tx); err != nil {
		return nil, err
	}
	if len(tx.Actions) != 1 {
		return nil, fmt.Errorf("%d actions", len(tx.Actions))
	}
	ccPayload := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(tx.Actions[0].Payload, ccPayload); err != nil {
		return nil, err
	}
	if ccPayload.Action == nil {
		return nil, fmt.Errorf("no endorsed action")
	}
	action, err := chaincodeAction(ccPayload)
	if err != nil {
		return nil, err
	}
	rws, _, err := decodeRWSet(action.Results)
	return rws, err
}
