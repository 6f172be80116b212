package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/blockfile"
	"github.com/kaiban-platform/kaiban/network/devnet/statedb"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Names of the files in a data directory.
const (
	BlocksFile = "blocks"
	StateFile  = "state.db"
)

// cachedBlocks is how many recent blocks Block serves from memory, so that deliver
// streams following the chain do not read the file.
const cachedBlocks = 16

// Ledger is one channel's orderer, committer, block store and state. Its methods are
// safe for concurrent use.
type Ledger struct {
	cfg    Config
	blocks *blockfile.File
	state  *statedb.DB

	// inMu guards sends on in against its closing by Close.
	inMu     sync.RWMutex
	inClosed bool
	in       chan arrival
	// seqMu orders the acceptance of envelopes: seq numbers them as they enter in.
	seqMu sync.Mutex
	seq   uint64
	// done is closed when the committer has committed the last block and stopped.
	done chan struct{}

	mu      sync.Mutex
	height  uint64
	next    chan struct{}
	waiters map[string][]chan TxStatus
	cache   map[uint64]*common.Block
	closed  bool
	// stopped is closed by Close or by a fatal error, to release waiters.
	stopped chan struct{}
	err     atomic.Pointer[error]
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
	// Timestamps holds the channel header timestamp of each transaction (the
	// client's proposal time), nil where the header did not parse.
	Timestamps []*timestamppb.Timestamp
	// Validate is the time spent checking the signatures and policies of the block's
	// transactions, added up over the goroutines that did it; Commit is the time
	// spent on MVCC, the block file and the state.
	Validate, Commit time.Duration
}

// blockJob is a block on its way from the cutter to commit, with the results of the
// checks of its transactions that need no state.
type blockJob struct {
	block *common.Block
	txs   []checkedTx
	// validate is the time the checks of its transactions took, added up.
	validate time.Duration
}

// Open opens (or creates) the ledger in cfg.Dir, truncates a torn block file tail,
// replays blocks past the state savepoint and starts the ordering service.
func Open(cfg Config) (*Ledger, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.Dir == "":
		return nil, errors.New("ledger: Config.Dir is required")
	case cfg.ChannelID == "":
		return nil, errors.New("ledger: Config.ChannelID is required")
	case cfg.Orderer == nil || cfg.Identities == nil || cfg.Policy == nil:
		return nil, errors.New("ledger: Config.Orderer, Identities and Policy are required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	state, err := openState(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	blocks, err := blockfile.Open(filepath.Join(cfg.Dir, BlocksFile))
	if err != nil {
		state.Close()
		return nil, fmt.Errorf("ledger: %w", err)
	}
	l := &Ledger{
		cfg:     cfg,
		blocks:  blocks,
		state:   state,
		in:      make(chan arrival, 2*cfg.BatchSize),
		done:    make(chan struct{}),
		next:    make(chan struct{}),
		waiters: map[string][]chan TxStatus{},
		cache:   map[uint64]*common.Block{},
		stopped: make(chan struct{}),
	}
	last, err := l.recover()
	if err != nil {
		blocks.Close()
		state.Close()
		return nil, fmt.Errorf("ledger: open %s: %w", cfg.Dir, err)
	}
	l.height = last.Header.Number + 1
	checked := make(chan pendingTx, cfg.BatchSize)
	var checkers sync.WaitGroup
	for range cfg.VerifyWorkers {
		checkers.Go(func() { l.checker(checked) })
	}
	go func() {
		checkers.Wait()
		close(checked)
	}()
	cut := make(chan *blockJob, 1)
	go l.cutter(l.height, HeaderHash(last.Header), checked, cut)
	go l.committer(cut)
	return l, nil
}

// recover writes the genesis block into an empty directory, replays the blocks the
// state has not applied and returns the last block.
func (l *Ledger) recover() (*common.Block, error) {
	sp, hasState, err := l.state.Savepoint()
	if err != nil {
		return nil, err
	}
	if l.blocks.Len() == 0 {
		if hasState {
			return nil, fmt.Errorf("state is at block %d but the block file is empty: %w", sp, ErrCorrupt)
		}
		genesis := l.cfg.Genesis
		if genesis == nil {
			if genesis, err = GenesisBlock(l.cfg.ChannelID, nil, l.cfg.BatchSize, l.cfg.BatchTimeout); err != nil {
				return nil, err
			}
		}
		if genesis.GetHeader().GetNumber() != 0 || !slices.Equal(DataHash(genesis.Data), genesis.Header.DataHash) {
			return nil, errors.New("Config.Genesis is not a block 0 with a matching data hash")
		}
		if len(genesis.GetData().GetData()) != 1 {
			return nil, errors.New("Config.Genesis must hold one configuration transaction")
		}
		if p, _ := parseEnvelope(genesis.Data.Data[0]); p.chdr == nil || p.chdr.ChannelId != l.cfg.ChannelID ||
			common.HeaderType(p.chdr.Type) != common.HeaderType_CONFIG {
			return nil, fmt.Errorf("Config.Genesis is not a configuration block of channel %s", l.cfg.ChannelID)
		}
		genesis = withValidFilter(genesis)
		raw, err := proto.Marshal(genesis)
		if err != nil {
			return nil, fmt.Errorf("marshal genesis block: %w", err)
		}
		if err := l.blocks.Append(raw); err != nil {
			return nil, err
		}
	}
	height := l.blocks.Len()
	from := uint64(0)
	if hasState {
		if sp >= height {
			return nil, fmt.Errorf("state is at block %d but the block file ends at block %d: %w", sp, height-1, ErrCorrupt)
		}
		from = sp + 1
	}
	if _, err := replay(l.blocks, l.state, from, height, checkLink); err != nil {
		return nil, err
	}
	last, err := readBlock(l.blocks, height-1)
	if err != nil {
		return nil, err
	}
	return last, nil
}

// readBlock reads and parses block num of the block file and checks its number.
func readBlock(f *blockfile.File, num uint64) (*common.Block, error) {
	raw, err := f.Read(num)
	if err != nil {
		if errors.Is(err, blockfile.ErrCorrupt) {
			return nil, fmt.Errorf("block %d: %w: %w", num, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("block %d: %w", num, err)
	}
	b := &common.Block{}
	if err := proto.Unmarshal(raw, b); err != nil {
		return nil, fmt.Errorf("block %d does not parse: %w: %w", num, ErrCorrupt, err)
	}
	if b.GetHeader().GetNumber() != num {
		return nil, fmt.Errorf("record %d holds block %d: %w", num, b.GetHeader().GetNumber(), ErrCorrupt)
	}
	return b, nil
}

// Close stops the ordering service, cuts the envelopes still pending into a last
// block, commits the blocks already cut and closes the stores. Open snapshots must be
// closed first.
func (l *Ledger) Close() error {
	l.inMu.Lock()
	if l.inClosed {
		l.inMu.Unlock()
		return ErrClosed
	}
	l.inClosed = true
	close(l.in)
	l.inMu.Unlock()
	<-l.done

	l.mu.Lock()
	l.closed = true
	close(l.next)
	l.stop()
	l.mu.Unlock()
	err := errors.Join(closeState(l.state), l.blocks.Close())
	if ferr := l.failure(); ferr != nil {
		return ferr
	}
	return err
}

// stop closes stopped once; l.mu must be held.
func (l *Ledger) stop() {
	select {
	case <-l.stopped:
	default:
		close(l.stopped)
	}
}

// fail records a fatal error: the ledger stops committing and refuses new envelopes.
func (l *Ledger) fail(err error) {
	err = fmt.Errorf("ledger: %w", err)
	if l.err.CompareAndSwap(nil, &err) {
		l.mu.Lock()
		l.stop()
		l.mu.Unlock()
	}
}

func (l *Ledger) failure() error {
	if p := l.err.Load(); p != nil {
		return *p
	}
	return nil
}

// Err returns nil while the ledger works, ErrClosed after Close, or the error that
// stopped it.
func (l *Ledger) Err() error {
	if err := l.failure(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}

// ChannelID returns the channel the ledger holds.
func (l *Ledger) ChannelID() string {
	return l.cfg.ChannelID
}

// Height returns the number of committed blocks, genesis included.
func (l *Ledger) Height() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height
}

// Block returns committed block num, with its TRANSACTIONS_FILTER metadata. The
// returned block is shared: callers must not modify it.
func (l *Ledger) Block(num uint64) (*common.Block, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if num >= l.height {
		l.mu.Unlock()
		return nil, fmt.Errorf("block %d (height %d): %w", num, l.height, ErrBlockNotFound)
	}
	if b, ok := l.cache[num]; ok {
		l.mu.Unlock()
		return b, nil
	}
	l.mu.Unlock()
	return readBlock(l.blocks, num)
}

// Watch returns the current height and a channel that is closed when the next block
// is committed or the ledger closes (Err then tells which). A deliver stream sends
// blocks up to height, then waits on the channel.
func (l *Ledger) Watch() (height uint64, next <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height, l.next
}

// TxStatus returns the status of committed transaction txID, or ErrTxNotFound. When a
// transaction ID was committed more than once (the later ones as DUPLICATE_TXID), the
// first is returned, as a peer does.
func (l *Ledger) TxStatus(txID string) (TxStatus, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.txStatusLocked(txID)
}

func (l *Ledger) txStatusLocked(txID string) (TxStatus, error) {
	if l.closed {
		return TxStatus{}, ErrClosed
	}
	loc, ok, err := l.state.TxLoc(txID)
	if err != nil {
		return TxStatus{}, err
	}
	// The index is written just before waiters are told; until then the block is not
	// part of the ledger's height and neither is the transaction.
	if !ok || loc.BlockNum >= l.height {
		return TxStatus{}, fmt.Errorf("transaction %s: %w", txID, ErrTxNotFound)
	}
	return TxStatus{TxID: txID, BlockNumber: loc.BlockNum, TxNum: loc.TxNum, Code: loc.Code}, nil
}

// WaitForTx returns the status of txID once its block is committed, waiting for it if
// needed, until ctx is done or the ledger closes.
func (l *Ledger) WaitForTx(ctx context.Context, txID string) (TxStatus, error) {
	l.mu.Lock()
	st, err := l.txStatusLocked(txID)
	if !errors.Is(err, ErrTxNotFound) {
		l.mu.Unlock()
		return st, err
	}
	ch := make(chan TxStatus, 1)
	l.waiters[txID] = append(l.waiters[txID], ch)
	l.mu.Unlock()

	select {
	case st := <-ch:
		return st, nil
	case <-ctx.Done():
		l.mu.Lock()
		l.waiters[txID] = slices.DeleteFunc(l.waiters[txID], func(c chan TxStatus) bool { return c == ch })
		if len(l.waiters[txID]) == 0 {
			delete(l.waiters, txID)
		}
		l.mu.Unlock()
		return TxStatus{}, ctx.Err()
	case <-l.stopped:
		if err := l.failure(); err != nil {
			return TxStatus{}, err
		}
		return TxStatus{}, ErrClosed
	}
}

// Snapshot returns a consistent read-only view of the committed state, at the height
// it reports. It must be closed, promptly: an open snapshot holds back the growth of
// the state file and Close waits for it.
func (l *Ledger) Snapshot() (*Snapshot, error) {
	if err := l.Err(); err != nil {
		return nil, err
	}
	s, err := l.state.Snapshot()
	if err != nil {
		return nil, err
	}
	sp, _ := s.Savepoint()
	return &Snapshot{Snapshot: s, height: sp + 1}, nil
}

// Snapshot is a consistent read-only view of committed state; it implements
// txsim.State (GetState, RangeScan, History) and is safe for concurrent use.
type Snapshot struct {
	*statedb.Snapshot
	height uint64
}

var _ txsim.State = (*Snapshot)(nil)

// Height returns the ledger height the snapshot shows: blocks 0 to Height-1 are in it.
func (s *Snapshot) Height() uint64 { return s.height }

// withValidFilter returns the genesis block with every transaction marked valid in
// its TRANSACTIONS_FILTER, as a peer commits it; a block made by configtxgen or
// fabric-config carries an empty filter. The caller's block is not modified.
func withValidFilter(genesis *common.Block) *common.Block {
	md := genesis.GetMetadata().GetMetadata()
	if len(md) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) &&
		len(md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]) == len(genesis.GetData().GetData()) {
		return genesis
	}
	g := proto.Clone(genesis).(*common.Block)
	if g.Metadata == nil {
		g.Metadata = &common.BlockMetadata{}
	}
	for len(g.Metadata.Metadata) < len(common.BlockMetadataIndex_name) {
		g.Metadata.Metadata = append(g.Metadata.Metadata, []byte{})
	}
	g.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = make([]byte, len(g.Data.GetData()))
	return g
}
