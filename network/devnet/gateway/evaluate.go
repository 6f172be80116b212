package gateway

import (
	"context"
	"fmt"
	"slices"
	"time"

	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Evaluate runs a transaction function on the gateway's peer without ordering it
// and returns the chaincode's response.
func (s *Server) Evaluate(ctx context.Context, req *gp.EvaluateRequest) (*gp.EvaluateResponse, error) {
	start := time.Now()
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "an evaluate request is required")
	}
	p, err := unpackProposal(req.GetProposedTransaction())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "failed to unpack transaction proposal: %s", err)
	}
	channel := p.chdr.GetChannelId()
	ch, ok := s.channel(channel)
	if !ok {
		return nil, status.Errorf(codes.Unavailable, "failed to get config for channel [%s]: could not get last config for channel %s", channel, channel)
	}
	chaincode := p.spec.GetChaincodeId().GetName()
	mspID, ok := s.evaluator(ch, chaincode, req.GetTargetOrganizations())
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "no peers available to evaluate chaincode %s in channel %s", chaincode, channel)
	}
	if err := p.checkForPeer(ch); err != nil {
		msg := err.Error()
		return nil, rpcError(codes.FailedPrecondition, "evaluate call to endorser returned error: "+msg, s.errorDetail(mspID, msg))
	}
	sim, err := p.simulate(ch, false)
	if err != nil {
		msg := err.Error()
		return nil, rpcError(codes.Aborted, "failed to evaluate transaction, see attached details for more info", s.errorDetail(mspID, msg))
	}
	if res := sim.response; res.GetStatus() < 200 || res.GetStatus() >= 400 {
		msg := chaincodeFailure(res)
		return nil, rpcError(codes.Unknown, "evaluate call to endorser returned error: "+msg, s.errorDetail(mspID, msg))
	}
	s.observe("evaluate", start)
	return &gp.EvaluateResponse{Result: &peer.Response{
		Status:  sim.response.GetStatus(),
		Message: sim.response.GetMessage(),
		Payload: sim.response.GetPayload(),
	}}, nil
}

// evaluator picks the organisation whose peer evaluates: the local one unless
// the client restricts the choice, then the first target with a peer.
func (s *Server) evaluator(ch *Channel, chaincode string, targets []string) (string, bool) {
	if _, ok := ch.Chaincodes.Chaincode(chaincode); !ok {
		return "", false
	}
	if len(targets) == 0 || slices.Contains(targets, s.cfg.LocalMSPID) {
		if ch.Peers[s.cfg.LocalMSPID] != nil {
			return s.cfg.LocalMSPID, true
		}
	}
	for _, t := range targets {
		if ch.Peers[t] != nil {
			return t, true
		}
	}
	return "", false
}

func notFoundChaincode(chaincode, channel string) string {
	return fmt.Sprintf("No metadata was found for chaincode %s in channel %s", chaincode, channel)
}
