package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
)

// Submit sends a signed, endorsed transaction to the ordering service. It
// returns once the orderer has accepted it; CommitStatus tells when it commits.
func (s *Server) Submit(ctx context.Context, req *gp.SubmitRequest) (*gp.SubmitResponse, error) {
	start := time.Now()
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "a submit request is required")
	}
	txn := req.GetPreparedTransaction()
	if txn == nil {
		return nil, status.Error(codes.InvalidArgument, "a prepared transaction is required")
	}
	if len(txn.GetSignature()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "prepared transaction must be signed")
	}
	ch, ok := s.channel(req.GetChannelId())
	if !ok {
		return nil, status.Errorf(codes.FailedPrecondition, "failed to get config for channel [%s]: could not get last config for channel %s", req.GetChannelId(), req.GetChannelId())
	}
	if st, info := s.broadcast(ch, txn); st != common.Status_SUCCESS {
		msg := fmt.Sprintf("received unsuccessful response from orderer: status=%s, info=%s", common.Status_name[int32(st)], info)
		if st >= 400 && st < 500 {
			return nil, rpcError(codes.Aborted, msg)
		}
		return nil, rpcError(codes.Unavailable, "no orderers could successfully process transaction", s.errorDetail(s.cfg.OrdererMSP, msg))
	}
	s.observe("submit", start)
	return &gp.SubmitResponse{}, nil
}

// broadcast plays the orderer's Broadcast handler: the channel's message
// processor checks the envelope and its signature against the Writers policy
// before the envelope is enqueued. It returns the orderer's status and info.
func (s *Server) broadcast(ch *Channel, env *common.Envelope) (common.Status, string) {
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil {
		return common.Status_BAD_REQUEST, fmt.Sprintf("bad payload: %v", err)
	}
	if payload.GetHeader() == nil {
		return common.Status_BAD_REQUEST, "missing header"
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return common.Status_BAD_REQUEST, fmt.Sprintf("bad channel header: %v", err)
	}
	if chdr.GetChannelId() != ch.Name {
		return common.Status_NOT_FOUND, fmt.Sprintf("channel does not exist: %s", chdr.GetChannelId())
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), shdr); err != nil {
		return common.Status_BAD_REQUEST, fmt.Sprintf("bad signature header: %v", err)
	}
	const denied = "SigFilter evaluation failed: implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied: permission denied"
	if err := ch.Members.Verify(shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return common.Status_FORBIDDEN, denied
	}
	if checkWriter(ch.Members, ch.Name, shdr.GetCreator()) != nil {
		return common.Status_FORBIDDEN, denied
	}
	switch err := ch.Ledger.Broadcast(env); {
	case err == nil:
		return common.Status_SUCCESS, ""
	case errors.Is(err, ledger.ErrBadEnvelope):
		return common.Status_BAD_REQUEST, err.Error()
	case errors.Is(err, ledger.ErrWrongChannel):
		return common.Status_NOT_FOUND, err.Error()
	default:
		return common.Status_SERVICE_UNAVAILABLE, err.Error()
	}
}
