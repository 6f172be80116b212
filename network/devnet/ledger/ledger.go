package ledger

import (
	"context"
	"errors"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// Ledger is one channel's orderer, committer, block store and state. Its methods are
// safe for concurrent use.
type Ledger struct {
	cfg Config
}

// TxStatus is where and how a transaction was committed.
type TxStatus struct {
	TxID        string
	BlockNumber uint64
	TxNum       uint64
	Code        peer.TxValidationCode
}

// CommitInfo describes a committed block, for metrics.
type CommitInfo struct {
	Block *common.Block
	// Codes holds the validation code of each transaction, in block order.
	Codes []peer.TxValidationCode
}

var errNotImplemented = errors.New("ledger: not implemented yet")

// Open opens (or creates) the ledger in cfg.Dir, truncates a torn block file tail,
// replays blocks past the state savepoint and starts the ordering service.
func Open(cfg Config) (*Ledger, error) {
	return nil, errNotImplemented
}

// Close stops the ordering service, commits the blocks already cut and closes the
// stores. Envelopes still pending in the cutter are cut into a last block first.
func (l *Ledger) Close() error {
	return errNotImplemented
}

// ChannelID returns the channel the ledger holds.
func (l *Ledger) ChannelID() string {
	return l.cfg.ChannelID
}

// Height returns the number of committed blocks, genesis included.
func (l *Ledger) Height() uint64 {
	return 0
}

// Block returns committed block num, with its TRANSACTIONS_FILTER metadata. The
// returned block is shared: callers must not modify it.
func (l *Ledger) Block(num uint64) (*common.Block, error) {
	return nil, errNotImplemented
}

// Watch returns the current height and a channel that is closed when the next block
// is committed (or the ledger closes). A deliver stream sends blocks up to height,
// then waits on the channel.
func (l *Ledger) Watch() (height uint64, next <-chan struct{}) {
	return 0, nil
}

// Broadcast enqueues env for ordering, as an orderer's Broadcast does. It checks only
// that the envelope parses and is for the ledger's channel (ErrBadEnvelope,
// ErrWrongChannel); everything else is checked when its block is validated.
func (l *Ledger) Broadcast(env *common.Envelope) error {
	return errNotImplemented
}

// TxStatus returns the status of committed transaction txID, or ErrTxNotFound. When a
// transaction ID was committed more than once (the later ones as DUPLICATE_TXID), the
// first is returned, as a peer does.
func (l *Ledger) TxStatus(txID string) (TxStatus, error) {
	return TxStatus{}, errNotImplemented
}

// WaitForTx returns the status of txID once its block is committed, waiting for it if
// needed, until ctx is done or the ledger closes.
func (l *Ledger) WaitForTx(ctx context.Context, txID string) (TxStatus, error) {
	return TxStatus{}, errNotImplemented
}

// Snapshot returns a consistent read-only view of the committed state, at the height
// it reports. It must be closed, promptly: an open snapshot holds back the growth of
// the state file.
func (l *Ledger) Snapshot() (*Snapshot, error) {
	return nil, errNotImplemented
}

// Snapshot is a consistent read-only view of committed state; it implements
// txsim.State. Its methods are safe for concurrent use.
type Snapshot struct{}

var _ txsim.State = (*Snapshot)(nil)

// Height returns the ledger height the snapshot shows: blocks 0 to Height-1 are in it.
func (s *Snapshot) Height() uint64 { return 0 }

// GetState returns the committed value of key in namespace ns, or nil.
func (s *Snapshot) GetState(ns, key string) (*txsim.VersionedValue, error) {
	return nil, errNotImplemented
}

// RangeScan iterates over the keys of ns in [startKey, endKey) in byte order.
func (s *Snapshot) RangeScan(ns, startKey, endKey string) (txsim.KVIterator, error) {
	return nil, errNotImplemented
}

// History iterates over the committed modifications of key, newest first.
func (s *Snapshot) History(ns, key string) (txsim.HistoryIterator, error) {
	return nil, errNotImplemented
}

// Close releases the snapshot; it is safe to call more than once.
func (s *Snapshot) Close() error { return nil }
