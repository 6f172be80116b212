package ledger

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// committer commits blocks one by one; after a fatal error it drains the pipeline.
func (l *Ledger) committer(in <-chan *blockJob) {
	defer close(l.done)
	for job := range in {
		if l.failure() != nil {
			continue
		}
		if err := l.commit(job); err != nil {
			l.fail(fmt.Errorf("commit block %d: %w", job.block.Header.Number, err))
		}
	}
}

// commit finishes the validation of a block (duplicate transaction IDs, MVCC and
// phantom reads), appends it with its validation codes to the block file, applies it
// to the state in one transaction and tells waiters and watchers.
func (l *Ledger) commit(job *blockJob) error {
	start := time.Now()
	block := job.block
	num := block.Header.Number
	w, err := l.state.Begin()
	if err != nil {
		return err
	}
	defer w.Rollback()

	codes := make([]peer.TxValidationCode, len(job.txs))
	inBlock := make(map[string]bool, len(job.txs))
	mvcc := txsim.NewValidator(w, num)
	for i, c := range job.txs {
		code := c.envelopeCode
		if code == peer.TxValidationCode_VALID && c.endorser {
			if _, dup := w.TxLoc(c.txID); dup {
				code = peer.TxValidationCode_DUPLICATE_TXID
			} else {
				code = c.endorsementCode
			}
		}
		if code == peer.TxValidationCode_VALID {
			if inBlock[c.txID] {
				code = peer.TxValidationCode_DUPLICATE_TXID
			}
			inBlock[c.txID] = true
		}
		if code == peer.TxValidationCode_VALID {
			code, err = mvcc.Validate(txsim.BlockTx{TxNum: uint64(i), TxID: c.txID, Timestamp: c.timestamp, RWSet: c.rwset})
			if err != nil {
				return err
			}
		}
		codes[i] = code
	}
	block.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = filterOf(codes)

	raw, err := proto.Marshal(block)
	if err != nil {
		return fmt.Errorf("marshal block: %w", err)
	}
	// The block is written and fsynced while the state updates are staged in the
	// bbolt transaction, which touches no file until Commit: the state file still
	// gets nothing of the block before the block is durable.
	appended := make(chan error, 1)
	go func() { appended <- l.blocks.Append(raw) }()
	err = l.stage(w, job, codes, mvcc.Batch())
	if aerr := <-appended; aerr != nil {
		return aerr
	}
	if err != nil {
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	if l.cfg.OnCommit != nil {
		info := CommitInfo{Block: block, Codes: codes, Validate: job.validate, Commit: time.Since(start)}
		info.Timestamps = make([]*timestamppb.Timestamp, len(job.txs))
		for i, c := range job.txs {
			info.Timestamps[i] = c.timestamp
		}
		l.cfg.OnCommit(info)
	}
	l.notify(block, job.txs, codes)
	return nil
}

// stage writes a block's valid updates, its transaction index entries and the
// savepoint into the block's state transaction.
func (l *Ledger) stage(w *statedb.WriteTx, job *blockJob, codes []peer.TxValidationCode, batch *txsim.UpdateBatch) error {
	num := job.block.Header.Number
	if err := w.Apply(batch); err != nil {
		return err
	}
	for i, c := range job.txs {
		if c.txID == "" {
			continue
		}
		if err := w.IndexTx(c.txID, statedb.TxLoc{BlockNum: num, TxNum: uint64(i), Code: codes[i]}); err != nil {
			return err
		}
	}
	return w.SetSavepoint(num)
}

// notify makes block num part of the ledger's height and wakes its waiters and
// watchers.
func (l *Ledger) notify(block *common.Block, txs []checkedTx, codes []peer.TxValidationCode) {
	num := block.Header.Number
	l.mu.Lock()
	defer l.mu.Unlock()
	l.height = num + 1
	l.cache[num] = block
	if num >= cachedBlocks {
		delete(l.cache, num-cachedBlocks)
	}
	for i, c := range txs {
		ws, ok := l.waiters[c.txID]
		if !ok || c.txID == "" {
			continue
		}
		// The first transaction of the block with this ID is the one the index keeps.
		st := TxStatus{TxID: c.txID, BlockNumber: num, TxNum: uint64(i), Code: codes[i]}
		for _, ch := range ws {
			ch <- st
		}
		delete(l.waiters, c.txID)
	}
	close(l.next)
	l.next = make(chan struct{})
}

// filterOf returns a block's TRANSACTIONS_FILTER metadata: one validation code byte
// per transaction.
func filterOf(codes []peer.TxValidationCode) []byte {
	f := make([]byte, len(codes))
	for i, c := range codes {
		f[i] = byte(c)
	}
	return f
}
