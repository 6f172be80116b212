package txsim

import (
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// A range query on a peer passes through three layers, and each leaves a trace in the
// read/write set, so txsim keeps all three:
//
//   - resultsItr (the ledger's resultsItr over the state database's scanner) records
//     every result it hands out as a raw read and moves the query's recorded end key to
//     it; when it runs dry it records the query's own end key and itr_exhausted.
//   - stateQueryIterator.fetch (the peer handler's QueryResponseGenerator) pulls
//     results in batches of maxResultLimit, reading one beyond each batch, and stops at
//     the total query limit or, for a paginated query, at the page size.
//   - stateQueryIterator (the shim's StateQueryIterator) hands out the batch and asks
//     for the next one as soon as the last cached result is taken.
//
// So a chaincode that looks at one key of a large range still records up to 101 reads,
// exactly as on a peer, and a phantom insert among them invalidates it the same way.

// resultsItr wraps a state scan and records the range query info for phantom read
// validation.
type resultsItr struct {
	ns       string
	endKey   string
	dbItr    KVIterator
	limit    int32 // the page size; 0 or less means no limit
	returned int32
	closed   bool
	info     *kvrwset.RangeQueryInfo
	reads    []*kvrwset.KVRead
}

func newResultsItr(state State, ns, startKey, endKey string, pageSize int32) (*resultsItr, error) {
	dbItr, err := state.RangeScan(ns, startKey, endKey)
	if err != nil {
		return nil, fmt.Errorf("range scan [%q, %q) of %s: %w", startKey, endKey, ns, err)
	}
	return &resultsItr{
		ns:     ns,
		endKey: endKey,
		dbItr:  dbItr,
		limit:  pageSize,
		// Only the start key is known now; the end key follows the results read.
		info: &kvrwset.RangeQueryInfo{StartKey: startKey},
	}, nil
}

func (r *resultsItr) next() (*VersionedKV, error) {
	var kv *VersionedKV
	if !r.closed && (r.limit <= 0 || r.returned < r.limit) {
		var err error
		if kv, err = r.dbItr.Next(); err != nil {
			return nil, fmt.Errorf("range scan of %s: %w", r.ns, err)
		}
	}
	if kv == nil {
		r.info.ItrExhausted = true
		r.info.EndKey = r.endKey
		return nil, nil
	}
	r.returned++
	v := kv.Version
	r.reads = append(r.reads, &kvrwset.KVRead{Key: kv.Key, Version: protoVersion(&v)})
	r.info.EndKey = kv.Key
	return kv, nil
}

// bookmarkAndClose returns the key after the last result, which a paginated query
// reports as its bookmark, and closes the scan.
func (r *resultsItr) bookmarkAndClose() (string, error) {
	if r.closed {
		return "", nil
	}
	kv, err := r.dbItr.Next()
	r.close()
	if err != nil {
		return "", fmt.Errorf("range scan of %s: %w", r.ns, err)
	}
	if kv == nil {
		return "", nil
	}
	return kv.Key, nil
}

func (r *resultsItr) close() {
	if !r.closed {
		r.closed = true
		_ = r.dbItr.Close()
	}
}

// rangeQueryInfo returns a copy of the range query info with the raw reads so far.
func (r *resultsItr) rangeQueryInfo() *kvrwset.RangeQueryInfo {
	rqi := proto.Clone(r.info).(*kvrwset.RangeQueryInfo)
	// Fabric leaves reads_info unset when a query returned nothing.
	if len(r.reads) > 0 {
		reads := make([]*kvrwset.KVRead, len(r.reads))
		for i, rd := range r.reads {
			reads[i] = proto.Clone(rd).(*kvrwset.KVRead)
		}
		rqi.ReadsInfo = &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{KvReads: reads}}
	}
	return rqi
}

// stateQueryIterator is what the chaincode gets from GetStateByRange and friends.
type stateQueryIterator struct {
	st       *stub
	results  *resultsItr
	returned int32
	pending  []*queryresult.KV
	batch    []*queryresult.KV
	pos      int
	hasMore  bool
	metadata *peer.QueryResponseMetadata
}

// fetch builds the next batch as the peer's QueryResponseGenerator.BuildQueryResponse
// does. The caller holds the simulation lock.
func (it *stateQueryIterator) fetch(paginated bool, totalLimit int32) error {
	for {
		if it.returned >= totalLimit {
			return it.lastBatch(paginated)
		}
		kv, err := it.results.next()
		if err != nil {
			it.results.close()
			return err
		}
		if kv == nil {
			return it.lastBatch(paginated)
		}
		result := &queryresult.KV{Namespace: it.results.ns, Key: kv.Key, Value: kv.Value}
		it.returned++
		if !paginated && len(it.pending) == maxResultLimit {
			// Cut the batch and keep the result just read for the next one.
			it.batch, it.pending = it.pending, []*queryresult.KV{result}
			it.pos, it.hasMore = 0, true
			return nil
		}
		it.pending = append(it.pending, result)
	}
}

func (it *stateQueryIterator) lastBatch(paginated bool) error {
	it.batch, it.pending = it.pending, nil
	it.pos, it.hasMore = 0, false
	if !paginated {
		it.results.close()
		return nil
	}
	bookmark, err := it.results.bookmarkAndClose()
	if err != nil {
		return err
	}
	it.metadata = &peer.QueryResponseMetadata{FetchedRecordsCount: it.returned, Bookmark: bookmark}
	return nil
}

// HasNext reports whether Next has another result.
func (it *stateQueryIterator) HasNext() bool {
	it.st.sim.mu.Lock()
	defer it.st.sim.mu.Unlock()
	return it.pos < len(it.batch) || it.hasMore
}

// Next returns the next result.
func (it *stateQueryIterator) Next() (*queryresult.KV, error) {
	s := it.st.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	if it.pos < len(it.batch) {
		kv := it.batch[it.pos]
		it.pos++
		// Like the shim, fetch the next batch when the last cached result is taken,
		// so that HasNext stays accurate.
		if it.pos == len(it.batch) && it.hasMore {
			if s.done {
				return nil, errDone
			}
			if err := it.fetch(false, s.totalQueryLimit); err != nil {
				return nil, err
			}
		}
		return kv, nil
	}
	if !it.hasMore {
		return nil, errors.New("no such key")
	}
	return nil, errors.New("invalid iterator state")
}

// Close releases the iterator. The range query stays in the read/write set.
func (it *stateQueryIterator) Close() error {
	it.st.sim.mu.Lock()
	defer it.st.sim.mu.Unlock()
	it.results.close()
	it.batch, it.pending, it.hasMore = nil, nil, false
	return nil
}

// historyQueryIterator is what the chaincode gets from GetHistoryForKey. History reads
// are not part of the read/write set, so the results are read up front.
type historyQueryIterator struct {
	results []*queryresult.KeyModification
	pos     int
}

// HasNext reports whether Next has another result.
func (it *historyQueryIterator) HasNext() bool {
	return it.pos < len(it.results)
}

// Next returns the next, older, modification of the key.
func (it *historyQueryIterator) Next() (*queryresult.KeyModification, error) {
	if it.pos >= len(it.results) {
		return nil, errors.New("no such key")
	}
	km := it.results[it.pos]
	it.pos++
	return km, nil
}

// Close releases the iterator.
func (it *historyQueryIterator) Close() error {
	it.results = nil
	return nil
}
