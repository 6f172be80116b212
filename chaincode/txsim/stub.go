package txsim

import (
	"errors"
	"fmt"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// validationParameterMetakey is the metadata entry that holds a key-level endorsement
// policy, named as the shim names it.
var validationParameterMetakey = peer.MetaDataKeys_VALIDATION_PARAMETER.String()

// stub is the shim.ChaincodeStubInterface given to one chaincode invocation: the shim's
// ChaincodeStub and the peer's handler and transaction simulator in one.
type stub struct {
	sim         *Simulation
	ns          string
	args        [][]byte
	decorations map[string][]byte

	mu    sync.Mutex
	event *peer.ChaincodeEvent
}

var _ shim.ChaincodeStubInterface = (*stub)(nil)

// GetArgs returns the invocation arguments, function name first.
func (s *stub) GetArgs() [][]byte { return s.args }

// GetStringArgs returns the invocation arguments as strings.
func (s *stub) GetStringArgs() []string {
	out := make([]string, 0, len(s.args))
	for _, a := range s.args {
		out = append(out, string(a))
	}
	return out
}

// GetFunctionAndParameters returns the first argument as the function name and the
// rest as parameters.
func (s *stub) GetFunctionAndParameters() (string, []string) {
	all := s.GetStringArgs()
	if len(all) == 0 {
		return "", []string{}
	}
	return all[0], all[1:]
}

// GetArgsSlice returns the arguments concatenated.
func (s *stub) GetArgsSlice() ([]byte, error) {
	res := []byte{}
	for _, a := range s.args {
		res = append(res, a...)
	}
	return res, nil
}

// GetTxID returns the transaction ID.
func (s *stub) GetTxID() string { return s.sim.ctx.TxID }

// GetChannelID returns the channel ID.
func (s *stub) GetChannelID() string { return s.sim.ctx.ChannelID }

// GetCreator returns the serialized identity of the submitter.
func (s *stub) GetCreator() ([]byte, error) { return s.sim.ctx.Creator, nil }

// GetTransient returns the transient map of the proposal.
func (s *stub) GetTransient() (map[string][]byte, error) { return s.sim.ctx.Transient, nil }

// GetBinding returns the proposal binding.
func (s *stub) GetBinding() ([]byte, error) { return s.sim.ctx.Binding, nil }

// GetDecorations returns the peer's decorations of the chaincode input.
func (s *stub) GetDecorations() map[string][]byte { return s.decorations }

// GetSignedProposal returns the signed proposal, nil when the context has none.
func (s *stub) GetSignedProposal() (*peer.SignedProposal, error) {
	return s.sim.ctx.SignedProposal, nil
}

// GetTxTimestamp returns the client's timestamp from the proposal's channel header.
func (s *stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	if s.sim.ctx.Timestamp == nil {
		return nil, errors.New("transaction context has no timestamp")
	}
	return s.sim.ctx.Timestamp, nil
}

// SetEvent sets the transaction's event; a later call replaces an earlier one.
func (s *stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return errors.New("event name can not be empty string")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.event = &peer.ChaincodeEvent{EventName: name, Payload: payload}
	return nil
}

// InvokeChaincode calls another chaincode in the same transaction.
func (s *stub) InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response {
	s.sim.mu.Lock()
	done := s.sim.done
	s.sim.mu.Unlock()
	if done {
		return shim.Error(errDone.Error())
	}
	return s.sim.invokeChaincode(chaincodeName, args, channel)
}

// GetState reads key from committed state; writes of this transaction are not seen.
func (s *stub) GetState(key string) ([]byte, error) {
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	vv, err := sim.getState(s.ns, key)
	if err != nil {
		return nil, err
	}
	if vv == nil {
		return nil, nil
	}
	return vv.Value, nil
}

// GetMultipleStates reads keys from committed state, in order, nil for absent keys.
func (s *stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	out := make([][]byte, 0, len(keys))
	for _, key := range keys {
		vv, err := sim.getState(s.ns, key)
		if err != nil {
			return nil, err
		}
		if vv == nil {
			out = append(out, nil)
			continue
		}
		out = append(out, vv.Value)
	}
	return out, nil
}

// getState reads committed state and records the read. The caller holds sim.mu.
func (sim *Simulation) getState(ns, key string) (*VersionedValue, error) {
	if sim.done {
		return nil, errDone
	}
	vv, err := sim.state.GetState(ns, key)
	if err != nil {
		return nil, fmt.Errorf("get state %s/%q: %w", ns, key, err)
	}
	if vv == nil {
		sim.builder.addRead(ns, key, nil)
		return nil, nil
	}
	v := vv.Version
	sim.builder.addRead(ns, key, &v)
	return vv, nil
}

// PutState records a write. An empty value is recorded as a delete, as Fabric does.
func (s *stub) PutState(key string, value []byte) error {
	if key == "" {
		return errors.New("key must not be an empty string")
	}
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if err := sim.checkWritePrecondition(); err != nil {
		return err
	}
	sim.builder.addWrite(s.ns, key, value)
	return nil
}

// DelState records the deletion of key.
func (s *stub) DelState(key string) error {
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if err := sim.checkWritePrecondition(); err != nil {
		return err
	}
	sim.builder.addWrite(s.ns, key, nil)
	return nil
}

// checkWritePrecondition applies the peer's rule that a transaction which made a
// paginated query is read-only. The caller holds sim.mu.
func (sim *Simulation) checkWritePrecondition() error {
	if sim.done {
		return errDone
	}
	if sim.paginatedQueriesPerformed {
		return fmt.Errorf("txid [%s]: unsupported transaction. Transaction has already performed a paginated query. Writes are not allowed", sim.ctx.TxID)
	}
	sim.writePerformed = true
	return nil
}

// SetStateValidationParameter records a metadata write of the key-level endorsement
// policy of key.
func (s *stub) SetStateValidationParameter(key string, ep []byte) error {
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if err := sim.checkWritePrecondition(); err != nil {
		return err
	}
	// The peer handler writes a metadata map holding just this entry; the committer
	// replaces the key's metadata with it.
	sim.builder.addMetadataWrite(s.ns, key, map[string][]byte{validationParameterMetakey: ep})
	return nil
}

// GetStateValidationParameter returns the committed key-level endorsement policy of
// key. Like GetState it records a read of key.
func (s *stub) GetStateValidationParameter(key string) ([]byte, error) {
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	vv, err := sim.getState(s.ns, key)
	if err != nil || vv == nil {
		return nil, err
	}
	return vv.Metadata[validationParameterMetakey], nil
}

// GetStateByRange iterates over simple keys in [startKey, endKey).
func (s *stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, err
	}
	it, _, err := s.rangeQuery(startKey, endKey, nil)
	return it, err
}

// GetStateByRangeWithPagination returns one page of simple keys in [startKey, endKey),
// starting at bookmark when it is not empty.
func (s *stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys(startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.rangeQuery(startKey, endKey, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// GetStateByPartialCompositeKey iterates over the composite keys that start with
// objectType and attributes.
func (s *stub) GetStateByPartialCompositeKey(objectType string, attributes []string) (shim.StateQueryIteratorInterface, error) {
	startKey, endKey, err := partialCompositeKeyRange(objectType, attributes)
	if err != nil {
		return nil, err
	}
	it, _, err := s.rangeQuery(startKey, endKey, nil)
	return it, err
}

// GetStateByPartialCompositeKeyWithPagination returns one page of the composite keys
// that start with objectType and attributes.
func (s *stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	startKey, endKey, err := partialCompositeKeyRange(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	return s.rangeQuery(startKey, endKey, &peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// GetAllStatesCompositeKeyWithPagination returns one page of all composite keys.
func (s *stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.rangeQuery(compositeKeyNamespace, compositeKeyNamespace+string(rune(maxUnicodeRuneValue)),
		&peer.QueryMetadata{PageSize: pageSize, Bookmark: bookmark})
}

// rangeQuery serves every range query as the peer's HandleGetStateByRange does. The
// shim always returns non-nil response metadata, empty for a query that is not
// paginated.
func (s *stub) rangeQuery(startKey, endKey string, md *peer.QueryMetadata) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if sim.done {
		return nil, nil, errDone
	}
	// A page size of 0 with no bookmark is not pagination for the peer: the query runs
	// as a plain range query and is allowed in a transaction that writes.
	paginated := md != nil && (md.PageSize != 0 || md.Bookmark != "")
	totalLimit := sim.totalQueryLimit
	var pageSize int32
	if paginated {
		if sim.writePerformed {
			return nil, nil, fmt.Errorf("txid [%s]: unsupported transaction. Paginated queries are supported only in a read-only transaction", sim.ctx.TxID)
		}
		sim.paginatedQueriesPerformed = true
		if md.Bookmark != "" {
			startKey = md.Bookmark
		}
		pageSize = md.PageSize
		if pageSize > 0 && pageSize < totalLimit {
			totalLimit = pageSize
		}
	}
	results, err := newResultsItr(sim.state, s.ns, startKey, endKey, pageSize)
	if err != nil {
		return nil, nil, err
	}
	sim.rangeIters = append(sim.rangeIters, results)
	it := &stateQueryIterator{st: s, results: results}
	if err := it.fetch(paginated, totalLimit); err != nil {
		return nil, nil, err
	}
	metadata := it.metadata
	if metadata == nil {
		metadata = &peer.QueryResponseMetadata{}
	}
	return it, metadata, nil
}

// GetHistoryForKey returns the committed modifications of key, newest first.
func (s *stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	sim := s.sim
	sim.mu.Lock()
	defer sim.mu.Unlock()
	if sim.done {
		return nil, errDone
	}
	hi, err := sim.state.History(s.ns, key)
	if err != nil {
		return nil, fmt.Errorf("history of %s/%q: %w", s.ns, key, err)
	}
	defer hi.Close()
	var results []*queryresult.KeyModification
	for int32(len(results)) < sim.totalQueryLimit {
		km, err := hi.Next()
		if err != nil {
			return nil, fmt.Errorf("history of %s/%q: %w", s.ns, key, err)
		}
		if km == nil {
			break
		}
		results = append(results, km)
	}
	return &historyQueryIterator{results: results}, nil
}

// CreateCompositeKey combines objectType and attributes into a composite key.
func (s *stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return CreateCompositeKey(objectType, attributes)
}

// SplitCompositeKey splits a composite key into its object type and attributes.
func (s *stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	return SplitCompositeKey(compositeKey)
}

// StartWriteBatch does nothing: batching only changes how the shim talks to the peer.
func (s *stub) StartWriteBatch() {}

// FinishWriteBatch does nothing and returns nil.
func (s *stub) FinishWriteBatch() error { return nil }

// GetQueryResult fails: LevelDB, which txsim models, has no rich queries.
func (s *stub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, errRichQuery
}

// GetQueryResultWithPagination fails: LevelDB, which txsim models, has no rich queries.
func (s *stub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, errRichQuery
}

var (
	errRichQuery   = fmt.Errorf("%w: rich queries (GetQueryResult) need CouchDB; devnet/txsim state is LevelDB-like, use composite keys", ErrNotSupported)
	errPrivateData = fmt.Errorf("%w: private data is not available on devnet/txsim", ErrNotSupported)
)

// GetPrivateData fails: private data is not modelled.
func (s *stub) GetPrivateData(string, string) ([]byte, error) { return nil, errPrivateData }

// GetMultiplePrivateData fails: private data is not modelled.
func (s *stub) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, errPrivateData
}

// GetPrivateDataHash fails: private data is not modelled.
func (s *stub) GetPrivateDataHash(string, string) ([]byte, error) { return nil, errPrivateData }

// PutPrivateData fails: private data is not modelled.
func (s *stub) PutPrivateData(string, string, []byte) error { return errPrivateData }

// DelPrivateData fails: private data is not modelled.
func (s *stub) DelPrivateData(string, string) error { return errPrivateData }

// PurgePrivateData fails: private data is not modelled.
func (s *stub) PurgePrivateData(string, string) error { return errPrivateData }

// SetPrivateDataValidationParameter fails: private data is not modelled.
func (s *stub) SetPrivateDataValidationParameter(string, string, []byte) error {
	return errPrivateData
}

// GetPrivateDataValidationParameter fails: private data is not modelled.
func (s *stub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, errPrivateData
}

// GetPrivateDataByRange fails: private data is not modelled.
func (s *stub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, errPrivateData
}

// GetPrivateDataByPartialCompositeKey fails: private data is not modelled.
func (s *stub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, errPrivateData
}

// GetPrivateDataQueryResult fails: private data is not modelled.
func (s *stub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, errPrivateData
}
