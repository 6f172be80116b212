package statedb

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// reader serves txsim.State from a bbolt transaction. bbolt transactions are not safe
// for concurrent use, so every access holds mu.
type reader struct {
	mu sync.Mutex
	tx *bolt.Tx
}

var _ txsim.State = (*reader)(nil)

// GetState returns the committed value of key in namespace ns, or nil.
func (r *reader) GetState(ns, key string) (*txsim.VersionedValue, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.tx.Bucket(bucketState).Bucket([]byte(ns))
	if b == nil {
		return nil, nil
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, nil
	}
	vv, err := decodeValue(raw)
	if err != nil {
		return nil, fmt.Errorf("state %s/%q: %w", ns, key, err)
	}
	return vv, nil
}

// RangeScan iterates over the keys of ns in [startKey, endKey), in byte order.
func (r *reader) RangeScan(ns, startKey, endKey string) (txsim.KVIterator, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.tx.Bucket(bucketState).Bucket([]byte(ns))
	if b == nil {
		return emptyKV{}, nil
	}
	return &kvIterator{r: r, ns: ns, c: b.Cursor(), start: []byte(startKey), end: []byte(endKey)}, nil
}

// History iterates over the modifications of key, newest first.
func (r *reader) History(ns, key string) (txsim.HistoryIterator, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := r.tx.Bucket(bucketHistory).Bucket([]byte(ns))
	if b == nil {
		return emptyHistory{}, nil
	}
	return &historyIterator{r: r, ns: ns, key: key, c: b.Cursor(), prefix: historyPrefix(key)}, nil
}

type kvIterator struct {
	r          *reader
	ns         string
	c          *bolt.Cursor
	start, end []byte
	started    bool
	done       bool
}

func (it *kvIterator) Next() (*txsim.VersionedKV, error) {
	it.r.mu.Lock()
	defer it.r.mu.Unlock()
	if it.done {
		return nil, nil
	}
	var k, v []byte
	if !it.started {
		it.started = true
		if len(it.start) == 0 {
			k, v = it.c.First()
		} else {
			k, v = it.c.Seek(it.start)
		}
	} else {
		k, v = it.c.Next()
	}
	if k == nil || (len(it.end) > 0 && bytes.Compare(k, it.end) >= 0) {
		it.done = true
		return nil, nil
	}
	vv, err := decodeValue(v)
	if err != nil {
		return nil, fmt.Errorf("state %s/%q: %w", it.ns, k, err)
	}
	return &txsim.VersionedKV{Key: string(k), Value: vv.Value, Version: vv.Version}, nil
}

func (it *kvIterator) Close() error {
	it.r.mu.Lock()
	it.done = true
	it.r.mu.Unlock()
	return nil
}

type historyIterator struct {
	r       *reader
	ns, key string
	c       *bolt.Cursor
	prefix  []byte
	started bool
	done    bool
}

func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	it.r.mu.Lock()
	defer it.r.mu.Unlock()
	if it.done {
		return nil, nil
	}
	var k, v []byte
	if !it.started {
		it.started = true
		// Position after the last entry of the key: the smallest key greater than every
		// key with the prefix is the prefix followed by 17 bytes 0xff.
		upper := append(bytes.Clone(it.prefix), bytes.Repeat([]byte{0xff}, 17)...)
		if k, _ = it.c.Seek(upper); k == nil {
			k, v = it.c.Last()
		} else {
			k, v = it.c.Prev()
		}
	} else {
		k, v = it.c.Prev()
	}
	if k == nil || len(k) != len(it.prefix)+16 || !bytes.HasPrefix(k, it.prefix) {
		it.done = true
		return nil, nil
	}
	km := &queryresult.KeyModification{}
	if err := proto.Unmarshal(v, km); err != nil {
		return nil, fmt.Errorf("history %s/%q: %w", it.ns, it.key, err)
	}
	return km, nil
}

func (it *historyIterator) Close() error {
	it.r.mu.Lock()
	it.done = true
	it.r.mu.Unlock()
	return nil
}

type emptyKV struct{}

func (emptyKV) Next() (*txsim.VersionedKV, error) { return nil, nil }
func (emptyKV) Close() error                      { return nil }

type emptyHistory struct{}

func (emptyHistory) Next() (*queryresult.KeyModification, error) { return nil, nil }
func (emptyHistory) Close() error                                { return nil }
