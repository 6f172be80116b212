// Package ledger is devnet's channel ledger: the ordering service, the committer and
// the block and state stores of one channel, in one process.
//
// A Ledger plays the parts that a Fabric network splits between an orderer and a
// committing peer:
//
//   - Ordering: Broadcast enqueues a transaction envelope; a block cutter cuts a block
//     when BatchSize envelopes (or BatchBytes bytes) are pending or BatchTimeout has
//     passed since the first of them. Blocks are real common.Blocks: the header hash is
//     SHA-256 over the ASN.1 encoding of (number, previous hash, data hash) (HeaderBytes,
//     HeaderHash), the data hash is SHA-256 over the concatenated envelopes (DataHash),
//     each block carries the header hash of the one before, and its SIGNATURES metadata
//     is signed by the orderer Signer exactly as Fabric's orderer signs
//     (OrdererBlockMetadata value, signature header, header bytes); LAST_CONFIG is set
//     as well. Block 0 is Config.Genesis or a minimal configuration block
//     (GenesisBlock).
//   - Validation: each block is validated transaction by transaction in Fabric's order
//     and with Fabric's codes: envelope and headers (BAD_PAYLOAD, BAD_COMMON_HEADER,
//     BAD_CREATOR_SIGNATURE, BAD_PROPOSAL_TXID, INVALID_ENDORSER_TRANSACTION,
//     TARGET_CHAIN_NOT_FOUND, UNSUPPORTED_TX_PAYLOAD, ...), duplicate transaction IDs
//     against the ledger and the block (DUPLICATE_TXID), the chaincode action, the
//     read/write set and the endorsement policy of the invoked chaincode and of every
//     namespace written (BAD_HEADER_EXTENSION, BAD_RESPONSE_PAYLOAD, BAD_RWSET,
//     INVALID_CHAINCODE, ILLEGAL_WRITESET, ENDORSEMENT_POLICY_FAILURE), then MVCC and
//     phantom reads against committed state and the earlier valid transactions of the
//     block (MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT, through txsim.Validator).
//     Identities and policies are checked through the IdentityVerifier and
//     EndorsementPolicy interfaces that the caller supplies. Checks that need no state
//     (most of the work: ECDSA) run as envelopes arrive, in parallel on all cores,
//     while the block fills and the previous one commits; a SignatureCache lets the committer skip signatures that devnet made or already
//     verified. The MVCC pass is sequential.
//   - Commit: the block, with its TRANSACTIONS_FILTER metadata, is appended to the
//     block file and fsynced (the one fsync per block); meanwhile one bbolt
//     transaction stages the valid writes to the world state, the history, the
//     transaction index and the savepoint, and it commits only once the block is
//     durable. Only then are OnCommit, waiters (WaitForTx) and watchers (Watch) told.
//
// Reading: Height, Block, TxStatus and WaitForTx serve the gateway's CommitStatus and
// the deliver service; Snapshot gives a consistent txsim.State for endorsement and
// evaluation; Watch tells a deliver stream when the next block is there, and Err why
// it will never be (ErrClosed, or the failure that stopped the ledger).
//
// Crash safety: the block file is the source of truth. A kill -9 at any moment loses
// no block that was fsynced, and so no block any caller was told about; on Open a torn
// tail of the block file is truncated and the blocks past the state's savepoint are
// replayed, with their hashes and links checked. The state file is written without
// fsync: a crash of the process leaves it whole, and one not closed cleanly before a
// machine restart is set aside and rebuilt from the blocks. Verify re-hashes a whole
// data directory and replays it into a fresh state to check that the stored state
// equals the replay.
//
// A data directory holds two files: blocks (the append-only block file, see package
// blockfile) and state.db (bbolt: world state, history, tx index; see package
// statedb).
package ledger
