package txsim

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
)

// NsWrites is the write set of one namespace, sorted by key: the Go view of what a
// transaction changes, for code that applies writes without decoding protobuf.
type NsWrites struct {
	Namespace string
	// Writes are value writes; a write with IsDelete set (or an empty value) deletes.
	Writes []*kvrwset.KVWrite
	// MetadataWrites replace a key's metadata; nil Entries delete it.
	MetadataWrites []*kvrwset.KVMetadataWrite
}

// NsReadWriteSet is one namespace of a transaction's read/write set, decoded.
type NsReadWriteSet struct {
	Namespace string
	KVRWSet   *kvrwset.KVRWSet
}

// rwsetBuilder accumulates a transaction's reads and writes the way Fabric's
// rwsetutil.RWSetBuilder does: one entry per key, the latest wins. Range queries are
// added by Simulation when the results are requested.
type rwsetBuilder struct {
	namespaces map[string]*nsBuilder
}

type nsBuilder struct {
	reads          map[string]*kvrwset.KVRead
	writes         map[string]*kvrwset.KVWrite
	metadataWrites map[string]*kvrwset.KVMetadataWrite
}

func newRWSetBuilder() *rwsetBuilder {
	return &rwsetBuilder{namespaces: map[string]*nsBuilder{}}
}

func (b *rwsetBuilder) ns(ns string) *nsBuilder {
	n, ok := b.namespaces[ns]
	if !ok {
		n = &nsBuilder{
			reads:          map[string]*kvrwset.KVRead{},
			writes:         map[string]*kvrwset.KVWrite{},
			metadataWrites: map[string]*kvrwset.KVMetadataWrite{},
		}
		b.namespaces[ns] = n
	}
	return n
}

func (b *rwsetBuilder) addRead(ns, key string, v *Version) {
	b.ns(ns).reads[key] = &kvrwset.KVRead{Key: key, Version: protoVersion(v)}
}

func (b *rwsetBuilder) addWrite(ns, key string, value []byte) {
	// Fabric marks any empty value as a delete (rwsetutil.newKVWrite).
	b.ns(ns).writes[key] = &kvrwset.KVWrite{Key: key, IsDelete: len(value) == 0, Value: value}
}

func (b *rwsetBuilder) addMetadataWrite(ns, key string, metadata map[string][]byte) {
	w := &kvrwset.KVMetadataWrite{Key: key}
	for _, name := range slices.Sorted(maps.Keys(metadata)) {
		w.Entries = append(w.Entries, &kvrwset.KVMetadataEntry{Name: name, Value: metadata[name]})
	}
	b.ns(ns).metadataWrites[key] = w
}

// kvrwsets returns every namespace's KVRWSet, namespaces sorted, reads and writes
// sorted by key.
func (b *rwsetBuilder) kvrwsets() []NsReadWriteSet {
	out := make([]NsReadWriteSet, 0, len(b.namespaces))
	for _, ns := range slices.Sorted(maps.Keys(b.namespaces)) {
		n := b.namespaces[ns]
		kv := &kvrwset.KVRWSet{
			Reads:          sortedValues(n.reads),
			Writes:         sortedValues(n.writes),
			MetadataWrites: sortedValues(n.metadataWrites),
		}
		out = append(out, NsReadWriteSet{Namespace: ns, KVRWSet: kv})
	}
	return out
}

func sortedValues[V any](m map[string]V) []V {
	if len(m) == 0 {
		return nil
	}
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

// EncodeReadWriteSet marshals decoded namespaces into Fabric's TxReadWriteSet with the
// KV data model, in the order given.
func EncodeReadWriteSet(nss []NsReadWriteSet) (*rwset.TxReadWriteSet, error) {
	txrws := &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}
	for _, n := range nss {
		raw, err := proto.Marshal(n.KVRWSet)
		if err != nil {
			return nil, fmt.Errorf("marshal read/write set of namespace %s: %w", n.Namespace, err)
		}
		txrws.NsRwset = append(txrws.NsRwset, &rwset.NsReadWriteSet{Namespace: n.Namespace, Rwset: raw})
	}
	return txrws, nil
}

// DecodeReadWriteSet unmarshals the KVRWSet of every namespace of txrws. Private data
// hashes are not supported and make it fail.
func DecodeReadWriteSet(txrws *rwset.TxReadWriteSet) ([]NsReadWriteSet, error) {
	if txrws == nil {
		return nil, nil
	}
	if txrws.DataModel != rwset.TxReadWriteSet_KV {
		return nil, fmt.Errorf("decode read/write set: data model %s is not KV", txrws.DataModel)
	}
	out := make([]NsReadWriteSet, 0, len(txrws.NsRwset))
	for _, n := range txrws.NsRwset {
		if len(n.CollectionHashedRwset) > 0 {
			return nil, fmt.Errorf("decode read/write set of namespace %s: private data collections: %w", n.Namespace, ErrNotSupported)
		}
		kv := &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(n.Rwset, kv); err != nil {
			return nil, fmt.Errorf("decode read/write set of namespace %s: %w", n.Namespace, err)
		}
		out = append(out, NsReadWriteSet{Namespace: n.Namespace, KVRWSet: kv})
	}
	return out, nil
}

// WritesOf returns the writes of decoded namespaces, leaving out namespaces that only
// read.
func WritesOf(nss []NsReadWriteSet) []NsWrites {
	var out []NsWrites
	for _, n := range nss {
		if len(n.KVRWSet.Writes) == 0 && len(n.KVRWSet.MetadataWrites) == 0 {
			continue
		}
		out = append(out, NsWrites{Namespace: n.Namespace, Writes: n.KVRWSet.Writes, MetadataWrites: n.KVRWSet.MetadataWrites})
	}
	return out
}

// IsDelete reports whether w deletes its key. Fabric treats an empty value as a delete
// even when IsDelete is false (FAB-18386), and so does this package.
func IsDelete(w *kvrwset.KVWrite) bool {
	return w.IsDelete || len(w.Value) == 0
}

func protoVersion(v *Version) *kvrwset.Version {
	if v == nil {
		return nil
	}
	return &kvrwset.Version{BlockNum: v.BlockNum, TxNum: v.TxNum}
}

func fromProtoVersion(v *kvrwset.Version) *Version {
	if v == nil {
		return nil
	}
	return &Version{BlockNum: v.BlockNum, TxNum: v.TxNum}
}
