package ledger

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
	"google.golang.org/protobuf/proto"
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
	if err := l.blocks.Append(raw); err != nil {
		return err
	}
	if err := w.Apply(mvcc.Batch()); err != nil {
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
	if err := w.SetSavepoint(num); err != nil {
		return err
	}
	if err := w.Commit(); err != nil {
		return err
	}
	info := CommitInfo{Block: block, Codes: codes, Validate: job.validate, Commit: time.Since(start)}
	if l.cfg.OnCommit != nil {
		l.cfg.OnCommit(info)
	}
	l.notify(block, job.txs, codes)
	return nil
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
