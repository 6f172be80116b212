package gateway

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// Endorse simulates a proposal, has enough organisations' peers sign the result
// to satisfy the endorsement policy, and returns the prepared transaction
// envelope for the client to sign and submit.
func (s *Server) Endorse(ctx context.Context, req *gp.EndorseRequest) (*gp.EndorseResponse, error) {
	start := time.Now()
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an endorse request is required")
	}
	if len(req.GetProposedTransaction().GetProposalBytes()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "the proposed transaction must contain a signed proposal")
	}
	p, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	channel := p.chdr.GetChannelId()
	chaincode := p.spec.GetChaincodeId().GetName()
	ch, ok := s.channel(channel)
	if ok {
		_, ok = ch.Chaincodes.Chaincode(chaincode)
	}
	if !ok {
		return nil, status.Error(codes.FailedPrecondition, "no combination of peers can be derived which satisfy the endorsement policy: "+notFoundChaincode(chaincode, channel))
	}

	orgs := req.GetEndorsingOrganizations()
	chosen := len(orgs) > 0
	if chosen {
		var missing []string
		for _, o := range orgs {
			if ch.Peers[o] == nil {
				missing = append(missing, o)
			}
		}
		if len(missing) > 0 {
			return nil, status.Errorf(codes.Unavailable, "failed to find any endorsing peers for org(s): %s", strings.Join(missing, ", "))
		}
	} else {
		orgs = ch.endorsingOrgs(s.cfg.LocalMSPID)
	}

	// The peer's answer is the same for every endorsing organisation: devnet runs
	// the checks and the simulation once, then each organisation's peer signs.
	fail := func(msg string) error {
		if chosen {
			details := make([]proto.Message, 0, len(orgs))
			for _, o := range orgs {
				details = append(details, s.errorDetail(o, msg))
			}
			return rpcError(codes.Aborted, "failed to collect enough transaction endorsements, see attached details for more info", details...)
		}
		return rpcError(codes.Aborted, "failed to endorse transaction, see attached details for more info", s.errorDetail(orgs[0], msg))
	}
	if err := p.checkForPeer(ch); err != nil {
		return nil, fail(err.Error())
	}
	sim, err := p.simulate(ch, true)
	if err != nil {
		return nil, fail(err.Error())
	}
	if res := sim.response; res.GetStatus() < 200 || res.GetStatus() >= 400 {
		return nil, fail(chaincodeFailure(res))
	}

	endorsements := make([]*peer.Endorsement, 0, len(orgs))
	seen := map[string]bool{}
	// Each peer signs the response payload followed by its own identity.
	prefix := msp.NewPrefix(sim.payload)
	for _, o := range orgs {
		if seen[o] {
			continue
		}
		seen[o] = true
		signer := ch.Peers[o]
		id := signer.Serialized
		digest := prefix.Digest(id)
		sig, err := signer.SignDigest(&digest)
		if err != nil {
			return nil, fail(fmt.Sprintf("endorsing with plugin failed: %v", err))
		}
		endorsements = append(endorsements, &peer.Endorsement{Endorser: id, Signature: sig})
	}
	env, err := prepareTransaction(p.header, p.payload, &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: sim.payload,
		Endorsements:            endorsements,
	})
	if err != nil {
		return nil, status.Errorf(codes.Aborted, "failed to assemble transaction: %s", err)
	}
	s.observe("endorse", start)
	return &gp.EndorseResponse{PreparedTransaction: env}, nil
}

// prepareTransaction assembles the transaction envelope from the proposal and
// its endorsements as Fabric's gateway does: the proposal payload without its
// transient data, one action whose header is the proposal's signature header,
// and the proposal's header as the payload header. The client signs the payload.
func prepareTransaction(header *common.Header, payload *peer.ChaincodeProposalPayload, action *peer.ChaincodeEndorsedAction) (*common.Envelope, error) {
	cppBytes, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: payload.GetInput()})
	if err != nil {
		return nil, err
	}
	capBytes, err := proto.Marshal(&peer.ChaincodeActionPayload{ChaincodeProposalPayload: cppBytes, Action: action})
	if err != nil {
		return nil, err
	}
	txBytes, err := proto.Marshal(&peer.Transaction{Actions: []*peer.TransactionAction{{Header: header.GetSignatureHeader(), Payload: capBytes}}})
	if err != nil {
		return nil, err
	}
	payloadBytes, err := proto.Marshal(&common.Payload{Header: header, Data: txBytes})
	if err != nil {
		return nil, err
	}
	return &common.Envelope{Payload: payloadBytes}, nil
}
