package txsim

import "github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"

// Version is the height of the transaction that last wrote a key: its block number and
// its index inside that block, as Fabric's version.Height.
type Version struct {
	BlockNum uint64
	TxNum    uint64
}

// VersionedValue is a committed value with its metadata and version.
type VersionedValue struct {
	// Value is never empty: Fabric stores an empty write as a delete.
	Value []byte
	// Metadata holds the key's metadata entries (for example the key-level endorsement
	// policy under peer.MetaDataKeys_VALIDATION_PARAMETER); nil when it has none.
	Metadata map[string][]byte
	Version  Version
}

// VersionedKV is one result of a range scan.
type VersionedKV struct {
	Key     string
	Value   []byte
	Version Version
}

// State is the committed world state that a Simulation reads and a Validator checks
// against. Implementations must show one consistent snapshot for as long as a
// Simulation or Validator uses them (a peer holds a read lock on its state database
// for the whole simulation for the same reason); MemoryState.Snapshot and a database
// read transaction both satisfy this.
type State interface {
	// GetState returns the committed value of key in namespace ns, or nil and no error
	// when the key does not exist.
	GetState(ns, key string) (*VersionedValue, error)
	// RangeScan iterates over the keys of ns in [startKey, endKey), in byte order. An
	// empty startKey starts at the first key; an empty endKey means no upper bound.
	RangeScan(ns, startKey, endKey string) (KVIterator, error)
	// History iterates over the values ever committed for key by valid transactions,
	// newest first, as Fabric's history database returns them since v2.0.
	History(ns, key string) (HistoryIterator, error)
}

// KVIterator iterates over range scan results.
type KVIterator interface {
	// Next returns the next result, or nil and no error when the iterator is exhausted.
	Next() (*VersionedKV, error)
	// Close releases the iterator; it is safe to call more than once.
	Close() error
}

// HistoryIterator iterates over the modifications of one key, newest first.
type HistoryIterator interface {
	// Next returns the next modification, or nil and no error when there is none left.
	Next() (*queryresult.KeyModification, error)
	// Close releases the iterator; it is safe to call more than once.
	Close() error
}
