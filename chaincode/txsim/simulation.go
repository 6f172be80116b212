package txsim

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Limits a peer applies to query results; see core/chaincode in Fabric.
const (
	// maxResultLimit is the peer's hard-coded batch size between handler and shim
	// (QueryResponseGenerator.MaxResultLimit). The peer reads one result beyond each
	// batch, which is why a range query records reads the chaincode never looked at.
	maxResultLimit = 100
	// DefaultTotalQueryLimit is core.yaml's ledger.state.totalQueryLimit: the most
	// results one query iterator returns before it silently stops.
	DefaultTotalQueryLimit = 100000
)

// Context is what a peer extracts from a signed proposal and hands to the chaincode.
type Context struct {
	ChannelID string
	TxID      string
	// Timestamp is the client's timestamp from the proposal's channel header.
	Timestamp *timestamppb.Timestamp
	// Creator is the serialized msp.SerializedIdentity of the submitter.
	Creator   []byte
	Transient map[string][]byte
	// Binding is SHA-256(nonce || creator || epoch as 8 little-endian bytes).
	Binding []byte
	// Decorations are the peer's decorations of the chaincode input; Fabric passes them
	// to the chaincode invoked by the proposal, not to chaincodes it calls.
	Decorations    map[string][]byte
	SignedProposal *peer.SignedProposal
}

// Registry finds the chaincodes installed on the channel, for Simulation.Invoke and
// for chaincode-to-chaincode calls.
type Registry interface {
	Chaincode(name string) (shim.Chaincode, bool)
}

// Chaincodes is a Registry backed by a map from chaincode name to chaincode.
type Chaincodes map[string]shim.Chaincode

// Chaincode returns the chaincode registered under name.
func (c Chaincodes) Chaincode(name string) (shim.Chaincode, bool) {
	cc, ok := c[name]
	return cc, ok
}

// Option configures a Simulation.
type Option func(*Simulation)

// WithTotalQueryLimit sets the most results one range or history iterator returns, as
// core.yaml's ledger.state.totalQueryLimit does on a peer. Values below 1 are ignored.
func WithTotalQueryLimit(n int32) Option {
	return func(s *Simulation) {
		if n > 0 {
			s.totalQueryLimit = n
		}
	}
}

// Simulation is the simulation of one transaction: it runs chaincodes against committed
// state and records the read/write set a Fabric peer would record. A Simulation is used
// for one Invoke; its methods are safe for concurrent use.
type Simulation struct {
	state           State
	ctx             Context
	registry        Registry
	totalQueryLimit int32

	mu                        sync.Mutex
	builder                   *rwsetBuilder
	rangeIters                []*resultsItr
	writePerformed            bool
	paginatedQueriesPerformed bool
	invoked                   bool
	done                      bool
	callStack                 []string
	event                     *peer.ChaincodeEvent
}

// New starts the simulation of one transaction over state, with chaincodes looked up
// in registry.
func New(state State, ctx Context, registry Registry, opts ...Option) *Simulation {
	s := &Simulation{
		state:           state,
		ctx:             ctx,
		registry:        registry,
		totalQueryLimit: DefaultTotalQueryLimit,
		builder:         newRWSetBuilder(),
	}
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// Context returns the transaction context the simulation was created with.
func (s *Simulation) Context() Context {
	return s.ctx
}

// Invoke runs the Invoke function of chaincode with args (function name first, as the
// client sends them) in namespace chaincode. It may be called once per Simulation.
//
// A chaincode panic becomes a status 500 response; on a peer it would crash the
// chaincode process and fail the endorsement. Whatever the status, the reads and writes
// recorded so far stay in the read/write set: a peer endorses only responses below 400
// (see Succeeded), and deciding that is the caller's job.
func (s *Simulation) Invoke(chaincode string, args [][]byte) *peer.Response {
	s.mu.Lock()
	if s.invoked {
		s.mu.Unlock()
		return shim.Error("txsim: a Simulation runs one invocation; start a new one per transaction")
	}
	s.invoked = true
	s.mu.Unlock()

	if _, ok := s.registry.Chaincode(chaincode); !ok {
		s.finish()
		return shim.Error(fmt.Sprintf("chaincode %s is not installed on channel %s", chaincode, s.ctx.ChannelID))
	}
	resp, event := s.execute(chaincode, args, s.ctx.Decorations)
	if event != nil {
		// The peer stamps the event of the invoked chaincode with its name and the
		// transaction ID (core/chaincode.processChaincodeExecutionResult).
		event.ChaincodeId = chaincode
		event.TxId = s.ctx.TxID
	}
	s.mu.Lock()
	s.event = event
	s.mu.Unlock()
	s.finish()
	return resp
}

// finish stops the stubs from being used after the invocation returned, as a peer's
// transaction simulator refuses calls after Done.
func (s *Simulation) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	for _, it := range s.rangeIters {
		it.close()
	}
}

// execute runs one chaincode in namespace name and returns its response and event.
func (s *Simulation) execute(name string, args [][]byte, decorations map[string][]byte) (resp *peer.Response, event *peer.ChaincodeEvent) {
	cc, _ := s.registry.Chaincode(name)
	st := &stub{sim: s, ns: name, args: args, decorations: decorations}

	s.mu.Lock()
	s.callStack = append(s.callStack, name)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.callStack = s.callStack[:len(s.callStack)-1]
		s.mu.Unlock()
		if r := recover(); r != nil {
			resp, event = shim.Error(fmt.Sprintf("chaincode %s panicked: %v", name, r)), nil
		}
	}()

	resp = cc.Invoke(st)
	if resp == nil {
		resp = shim.Error(fmt.Sprintf("chaincode %s returned no response", name))
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return resp, st.event
}

// invokeChaincode serves a chaincode-to-chaincode call made from the stub of caller.
func (s *Simulation) invokeChaincode(name string, args [][]byte, channel string) *peer.Response {
	// The peer answers a failed call with an ERROR message whose payload the shim turns
	// into a status 500 response; the text below follows the peer's wording.
	fail := func(err error) *peer.Response {
		return shim.Error(fmt.Sprintf("%s failed: transaction ID: %s: %v", peer.ChaincodeMessage_INVOKE_CHAINCODE, s.ctx.TxID, err))
	}
	if channel != "" && channel != s.ctx.ChannelID {
		// devnet hosts one channel; a peer not joined to the target channel answers so.
		return fail(fmt.Errorf("failed to find ledger for channel: %s", channel))
	}
	if _, ok := s.registry.Chaincode(name); !ok {
		return fail(fmt.Errorf("execute failed: invalid invocation: [channel %s] failed to get chaincode container info for %s: chaincode is not installed", s.ctx.ChannelID, name))
	}
	s.mu.Lock()
	reentrant := slices.Contains(s.callStack, name)
	s.mu.Unlock()
	if reentrant {
		// A peer keeps one transaction context per chaincode and transaction ID, so a
		// chaincode already on the call stack cannot be entered again.
		return fail(fmt.Errorf("execute failed: error sending: txid: %s(%s) exists", s.ctx.TxID, s.ctx.ChannelID))
	}
	// The callee shares the simulator, so its reads and writes land in the same
	// read/write set under its own namespace; its event is dropped because the peer
	// forwards only the response of a called chaincode. Fabric passes the callee no
	// decorations.
	resp, _ := s.execute(name, args, nil)
	return resp
}

// ReadWriteSet returns the transaction's read/write set as a peer would put it in the
// proposal response: namespaces sorted by name, reads, writes and metadata writes
// sorted by key, and range queries in the order they were opened (deduplicated), each
// with its raw reads.
func (s *Simulation) ReadWriteSet() (*rwset.TxReadWriteSet, error) {
	return EncodeReadWriteSet(s.kvrwsets())
}

// Writes returns the writes of the transaction per namespace, namespaces sorted by
// name and writes sorted by key.
func (s *Simulation) Writes() []NsWrites {
	return WritesOf(s.kvrwsets())
}

func (s *Simulation) kvrwsets() []NsReadWriteSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range s.rangeIters {
		s.builder.ns(it.ns)
	}
	nss := s.builder.kvrwsets()
	index := make(map[string]int, len(nss))
	for i, n := range nss {
		index[n.Namespace] = i
	}
	// Range queries are added last, as Fabric's queryExecutor.addRangeQueryInfo does
	// when the simulation results are requested, so that each iterator's final end key
	// and exhaustion are recorded; the builder keeps the first of equal queries.
	type rangeQueryKey struct {
		ns, startKey, endKey string
		itrExhausted         bool
	}
	seen := map[rangeQueryKey]bool{}
	for _, it := range s.rangeIters {
		rqi := it.rangeQueryInfo()
		k := rangeQueryKey{it.ns, rqi.StartKey, rqi.EndKey, rqi.ItrExhausted}
		if seen[k] {
			continue
		}
		seen[k] = true
		kv := nss[index[it.ns]].KVRWSet
		kv.RangeQueriesInfo = append(kv.RangeQueriesInfo, rqi)
	}
	return nss
}

// Event returns the chaincode event set by the invoked chaincode, stamped with the
// chaincode name and transaction ID, or nil when it set none.
func (s *Simulation) Event() *peer.ChaincodeEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.event
}

// Succeeded reports whether a peer would endorse a transaction with this response:
// Fabric's gateway accepts statuses from 200 up to, not including, 400.
func Succeeded(resp *peer.Response) bool {
	return resp != nil && resp.Status >= shim.OK && resp.Status < shim.ERRORTHRESHOLD
}

// errDone is returned by stub calls made after the invocation returned.
var errDone = errors.New("this instance should not be used after calling Done()")
