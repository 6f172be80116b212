package gateway

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// simulation is the outcome of running a proposal's chaincode.
type simulation struct {
	response *peer.Response
	// payload is the marshalled ProposalResponsePayload; set only by endorse.
	payload []byte
}

// simulate runs the proposal's chaincode against a snapshot of committed state.
// With endorse set it also builds the ProposalResponsePayload a peer signs
// (ProcessProposalSuccessfullyOrError in Fabric's core/endorser). An error is a
// failure of the peer itself, not of the chaincode.
func (p *proposal) simulate(ch *Channel, endorse bool) (*simulation, error) {
	snap, err := ch.Ledger.Snapshot()
	if err != nil {
		return nil, err
	}
	defer snap.Close()
	sim := txsim.New(snap, txsim.Context{
		ChannelID:      p.chdr.GetChannelId(),
		TxID:           p.chdr.GetTxId(),
		Timestamp:      p.chdr.GetTimestamp(),
		Creator:        p.shdr.GetCreator(),
		Transient:      p.payload.GetTransientMap(),
		Binding:        binding(p.shdr.GetNonce(), p.shdr.GetCreator(), p.chdr.GetEpoch()),
		SignedProposal: p.signed,
	}, ch.Chaincodes)
	res := sim.Invoke(p.chaincode, p.spec.GetInput().GetArgs())
	out := &simulation{response: res}
	if !endorse || res.GetStatus() >= 400 {
		return out, nil
	}
	rwset, err := sim.ReadWriteSet()
	if err != nil {
		return nil, fmt.Errorf("error in simulation: %w", err)
	}
	results, err := proto.Marshal(rwset)
	if err != nil {
		return nil, fmt.Errorf("error in simulation: %w", err)
	}
	var events []byte
	if ev := sim.Event(); ev != nil {
		if events, err = proto.Marshal(ev); err != nil {
			return nil, fmt.Errorf("failed to marshal chaincode event: %w", err)
		}
	}
	action, err := proto.Marshal(&peer.ChaincodeAction{
		Results:     results,
		Events:      events,
		Response:    res,
		ChaincodeId: &peer.ChaincodeID{Name: p.chaincode, Version: ch.version()},
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create the proposal response: %w", err)
	}
	out.payload, err = proto.Marshal(&peer.ProposalResponsePayload{ProposalHash: p.hash, Extension: action})
	if err != nil {
		return nil, fmt.Errorf("failed to create the proposal response: %w", err)
	}
	return out, nil
}

// chaincodeFailure is the gateway's message for a chaincode error response
// (responseStatus in Fabric's internal/pkg/gateway).
func chaincodeFailure(res *peer.Response) string {
	return fmt.Sprintf("chaincode response %d, %s", res.GetStatus(), res.GetMessage())
}
