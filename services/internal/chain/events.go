package chain

import (
	"context"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Checkpoint is a position in a chaincode's event stream with fabric-gateway's
// checkpointer semantics: Block is the block in which the next event is
// expected and TxID the last transaction of that block already processed
// ("" when none is). The zero Checkpoint is the start of the chain.
type Checkpoint struct {
	Block uint64
	TxID  string
}

// BlockNumber implements client.Checkpoint.
func (c Checkpoint) BlockNumber() uint64 { return c.Block }

// TransactionID implements client.Checkpoint.
func (c Checkpoint) TransactionID() string { return c.TxID }

// After returns the checkpoint that follows the processing of ev.
func After(ev Event) Checkpoint { return Checkpoint{Block: ev.Block, TxID: ev.TxID} }

// Event is a chaincode event of a committed, valid transaction.
type Event struct {
	// Block and TxID locate the transaction that emitted the event.
	Block uint64
	TxID  string
	// Chaincode is the Kaiban name of the chaincode that emitted it
	// (model.ChaincodeSubject, ...), whatever name it is deployed under.
	Chaincode string
	// Name is the event name (model.EventAssetIssued, ...).
	Name string
	// Payload is the event's payload: for Kaiban chaincodes the changed
	// record as JSON.
	Payload []byte
}

// ChaincodeEvents streams the events of a Kaiban chaincode from a checkpoint,
// in commit order, until ctx ends or the stream breaks; the channel is closed
// then. A consumer that checkpoints each event it has processed (After) and
// reopens the stream from its last checkpoint sees every event exactly once.
func (id *Identity) ChaincodeEvents(ctx context.Context, chaincode string, from Checkpoint) (<-chan Event, error) {
	deployed := id.org.Chaincode(chaincode)
	opt := client.WithStartBlock(from.Block)
	if from.TxID != "" {
		// WithCheckpoint ignores a zero checkpoint and would start at the
		// next commit instead of block 0, so it is used only with a TxID.
		opt = client.WithCheckpoint(from)
	}
	events, err := id.network.ChaincodeEvents(ctx, deployed, opt)
	if err != nil {
		return nil, fmt.Errorf("chain: %s events as %s: %w", deployed, id.ref, err)
	}
	out := make(chan Event)
	go func() {
		defer close(out)
		for ev := range events {
			select {
			case out <- Event{Block: ev.BlockNumber, TxID: ev.TransactionID, Chaincode: id.logicalName(ev.ChaincodeName), Name: ev.EventName, Payload: ev.Payload}:
			case <-ctx.Done():
				// The client's reader blocks on its channel until the cancelled
				// stream ends; drain it so that it can.
				for range events {
				}
				return
			}
		}
	}()
	return out, nil
}
