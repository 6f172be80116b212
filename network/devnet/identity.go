package devnet

import (
	"errors"
	"fmt"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// ordererSigner gives the orderer's signing identity the shape ledger.Signer wants.
type ordererSigner struct{ id *msp.SigningIdentity }

func (s ordererSigner) Serialize() ([]byte, error) { return s.id.Serialize(), nil }
func (s ordererSigner) Sign(msg []byte) ([]byte, error) {
	return s.id.Sign(msg)
}

// channelPolicy is the endorsement policy of every chaincode of a channel, in
// the shape ledger.EndorsementPolicy wants.
type channelPolicy struct {
	members    *msp.Verifier
	policy     msp.EndorsementPolicy
	chaincodes txsim.Registry
}

func (p channelPolicy) Evaluate(ns string, endorsers [][]byte) error {
	if _, ok := p.chaincodes.Chaincode(ns); !ok {
		return fmt.Errorf("%w: %s", ledger.ErrUnknownNamespace, ns)
	}
	ids := make([]*msp.Identity, 0, len(endorsers))
	var errs []error
	for _, e := range endorsers {
		id, err := p.members.Deserialize(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, id)
	}
	if err := p.policy.Satisfied(ids); err != nil {
		return errors.Join(append([]error{err}, errs...)...)
	}
	return nil
}
