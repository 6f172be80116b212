package txsim

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// BlockTx is an endorsed transaction as the committer sees it: its place in the block,
// its ID and client timestamp (for history) and its read/write set.
type BlockTx struct {
	TxNum     uint64
	TxID      string
	Timestamp *timestamppb.Timestamp
	RWSet     *rwset.TxReadWriteSet
}

// KeyUpdate is the state of one key after a block is committed.
type KeyUpdate struct {
	Namespace string
	Key       string
	// Deleted is set when the key no longer exists; Value and Metadata are then nil.
	Deleted  bool
	Value    []byte
	Metadata map[string][]byte
	// Version is the height of the last valid transaction of the block that changed
	// the key's value or metadata.
	Version Version
}

// HistoryEntry is one value write of a valid transaction, as Fabric's history database
// records it: only value writes and deletes, not metadata-only writes.
type HistoryEntry struct {
	Namespace string
	Key       string
	Version   Version
	TxID      string
	Timestamp *timestamppb.Timestamp
	Value     []byte
	IsDelete  bool
}

// UpdateBatch is everything a block changes in state and history, to be applied
// atomically after the block's transactions are validated.
type UpdateBatch struct {
	BlockNum uint64
	// Updates holds the final state of every changed key, sorted by namespace and key.
	Updates []KeyUpdate
	// History holds the value writes of valid transactions in commit order.
	History []HistoryEntry
}

// Validator performs Fabric's MVCC validation for the transactions of one block, in
// order, against committed state plus the updates of the block's earlier valid
// transactions, as Fabric's validation.validator does. Use one Validator per block.
type Validator struct {
	state    State
	blockNum uint64
	started  bool
	lastTx   uint64
	updates  map[string]map[string]*KeyUpdate
	history  []HistoryEntry
}

// NewValidator starts the validation of block blockNum over committed state.
func NewValidator(state State, blockNum uint64) *Validator {
	return &Validator{state: state, blockNum: blockNum, updates: map[string]map[string]*KeyUpdate{}}
}

// ValidateMVCC validates one read/write set against committed state alone.
func ValidateMVCC(state State, txrws *rwset.TxReadWriteSet) (peer.TxValidationCode, error) {
	nss, err := DecodeReadWriteSet(txrws)
	if err != nil {
		return peer.TxValidationCode_INVALID_OTHER_REASON, nil
	}
	return NewValidator(state, 0).validate(nss)
}

// Validate checks tx and, when it is valid, adds its writes to the block's updates so
// that later transactions of the block are validated against them. It returns:
//
//   - VALID;
//   - MVCC_READ_CONFLICT when a key read has another version now, or was changed by an
//     earlier valid transaction of the block;
//   - PHANTOM_READ_CONFLICT when re-running a recorded range query gives other keys or
//     versions;
//   - INVALID_OTHER_REASON when the read/write set cannot be decoded, holds private
//     data, or holds range query results as Merkle hashes (txsim records raw reads).
//
// An error means state could not be read and the block cannot be validated. Transaction
// numbers must increase; a transaction invalidated for another reason (a bad signature,
// say) is simply not passed in.
func (v *Validator) Validate(tx BlockTx) (peer.TxValidationCode, error) {
	if v.started && tx.TxNum <= v.lastTx {
		return peer.TxValidationCode_INVALID_OTHER_REASON, fmt.Errorf("validate tx %s: tx number %d is not after %d", tx.TxID, tx.TxNum, v.lastTx)
	}
	v.started, v.lastTx = true, tx.TxNum
	nss, err := DecodeReadWriteSet(tx.RWSet)
	if err != nil {
		return peer.TxValidationCode_INVALID_OTHER_REASON, nil
	}
	code, err := v.validate(nss)
	if err != nil {
		return code, fmt.Errorf("validate tx %s: %w", tx.TxID, err)
	}
	if code != peer.TxValidationCode_VALID {
		return code, nil
	}
	if err := v.apply(tx, nss); err != nil {
		return peer.TxValidationCode_INVALID_OTHER_REASON, fmt.Errorf("apply tx %s: %w", tx.TxID, err)
	}
	return code, nil
}

// Batch returns the block's updates so far.
func (v *Validator) Batch() *UpdateBatch {
	b := &UpdateBatch{BlockNum: v.blockNum, History: slices.Clone(v.history)}
	for _, ns := range slices.Sorted(maps.Keys(v.updates)) {
		for _, key := range slices.Sorted(maps.Keys(v.updates[ns])) {
			b.Updates = append(b.Updates, *v.updates[ns][key])
		}
	}
	return b
}

func (v *Validator) validate(nss []NsReadWriteSet) (peer.TxValidationCode, error) {
	for _, n := range nss {
		for _, rd := range n.KVRWSet.Reads {
			ok, err := v.validateRead(n.Namespace, rd)
			if err != nil {
				return peer.TxValidationCode_INVALID_OTHER_REASON, err
			}
			if !ok {
				return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
			}
		}
		for _, rqi := range n.KVRWSet.RangeQueriesInfo {
			if rqi.GetReadsMerkleHashes() != nil {
				return peer.TxValidationCode_INVALID_OTHER_REASON, nil
			}
			ok, err := v.validateRangeQuery(n.Namespace, rqi)
			if err != nil {
				return peer.TxValidationCode_INVALID_OTHER_REASON, err
			}
			if !ok {
				return peer.TxValidationCode_PHANTOM_READ_CONFLICT, nil
			}
		}
	}
	return peer.TxValidationCode_VALID, nil
}

func (v *Validator) validateRead(ns string, rd *kvrwset.KVRead) (bool, error) {
	// Any change by an earlier transaction of the block conflicts, whatever the version.
	if _, ok := v.updates[ns][rd.Key]; ok {
		return false, nil
	}
	vv, err := v.state.GetState(ns, rd.Key)
	if err != nil {
		return false, fmt.Errorf("get state %s/%q: %w", ns, rd.Key, err)
	}
	read := fromProtoVersion(rd.Version)
	switch {
	case vv == nil:
		return read == nil, nil
	case read == nil:
		return false, nil
	default:
		return vv.Version == *read, nil
	}
}

// validateRangeQuery re-runs a range query over committed state plus the block's
// updates and compares the results with the recorded raw reads.
func (v *Validator) validateRangeQuery(ns string, rqi *kvrwset.RangeQueryInfo) (bool, error) {
	endKey := rqi.EndKey
	if !rqi.ItrExhausted && endKey != "" {
		// The caller stopped early, so EndKey is the last key it saw and belongs to
		// the range; the smallest key after it closes the range.
		endKey += "\x00"
	}
	itr, err := v.combinedScan(ns, rqi.StartKey, endKey)
	if err != nil {
		return false, err
	}
	defer itr.close()

	result, err := itr.next()
	if err != nil {
		return false, err
	}
	for _, rd := range rqi.GetRawReads().GetKvReads() {
		if result == nil || result.Key != rd.Key {
			return false, nil
		}
		if read := fromProtoVersion(rd.Version); read == nil || *read != result.Version {
			return false, nil
		}
		if result, err = itr.next(); err != nil {
			return false, err
		}
	}
	// Anything left is a phantom: a key inserted into the range.
	return result == nil, nil
}

// combinedScan merges a committed range scan with the block's updates in that range.
func (v *Validator) combinedScan(ns, startKey, endKey string) (*combinedIterator, error) {
	dbItr, err := v.state.RangeScan(ns, startKey, endKey)
	if err != nil {
		return nil, fmt.Errorf("range scan [%q, %q) of %s: %w", startKey, endKey, ns, err)
	}
	var pending []*KeyUpdate
	for key, u := range v.updates[ns] {
		if key >= startKey && (endKey == "" || key < endKey) {
			pending = append(pending, u)
		}
	}
	slices.SortFunc(pending, func(a, b *KeyUpdate) int { return strings.Compare(a.Key, b.Key) })
	return &combinedIterator{ns: ns, db: dbItr, updates: pending}, nil
}

type combinedIterator struct {
	ns      string
	db      KVIterator
	dbNext  *VersionedKV
	dbRead  bool
	updates []*KeyUpdate
}

func (c *combinedIterator) next() (*VersionedKV, error) {
	for {
		if !c.dbRead {
			kv, err := c.db.Next()
			if err != nil {
				return nil, fmt.Errorf("range scan of %s: %w", c.ns, err)
			}
			c.dbNext, c.dbRead = kv, true
		}
		var u *KeyUpdate
		if len(c.updates) > 0 {
			u = c.updates[0]
		}
		switch {
		case u == nil && c.dbNext == nil:
			return nil, nil
		case u == nil || (c.dbNext != nil && c.dbNext.Key < u.Key):
			kv := c.dbNext
			c.dbRead = false
			return kv, nil
		}
		// The update shadows the committed key of the same name.
		if c.dbNext != nil && c.dbNext.Key == u.Key {
			c.dbRead = false
		}
		c.updates = c.updates[1:]
		if u.Deleted {
			continue
		}
		return &VersionedKV{Key: u.Key, Value: u.Value, Version: u.Version}, nil
	}
}

func (c *combinedIterator) close() {
	_ = c.db.Close()
}

// apply adds the writes of a valid transaction to the block's updates, following
// Fabric's txOps: a value-only write keeps the key's metadata, a metadata-only write
// keeps its value and does nothing to a key that does not exist, a delete drops both.
func (v *Validator) apply(tx BlockTx, nss []NsReadWriteSet) error {
	height := Version{BlockNum: v.blockNum, TxNum: tx.TxNum}
	type keyOps struct {
		upsert, del, metaUpdate, metaDelete bool
		value                               []byte
		metadata                            map[string][]byte
	}
	for _, n := range nss {
		ops := map[string]*keyOps{}
		op := func(key string) *keyOps {
			if ops[key] == nil {
				ops[key] = &keyOps{}
			}
			return ops[key]
		}
		for _, w := range n.KVRWSet.Writes {
			o := op(w.Key)
			if IsDelete(w) {
				o.del = true
			} else {
				o.upsert, o.value = true, bytes.Clone(w.Value)
			}
			v.history = append(v.history, HistoryEntry{
				Namespace: n.Namespace, Key: w.Key, Version: height, TxID: tx.TxID,
				Timestamp: tx.Timestamp, Value: bytes.Clone(w.Value), IsDelete: IsDelete(w),
			})
		}
		for _, mw := range n.KVRWSet.MetadataWrites {
			o := op(mw.Key)
			if len(mw.Entries) == 0 {
				o.metaDelete = true
				continue
			}
			o.metaUpdate, o.metadata = true, map[string][]byte{}
			for _, e := range mw.Entries {
				o.metadata[e.Name] = bytes.Clone(e.Value)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(ops)) {
			o := ops[key]
			u := &KeyUpdate{Namespace: n.Namespace, Key: key, Version: height}
			switch {
			case o.del:
				u.Deleted = true
			case o.upsert && (o.metaUpdate || o.metaDelete):
				u.Value, u.Metadata = o.value, o.metadata
			case o.upsert:
				latest, err := v.latest(n.Namespace, key)
				if err != nil {
					return err
				}
				u.Value = o.value
				if latest != nil {
					u.Metadata = latest.Metadata
				}
			default:
				latest, err := v.latest(n.Namespace, key)
				if err != nil {
					return err
				}
				if latest == nil {
					continue
				}
				u.Value, u.Metadata = latest.Value, o.metadata
			}
			if v.updates[n.Namespace] == nil {
				v.updates[n.Namespace] = map[string]*KeyUpdate{}
			}
			v.updates[n.Namespace][key] = u
		}
	}
	return nil
}

// latest returns the value of key after the block's earlier transactions, nil when it
// does not exist.
func (v *Validator) latest(ns, key string) (*VersionedValue, error) {
	if u, ok := v.updates[ns][key]; ok {
		if u.Deleted {
			return nil, nil
		}
		return &VersionedValue{Value: u.Value, Metadata: u.Metadata, Version: u.Version}, nil
	}
	vv, err := v.state.GetState(ns, key)
	if err != nil {
		return nil, fmt.Errorf("get state %s/%q: %w", ns, key, err)
	}
	return vv, nil
}
