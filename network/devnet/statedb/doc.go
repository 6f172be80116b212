// Package statedb is devnet's world state, history and transaction index, in one bbolt
// file.
//
// Layout (bucket / key → value):
//
//	meta / "savepoint"            → number of the last block applied (8 bytes, big endian)
//	state / <ns> / key            → version (block, tx), metadata and value
//	history / <ns> / len+key+b+t  → marshalled queryresult.KeyModification
//	txids / txID                  → block, tx number and validation code of its first commit
//
// History keys are the key prefixed with its uvarint length and followed by the block
// and transaction numbers (8 bytes big endian each), so that the modifications of one
// key are contiguous and ordered by height even when keys contain 0x00 (composite keys
// do), and a reverse cursor yields them newest first as Fabric's history database does.
//
// A block's changes are applied in one write transaction (Begin ... Commit), which also
// serves the committer's reads while it validates the block. The file is opened with
// bbolt's NoSync: the block file is fsynced before each commit and is the source of
// truth, so after a crash the state is at most some blocks behind and the ledger
// replays them. Readers use Snapshot, a read transaction that sees one committed
// savepoint.
package statedb
