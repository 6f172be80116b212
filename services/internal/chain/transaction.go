package chain

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Transaction is an endorsed transaction that has not been confirmed
// committed. Its bytes can be stored and turned back into a Transaction with
// Identity.Transaction, by another process if need be: sending the same
// transaction twice is harmless, because Fabric commits a transaction ID once
// and marks any later copy DUPLICATE_TXID without applying it.
type Transaction struct {
	id        *Identity
	chaincode string
	function  string
	tx        *client.Transaction
}

// ID returns the transaction ID.
func (t *Transaction) ID() string { return t.tx.TransactionID() }

// Result returns the chaincode's response as endorsed.
func (t *Transaction) Result() []byte { return t.tx.Result() }

// Bytes returns the endorsed transaction, serialized.
func (t *Transaction) Bytes() ([]byte, error) { return t.tx.Bytes() }

// Result is a committed transaction.
type Result struct {
	// TxID is the transaction ID.
	TxID string
	// Block is the number of the block holding the transaction.
	Block uint64
	// Payload is the chaincode's response, typically the written record as JSON.
	Payload []byte
	// Attempts is how many times the transaction was endorsed (1 unless it lost
	// MVCC races and was retried).
	Attempts int
}

// Decode unmarshals the payload's JSON into v.
func (r *Result) Decode(v any) error {
	if err := json.Unmarshal(r.Payload, v); err != nil {
		return fmt.Errorf("chain: decode result of tx %s into %T: %w", r.TxID, v, err)
	}
	return nil
}

// Submit sends the transaction to the ordering service and waits for its
// commit. The error is an *Error at StepSubmit or StepCommitStatus when the
// outcome is unknown, and at StepCommit when the transaction committed as
// invalid.
func (t *Transaction) Submit(ctx context.Context) (*Result, error) {
	timeouts := t.id.client.timeouts
	sctx, cancel := context.WithTimeout(ctx, timeouts.Submit)
	commit, err := t.tx.SubmitWithContext(sctx)
	cancel()
	if err != nil {
		return nil, newError(StepSubmit, t.ID(), t.chaincode, t.function, err)
	}
	cctx, cancel := context.WithTimeout(ctx, timeouts.CommitStatus)
	defer cancel()
	st, err := commit.StatusWithContext(cctx)
	if err != nil {
		return nil, newError(StepCommitStatus, t.ID(), t.chaincode, t.function, err)
	}
	if !st.Successful {
		e := newError(StepCommit, t.ID(), t.chaincode, t.function,
			fmt.Errorf("transaction %s committed as %s in block %d", t.ID(), st.Code, st.BlockNumber))
		e.Validation = st.Code
		return nil, e
	}
	return &Result{TxID: t.ID(), Block: st.BlockNumber, Payload: t.tx.Result(), Attempts: 1}, nil
}

// Transaction rebuilds a transaction from the bytes of Transaction.Bytes, to
// send it again. It must have been endorsed for this identity: the
// transaction is signed again with the identity's key.
func (id *Identity) Transaction(envelope []byte) (*Transaction, error) {
	tx, err := id.gw.NewTransaction(envelope)
	if err != nil {
		return nil, fmt.Errorf("chain: stored transaction: %w", err)
	}
	chaincode, function := describeEnvelope(envelope)
	return &Transaction{id: id, chaincode: chaincode, function: function, tx: tx}, nil
}

// describeEnvelope reads the chaincode and function a stored transaction
// invokes, for error messages; it returns empty names for anything it cannot
// parse.
func describeEnvelope(b []byte) (chaincode, function string) {
	var prepared gateway.PreparedTransaction
	var payload common.Payload
	var tx peer.Transaction
	var action peer.ChaincodeActionPayload
	var proposal peer.ChaincodeProposalPayload
	var spec peer.ChaincodeInvocationSpec
	if proto.Unmarshal(b, &prepared) != nil ||
		proto.Unmarshal(prepared.GetEnvelope().GetPayload(), &payload) != nil ||
		proto.Unmarshal(payload.GetData(), &tx) != nil || len(tx.GetActions()) == 0 ||
		proto.Unmarshal(tx.GetActions()[0].GetPayload(), &action) != nil ||
		proto.Unmarshal(action.GetChaincodeProposalPayload(), &proposal) != nil ||
		proto.Unmarshal(proposal.GetInput(), &spec) != nil {
		return "", ""
	}
	chaincode = spec.GetChaincodeSpec().GetChaincodeId().GetName()
	if args := spec.GetChaincodeSpec().GetInput().GetArgs(); len(args) > 0 {
		function = string(args[0])
	}
	return chaincode, function
}
