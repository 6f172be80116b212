package ledger

import (
	"runtime"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
)

// Defaults of Config, following Fabric's sample configtx.yaml where it has one.
const (
	DefaultBatchSize    = 500
	DefaultBatchTimeout = 2 * time.Second
	DefaultBatchBytes   = 10 << 20
)

// Config configures a Ledger. Dir, ChannelID, Orderer, Identities and Policy are
// required; the other fields have defaults.
type Config struct {
	// Dir is the data directory; it is created when missing.
	Dir string
	// ChannelID is the one channel the ledger holds. Transactions for other channels
	// are refused by Broadcast and marked TARGET_CHAIN_NOT_FOUND if they reach a block.
	ChannelID string
	// BatchSize is the most transactions in a block (Fabric's MaxMessageCount).
	BatchSize int
	// BatchTimeout is how long the first pending transaction waits before its block is
	// cut (Fabric's BatchTimeout).
	BatchTimeout time.Duration
	// BatchBytes is the preferred most bytes of envelopes in a block (Fabric's
	// PreferredMaxBytes): a block is cut before an envelope that would exceed it, and
	// a larger envelope gets a block of its own.
	BatchBytes int
	// Orderer signs every block, as the ordering service node does.
	Orderer Signer
	// Identities checks creators' and endorsers' identities and signatures.
	Identities IdentityVerifier
	// Policy checks endorsements against the endorsement policy of each namespace.
	Policy EndorsementPolicy
	// Genesis is written as block 0 when Dir holds no chain yet; it is ignored
	// otherwise. When nil, a minimal configuration block for ChannelID is made with
	// GenesisBlock.
	Genesis *common.Block
	// VerifyWorkers is how many goroutines check the signatures of arriving
	// envelopes in parallel; it defaults to GOMAXPROCS.
	VerifyWorkers int
	// OnCommit, when set, is called after each block is committed, before waiters are
	// told; it must not block (metrics use it).
	OnCommit func(CommitInfo)
}

func (c Config) withDefaults() Config {
	if c.BatchSize <= 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchTimeout <= 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = DefaultBatchBytes
	}
	if c.VerifyWorkers <= 0 {
		c.VerifyWorkers = runtime.GOMAXPROCS(0)
	}
	return c
}
