package txsim

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"sort"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// MemoryState is an in-memory State with history, for tests. It is safe for concurrent
// use. Each namespace is copied on write, so a Snapshot costs one small map copy and
// never changes afterwards.
type MemoryState struct {
	mu         sync.RWMutex
	namespaces map[string]*memNamespace
	applied    bool
	lastBlock  uint64
}

// memNamespace is immutable once published in MemoryState.namespaces.
type memNamespace struct {
	keys    []string // sorted, only existing keys
	values  map[string]*VersionedValue
	history map[string][]*queryresult.KeyModification // oldest first
}

var _ State = (*MemoryState)(nil)

// NewMemoryState returns an empty state.
func NewMemoryState() *MemoryState {
	return &MemoryState{namespaces: map[string]*memNamespace{}}
}

// Snapshot returns a read-only view of the current state that later commits do not
// change.
func (m *MemoryState) Snapshot() State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return memSnapshot(maps.Clone(m.namespaces))
}

// LastBlock returns the number of the last block applied and whether any was.
func (m *MemoryState) LastBlock() (uint64, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.lastBlock, m.applied
}

// GetState returns the committed value of key, or nil when it does not exist.
func (m *MemoryState) GetState(ns, key string) (*VersionedValue, error) {
	return memSnapshot(m.current()).GetState(ns, key)
}

// RangeScan iterates over the keys of ns in [startKey, endKey) as committed when it
// was called.
func (m *MemoryState) RangeScan(ns, startKey, endKey string) (KVIterator, error) {
	return memSnapshot(m.current()).RangeScan(ns, startKey, endKey)
}

// History iterates over the committed modifications of key, newest first.
func (m *MemoryState) History(ns, key string) (HistoryIterator, error) {
	return memSnapshot(m.current()).History(ns, key)
}

// Keys returns the existing keys of ns in byte order.
func (m *MemoryState) Keys(ns string) []string {
	n := m.current()[ns]
	if n == nil {
		return nil
	}
	return slices.Clone(n.keys)
}

// current returns the namespace table; the namespaces it points to never change.
func (m *MemoryState) current() map[string]*memNamespace {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.namespaces
}

// Commit validates txs as block blockNum and applies the block's updates, as a peer's
// committer does. It returns one validation code per transaction.
func (m *MemoryState) Commit(blockNum uint64, txs ...BlockTx) ([]peer.TxValidationCode, error) {
	v := NewValidator(m.Snapshot(), blockNum)
	codes := make([]peer.TxValidationCode, 0, len(txs))
	for _, tx := range txs {
		code, err := v.Validate(tx)
		if err != nil {
			return nil, fmt.Errorf("commit block %d: %w", blockNum, err)
		}
		codes = append(codes, code)
	}
	if err := m.Apply(v.Batch()); err != nil {
		return nil, err
	}
	return codes, nil
}

// Apply applies a validated block's updates and history atomically. Block numbers
// must increase from one Apply to the next.
func (m *MemoryState) Apply(batch *UpdateBatch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.applied && batch.BlockNum <= m.lastBlock {
		return fmt.Errorf("apply block %d: block %d is already committed", batch.BlockNum, m.lastBlock)
	}
	next := maps.Clone(m.namespaces)
	touched := map[string]*memNamespace{}
	ns := func(name string) *memNamespace {
		if n, ok := touched[name]; ok {
			return n
		}
		n := &memNamespace{values: map[string]*VersionedValue{}, history: map[string][]*queryresult.KeyModification{}}
		if old := next[name]; old != nil {
			n.keys = old.keys
			n.values = maps.Clone(old.values)
			n.history = maps.Clone(old.history)
		}
		touched[name] = n
		next[name] = n
		return n
	}
	keysChanged := map[string]bool{}
	for _, u := range batch.Updates {
		n := ns(u.Namespace)
		_, existed := n.values[u.Key]
		if u.Deleted {
			delete(n.values, u.Key)
		} else {
			n.values[u.Key] = &VersionedValue{Value: bytes.Clone(u.Value), Metadata: cloneMetadata(u.Metadata), Version: u.Version}
		}
		if existed == u.Deleted {
			keysChanged[u.Namespace] = true
		}
	}
	for name := range keysChanged {
		n := touched[name]
		n.keys = slices.Sorted(maps.Keys(n.values))
	}
	for _, h := range batch.History {
		n := ns(h.Namespace)
		km := &queryresult.KeyModification{TxId: h.TxID, Value: bytes.Clone(h.Value), Timestamp: h.Timestamp, IsDelete: h.IsDelete}
		// Appending to a slice shared with an older snapshot must not write into its
		// backing array, so cap the old slice first.
		old := n.history[h.Key]
		n.history[h.Key] = append(old[:len(old):len(old)], km)
	}
	m.namespaces = next
	m.applied, m.lastBlock = true, batch.BlockNum
	return nil
}

func cloneMetadata(md map[string][]byte) map[string][]byte {
	if md == nil {
		return nil
	}
	out := make(map[string][]byte, len(md))
	for k, v := range md {
		out[k] = bytes.Clone(v)
	}
	return out
}

// memSnapshot is an immutable view of MemoryState.
type memSnapshot map[string]*memNamespace

func (s memSnapshot) GetState(ns, key string) (*VersionedValue, error) {
	n := s[ns]
	if n == nil {
		return nil, nil
	}
	vv := n.values[key]
	if vv == nil {
		return nil, nil
	}
	return &VersionedValue{Value: bytes.Clone(vv.Value), Metadata: cloneMetadata(vv.Metadata), Version: vv.Version}, nil
}

func (s memSnapshot) RangeScan(ns, startKey, endKey string) (KVIterator, error) {
	n := s[ns]
	if n == nil {
		return &memKVIterator{}, nil
	}
	lo := sort.SearchStrings(n.keys, startKey)
	hi := len(n.keys)
	if endKey != "" {
		hi = sort.SearchStrings(n.keys, endKey)
	}
	if hi < lo {
		hi = lo
	}
	return &memKVIterator{ns: n, keys: n.keys[lo:hi]}, nil
}

func (s memSnapshot) History(ns, key string) (HistoryIterator, error) {
	n := s[ns]
	if n == nil {
		return &memHistoryIterator{}, nil
	}
	return &memHistoryIterator{entries: n.history[key], pos: len(n.history[key])}, nil
}

type memKVIterator struct {
	ns   *memNamespace
	keys []string
}

func (it *memKVIterator) Next() (*VersionedKV, error) {
	if len(it.keys) == 0 {
		return nil, nil
	}
	key := it.keys[0]
	it.keys = it.keys[1:]
	vv := it.ns.values[key]
	return &VersionedKV{Key: key, Value: bytes.Clone(vv.Value), Version: vv.Version}, nil
}

func (it *memKVIterator) Close() error {
	it.keys = nil
	return nil
}

// memHistoryIterator walks a key's history backwards, newest first.
type memHistoryIterator struct {
	entries []*queryresult.KeyModification
	pos     int
}

func (it *memHistoryIterator) Next() (*queryresult.KeyModification, error) {
	if it.pos == 0 {
		return nil, nil
	}
	it.pos--
	return proto.Clone(it.entries[it.pos]).(*queryresult.KeyModification), nil
}

func (it *memHistoryIterator) Close() error {
	it.pos = 0
	return nil
}
