// Package deliver is devnet's peer.Deliver service: it streams the blocks of a
// channel's ledger, or filtered blocks (transaction IDs, validation codes and
// chaincode events without payloads), to clients that send a signed SeekInfo
// envelope, as a Fabric peer's deliver service does (common/deliver in Fabric).
//
// The package also holds the block reading that the gateway's ChaincodeEvents
// shares: Follow walks a ledger's blocks from a number on, waiting for new ones,
// and Transactions parses the transactions of a block with their validation codes
// and chaincode events.
package deliver
