package cctest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// DefaultChannel is the channel a Ledger runs unless WithChannel says otherwise.
const DefaultChannel = "kaiban"

// DefaultStartTime is where a Ledger's clock starts unless WithStartTime says otherwise.
var DefaultStartTime = time.Date(2021, 12, 1, 9, 0, 0, 0, time.UTC)

// clockTick is how far the clock moves after each transaction, so that no two
// transactions share a timestamp.
const clockTick = time.Second

// Ledger is one channel's ledger for chaincode unit tests: committed state in a
// txsim.MemoryState, the chaincodes registered on the channel, and a fake clock that
// gives each transaction its timestamp. It is safe for concurrent use; transactions
// run one at a time.
type Ledger struct {
	mu         sync.Mutex
	channel    string
	state      *txsim.MemoryState
	chaincodes txsim.Chaincodes
	now        time.Time
	nextBlock  uint64
	txCount    uint64
}

// LedgerOption configures a Ledger.
type LedgerOption func(*Ledger)

// WithChannel sets the channel ID the chaincodes see.
func WithChannel(channelID string) LedgerOption {
	return func(l *Ledger) { l.channel = channelID }
}

// WithStartTime sets the timestamp of the first transaction.
func WithStartTime(t time.Time) LedgerOption {
	return func(l *Ledger) { l.now = t }
}

// NewLedger returns an empty ledger. Block 0 stands for the channel's genesis block,
// so the first transaction commits in block 1.
func NewLedger(opts ...LedgerOption) *Ledger {
	l := &Ledger{
		channel:    DefaultChannel,
		state:      txsim.NewMemoryState(),
		chaincodes: txsim.Chaincodes{},
		now:        DefaultStartTime,
		nextBlock:  1,
	}
	for _, opt := range opts {
		opt(l)
	}
	return l
}

// Register installs cc on the channel under name, which is also its state namespace
// and the name other chaincodes use with InvokeChaincode.
func (l *Ledger) Register(name string, cc shim.Chaincode) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.chaincodes[name] = cc
}

// Now returns the timestamp the next transaction will get.
func (l *Ledger) Now() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.now
}

// SetTime sets the timestamp of the next transaction. It may move the clock back, as a
// client with a skewed clock would.
func (l *Ledger) SetTime(t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = t
}

// Advance moves the clock forward by d.
func (l *Ledger) Advance(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now = l.now.Add(d)
}

// Tx is a transaction proposal: who submits it, what it calls, and its transient data.
type Tx struct {
	Creator   Creator
	Chaincode string
	// Function is the transaction function: "Contract:Function", or "Function" for a
	// contractapi chaincode's default contract.
	Function  string
	Args      []string
	Transient map[string][]byte
}

// Result is the outcome of a transaction.
type Result struct {
	TxID      string
	Timestamp time.Time
	// Status, Message and Payload are the chaincode's response.
	Status  int32
	Message string
	Payload []byte
	// Event is the chaincode event, nil when the chaincode set none or failed.
	Event *peer.ChaincodeEvent
	// RWSet is the read/write set a peer would endorse; Writes is its write part.
	RWSet  *rwset.TxReadWriteSet
	Writes []txsim.NsWrites
	// Committed is set when the transaction was committed valid in block BlockNum;
	// ValidationCode says how the committer judged it once it was ordered.
	Committed      bool
	BlockNum       uint64
	ValidationCode peer.TxValidationCode
}

// OK reports whether the chaincode succeeded (status 200 to 399, as Fabric's gateway
// accepts) and, if the transaction was ordered, it was committed valid.
func (r *Result) OK() bool {
	return r.Err() == nil
}

// Err returns nil when OK, otherwise an error with the status and message or the
// validation code.
func (r *Result) Err() error {
	if r.Status < shim.OK || r.Status >= shim.ERRORTHRESHOLD {
		return fmt.Errorf("transaction %s: chaincode status %d: %s", r.TxID, r.Status, r.Message)
	}
	if r.BlockNum != 0 && !r.Committed {
		return fmt.Errorf("transaction %s: invalidated in block %d: %s", r.TxID, r.BlockNum, r.ValidationCode)
	}
	return nil
}

// JSON unmarshals the response payload into v.
func (r *Result) JSON(v any) error {
	if err := json.Unmarshal(r.Payload, v); err != nil {
		return fmt.Errorf("transaction %s: unmarshal payload %q: %w", r.TxID, r.Payload, err)
	}
	return nil
}

// Submit runs function of chaincode as creator and, if the chaincode succeeds, commits
// its writes in a new block. A failed transaction changes nothing.
func (l *Ledger) Submit(creator Creator, chaincode, function string, args ...string) *Result {
	return l.SubmitTx(Tx{Creator: creator, Chaincode: chaincode, Function: function, Args: args})
}

// Evaluate runs function of chaincode as creator without committing anything.
func (l *Ledger) Evaluate(creator Creator, chaincode, function string, args ...string) *Result {
	return l.EvaluateTx(Tx{Creator: creator, Chaincode: chaincode, Function: function, Args: args})
}

// SubmitTx is Submit for a Tx, which can carry transient data.
func (l *Ledger) SubmitTx(tx Tx) *Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	res := l.simulate(tx)
	if res.OK() {
		l.commit(res)
	}
	return res
}

// EvaluateTx runs tx without committing it. The result is an endorsed transaction:
// passing it, with others, to Commit later models transactions endorsed on the same
// state and ordered afterwards, which is how MVCC conflicts arise.
func (l *Ledger) EvaluateTx(tx Tx) *Result {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.simulate(tx)
}

// Commit orders results, in the order given, into one new block and validates them as
// a peer does: a transaction whose reads were changed by a committed or an earlier
// transaction of the block is invalidated (Committed false, ValidationCode saying
// why). Results whose chaincode failed are left out, as a client would not submit them,
// and so are results already committed; with nothing left, no block is cut.
func (l *Ledger) Commit(results ...*Result) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ok []*Result
	for _, r := range results {
		if r.Status >= shim.OK && r.Status < shim.ERRORTHRESHOLD && r.BlockNum == 0 {
			ok = append(ok, r)
		}
	}
	if len(ok) > 0 {
		l.commit(ok...)
	}
}

func (l *Ledger) simulate(tx Tx) *Result {
	ts := l.now
	l.now = l.now.Add(clockTick)
	l.txCount++
	var nonce [24]byte
	copy(nonce[:], "cctest-nonce")
	binary.BigEndian.PutUint64(nonce[16:], l.txCount)

	args := make([][]byte, 0, len(tx.Args)+1)
	args = append(args, []byte(tx.Function))
	for _, a := range tx.Args {
		args = append(args, []byte(a))
	}
	var creator []byte
	if tx.Creator != nil {
		creator = tx.Creator.Creator()
	}
	sp, err := signedProposal(l.channel, tx.Chaincode, args, tx.Transient, creator, tx.Creator, ts, nonce[:])
	if err != nil {
		return &Result{Status: shim.ERROR, Message: err.Error(), Timestamp: ts}
	}
	prop, err := txsim.ParseSignedProposal(sp)
	if err != nil {
		return &Result{Status: shim.ERROR, Message: err.Error(), Timestamp: ts}
	}
	sim := txsim.New(l.state.Snapshot(), prop.Context, l.chaincodes)
	resp := sim.Invoke(prop.ChaincodeName, prop.Args)
	res := &Result{
		TxID:      prop.Context.TxID,
		Timestamp: ts,
		Status:    resp.Status,
		Message:   resp.Message,
		Payload:   resp.Payload,
		Writes:    sim.Writes(),
	}
	if res.RWSet, err = sim.ReadWriteSet(); err != nil {
		res.Status, res.Message = shim.ERROR, err.Error()
	}
	if txsim.Succeeded(resp) {
		res.Event = sim.Event()
	}
	return res
}

// commit puts results into one block. The caller holds l.mu.
func (l *Ledger) commit(results ...*Result) {
	block := l.nextBlock
	l.nextBlock++
	txs := make([]txsim.BlockTx, len(results))
	for i, r := range results {
		txs[i] = txsim.BlockTx{TxNum: uint64(i), TxID: r.TxID, Timestamp: timestamp(r.Timestamp), RWSet: r.RWSet}
	}
	codes, err := l.state.Commit(block, txs...)
	if err != nil {
		// MemoryState cannot fail to read itself; a failure here is a txsim bug.
		panic(fmt.Sprintf("cctest: commit block %d: %v", block, err))
	}
	for i, r := range results {
		r.BlockNum = block
		r.ValidationCode = codes[i]
		r.Committed = codes[i] == peer.TxValidationCode_VALID
	}
}

// Put writes value (or deletes the key when value is empty) straight into committed
// state, in a block of its own, to set up a test without a chaincode.
func (l *Ledger) Put(namespace, key string, value []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	nss := []txsim.NsReadWriteSet{{Namespace: namespace, KVRWSet: kvWrite(key, value)}}
	rws, err := txsim.EncodeReadWriteSet(nss)
	if err != nil {
		panic(fmt.Sprintf("cctest: put %s/%q: %v", namespace, key, err))
	}
	ts := l.now
	l.txCount++
	l.commit(&Result{TxID: fmt.Sprintf("cctest-put-%d", l.txCount), Timestamp: ts, RWSet: rws})
}

// State returns the committed value of key in namespace, nil when it does not exist.
func (l *Ledger) State(namespace, key string) []byte {
	vv, _ := l.state.GetState(namespace, key)
	if vv == nil {
		return nil
	}
	return vv.Value
}

// StateJSON unmarshals the committed value of key into v and reports whether the key
// exists.
func (l *Ledger) StateJSON(namespace, key string, v any) (bool, error) {
	raw := l.State(namespace, key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("unmarshal %s/%q: %w", namespace, key, err)
	}
	return true, nil
}

// Keys returns the committed keys of namespace in byte order, composite keys (which
// start with U+0000) first.
func (l *Ledger) Keys(namespace string) []string {
	return l.state.Keys(namespace)
}

// History returns the committed modifications of key, newest first, as
// GetHistoryForKey returns them.
func (l *Ledger) History(namespace, key string) []*queryresult.KeyModification {
	it, _ := l.state.History(namespace, key)
	defer it.Close()
	var out []*queryresult.KeyModification
	for {
		km, _ := it.Next()
		if km == nil {
			return out
		}
		out = append(out, km)
	}
}

// Height returns the number of blocks, the genesis block included. Every successful
// Submit, every Commit and every Put adds one; a failed Submit or an Evaluate adds
// none, so comparing Height before and after is the cheap check that a rejected
// transaction wrote nothing. (A successful read-only Submit has empty Result.Writes.)
func (l *Ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.nextBlock
}

// MemoryState returns the ledger's committed state, for tests that need txsim directly.
func (l *Ledger) MemoryState() *txsim.MemoryState {
	return l.state
}
