package loadtest

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Puts writes a new key per transaction through the anchor's one-PutState
// chaincode (internal/putstate): Put(key, value), nothing read, so no two
// transactions conflict.
type Puts struct {
	// Contract is the putstate chaincode as the client.
	Contract *client.Contract

	seq atomic.Int64
}

// PutCommitted writes the next key: endorse, submit, wait for the commit;
// an error also when the transaction was committed invalid.
func (p *Puts) PutCommitted(ctx context.Context) error {
	n := p.seq.Add(1)
	_, commit, err := p.Contract.SubmitAsyncWithContext(ctx, "Put",
		client.WithArguments(fmt.Sprintf("key-%d", n), fmt.Sprintf("value of key %d", n)))
	if err != nil {
		return err
	}
	st, err := commit.StatusWithContext(ctx)
	if err == nil && !st.Successful {
		err = fmt.Errorf("put transaction %s committed invalid: %s", st.TransactionID, st.Code)
	}
	return err
}

// Get evaluates a read of the first key, which PutCommitted wrote first.
func (p *Puts) Get(ctx context.Context) error {
	_, err := p.Contract.EvaluateWithContext(ctx, "Get", client.WithArguments("key-1"))
	return err
}
