package statedb

import (
	"encoding/binary"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// WriteTx is the write transaction of one or more blocks. Its reads (txsim.State) see
// what it has applied so far; other readers see nothing of it until Commit. It must be
// ended with Commit or Rollback, from one goroutine at a time.
type WriteTx struct {
	reader
}

// Savepoint returns the last block applied, as this transaction sees it.
func (w *WriteTx) Savepoint() (uint64, bool) {
	return savepoint(w.tx)
}

// TxLoc returns where transaction txID was first committed, as this transaction sees
// it.
func (w *WriteTx) TxLoc(txID string) (TxLoc, bool) {
	return txLoc(w.tx, txID)
}

// Apply writes a block's state updates and history entries.
func (w *WriteTx) Apply(batch *txsim.UpdateBatch) error {
	state := w.tx.Bucket(bucketState)
	var b *bolt.Bucket
	var bns string
	bucket := func(parent *bolt.Bucket, ns string) (*bolt.Bucket, error) {
		if b != nil && bns == ns {
			return b, nil
		}
		nb, err := parent.CreateBucketIfNotExists([]byte(ns))
		if err != nil {
			return nil, fmt.Errorf("namespace bucket %q: %w", ns, err)
		}
		b, bns = nb, ns
		return nb, nil
	}
	for _, u := range batch.Updates {
		nb, err := bucket(state, u.Namespace)
		if err != nil {
			return err
		}
		if u.Deleted {
			err = nb.Delete([]byte(u.Key))
		} else {
			err = nb.Put([]byte(u.Key), encodeValue(u.Version, u.Metadata, u.Value))
		}
		if err != nil {
			return fmt.Errorf("write state %s/%q: %w", u.Namespace, u.Key, err)
		}
	}
	history := w.tx.Bucket(bucketHistory)
	b = nil
	for _, h := range batch.History {
		nb, err := bucket(history, h.Namespace)
		if err != nil {
			return err
		}
		km, err := proto.Marshal(&queryresult.KeyModification{TxId: h.TxID, Value: h.Value, Timestamp: h.Timestamp, IsDelete: h.IsDelete})
		if err != nil {
			return fmt.Errorf("marshal history of %s/%q: %w", h.Namespace, h.Key, err)
		}
		if err := nb.Put(historyKey(h.Key, h.Version), km); err != nil {
			return fmt.Errorf("write history %s/%q: %w", h.Namespace, h.Key, err)
		}
	}
	return nil
}

// IndexTx records where txID was committed, unless it was committed before: the index
// keeps the first commit of a transaction ID, as Fabric's block index answers.
func (w *WriteTx) IndexTx(txID string, loc TxLoc) error {
	b := w.tx.Bucket(bucketTxIDs)
	if b.Get([]byte(txID)) != nil {
		return nil
	}
	if err := b.Put([]byte(txID), encodeTxLoc(loc)); err != nil {
		return fmt.Errorf("index tx %s: %w", txID, err)
	}
	return nil
}

// SetSavepoint records num as the last block applied.
func (w *WriteTx) SetSavepoint(num uint64) error {
	if err := w.tx.Bucket(bucketMeta).Put(keySavepoint, binary.BigEndian.AppendUint64(nil, num)); err != nil {
		return fmt.Errorf("write savepoint: %w", err)
	}
	return nil
}

// Commit makes the transaction's changes visible to new snapshots.
func (w *WriteTx) Commit() error {
	if err := w.tx.Commit(); err != nil {
		return fmt.Errorf("commit state update: %w", err)
	}
	return nil
}

// Rollback abandons the transaction; it is safe to call after Commit.
func (w *WriteTx) Rollback() {
	_ = w.tx.Rollback()
}

// Snapshot is a read-only view of committed state; it implements txsim.State and is
// safe for concurrent use.
type Snapshot struct {
	reader
}

// Savepoint returns the last block applied in the snapshot.
func (s *Snapshot) Savepoint() (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return savepoint(s.tx)
}

// TxLoc returns where transaction txID was first committed, as of the snapshot.
func (s *Snapshot) TxLoc(txID string) (TxLoc, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return txLoc(s.tx, txID)
}

// Close ends the read transaction; it is safe to call more than once.
func (s *Snapshot) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.tx.Rollback()
	return nil
}
