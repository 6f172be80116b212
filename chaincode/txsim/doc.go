// Package txsim simulates Fabric transactions in process: it implements
// shim.ChaincodeStubInterface over a committed, versioned world state and records
// the read/write set a Fabric peer would record for the same chaincode calls.
//
// The package is the one model of a peer's transaction simulator in Kaiban. Chaincode
// unit tests run it over MemoryState (through package cctest), and network/devnet runs
// it over its persistent store; both therefore see the same key encoding, query order,
// pagination bookmarks, history order and read/write sets as a Fabric 2.5/3.x peer
// with LevelDB state.
//
// A transaction goes through three steps, as on a peer:
//
//  1. Simulate: New creates a Simulation for one proposal; Simulation.Invoke runs the
//     chaincode (and any chaincode it calls) against committed state only. Reads never
//     see the transaction's own writes.
//  2. Endorse: Simulation.ReadWriteSet returns the rwset.TxReadWriteSet, built the way
//     Fabric's rwsetutil.RWSetBuilder builds it; Simulation.Event returns the chaincode
//     event.
//  3. Validate and commit: a Validator checks the transactions of one block in order
//     (MVCC read conflicts and phantom reads, seeing the writes of earlier valid
//     transactions of the same block) and produces an UpdateBatch that a State
//     implementation applies atomically (MemoryState.Apply here, devnet's store there).
//
// What a LevelDB peer cannot do, txsim does not do either: rich queries
// (GetQueryResult) fail with ErrNotSupported. Private data is not modelled at all and
// fails with ErrNotSupported too.
package txsim
