package chain

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
)

// Contract is a chaincode as seen by one identity.
type Contract struct {
	id       *Identity
	name     string
	contract *client.Contract
}

// Name returns the chaincode's deployed name.
func (c *Contract) Name() string { return c.name }

// Identity returns the identity the contract calls as.
func (c *Contract) Identity() *Identity { return c.id }

// CallOption sets what a call sends besides its function name.
type CallOption func(*[]client.ProposalOption)

// WithArguments passes string arguments to the transaction function.
func WithArguments(args ...string) CallOption {
	return func(o *[]client.ProposalOption) { *o = append(*o, client.WithArguments(args...)) }
}

// WithBytesArguments passes byte arguments to the transaction function.
func WithBytesArguments(args ...[]byte) CallOption {
	return func(o *[]client.ProposalOption) { *o = append(*o, client.WithBytesArguments(args...)) }
}

// WithTransient passes transient data: seen by the endorsing chaincode, never
// written to the transaction or the ledger (authorization codes travel so).
func WithTransient(data map[string][]byte) CallOption {
	return func(o *[]client.ProposalOption) { *o = append(*o, client.WithTransient(data)) }
}

// WithEndorsingOrganizations chooses the organisations whose peers endorse,
// instead of the gateway's choice from the endorsement policy.
func WithEndorsingOrganizations(mspIDs ...string) CallOption {
	return func(o *[]client.ProposalOption) { *o = append(*o, client.WithEndorsingOrganizations(mspIDs...)) }
}

func proposalOptions(opts []CallOption) []client.ProposalOption {
	var po []client.ProposalOption
	for _, o := range opts {
		o(&po)
	}
	return po
}

// Evaluate runs a query function on a peer and returns its result. Nothing is
// ordered or written.
func (c *Contract) Evaluate(ctx context.Context, function string, opts ...CallOption) ([]byte, error) {
	p, err := c.contract.NewProposal(function, proposalOptions(opts)...)
	if err != nil {
		return nil, newError(StepEvaluate, "", c.name, function, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.id.client.timeouts.Evaluate)
	defer cancel()
	out, err := p.EvaluateWithContext(ctx)
	if err != nil {
		return nil, newError(StepEvaluate, p.TransactionID(), c.name, function, err)
	}
	return out, nil
}

// Endorse creates a transaction proposal with a new transaction ID and
// collects its endorsements. The endorsed transaction is not yet sent: the
// caller may store its bytes first (Transaction.Bytes), then Submit it.
func (c *Contract) Endorse(ctx context.Context, function string, opts ...CallOption) (*Transaction, error) {
	p, err := c.contract.NewProposal(function, proposalOptions(opts)...)
	if err != nil {
		return nil, newError(StepEndorse, "", c.name, function, err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.id.client.timeouts.Endorse)
	defer cancel()
	tx, err := p.EndorseWithContext(ctx)
	if err != nil {
		return nil, newError(StepEndorse, p.TransactionID(), c.name, function, err)
	}
	return &Transaction{id: c.id, chaincode: c.name, function: function, tx: tx}, nil
}

// Submit endorses a transaction, sends it to the ordering service and waits
// for its commit. A transaction invalidated by an MVCC or phantom read
// conflict wrote nothing; Submit endorses it again, under a new transaction
// ID, up to Config.ConflictRetries times with a short random backoff.
func (c *Contract) Submit(ctx context.Context, function string, opts ...CallOption) (*Result, error) {
	for attempt := 1; ; attempt++ {
		tx, err := c.Endorse(ctx, function, opts...)
		if err != nil {
			return nil, err
		}
		res, err := tx.Submit(ctx)
		if err == nil {
			res.Attempts = attempt
			return res, nil
		}
		var ce *Error
		if !errors.As(err, &ce) || !ce.Conflict() || attempt > c.id.client.retries {
			return nil, err
		}
		if sleep(ctx, conflictBackoff(attempt)) != nil {
			return nil, err
		}
	}
}

// conflictBackoff spreads the retries of transactions that conflicted with
// each other so that they do not meet in the next block again.
func conflictBackoff(attempt int) time.Duration {
	base := 20 * time.Millisecond << min(attempt-1, 5)
	return base/2 + rand.N(base)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
