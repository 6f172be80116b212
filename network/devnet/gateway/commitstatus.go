package gateway

import (
	"context"
	"errors"
	"fmt"

	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// CommitStatus returns the validation code and block number of a submitted
// transaction, waiting for its block to commit.
func (s *Server) CommitStatus(ctx context.Context, signed *gp.SignedCommitStatusRequest) (*gp.CommitStatusResponse, error) {
	if len(signed.GetRequest()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "a commit status request is required")
	}
	req := &gp.CommitStatusRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "invalid status request: %v", err)
	}
	switch {
	case req.GetIdentity() == nil:
		return nil, status.Error(codes.InvalidArgument, "no identity provided")
	case req.GetChannelId() == "":
		return nil, status.Error(codes.InvalidArgument, "no channel ID provided")
	case req.GetTransactionId() == "":
		return nil, status.Error(codes.InvalidArgument, "transaction ID should not be empty")
	}
	ch, err := s.checkReader(req.GetChannelId(), req.GetIdentity(), signed.GetRequest(), signed.GetSignature())
	if err != nil {
		return nil, err
	}
	st, err := ch.Ledger.WaitForTx(ctx, req.GetTransactionId())
	if err != nil {
		return nil, toRPCError(err, codes.Aborted)
	}
	return &gp.CommitStatusResponse{Result: st.Code, BlockNumber: st.BlockNumber}, nil
}

// checkReader is the gateway's ACL check of a signed request against the
// channel's Readers policy; any failure is PermissionDenied.
func (s *Server) checkReader(channel string, identity, msg, sig []byte) (*Channel, error) {
	ch, ok := s.channel(channel)
	if !ok {
		return nil, status.Errorf(codes.PermissionDenied, "Failed to get policy manager for channel [%s]", channel)
	}
	if err := ch.Members.VerifyOnce(identity, msg, sig); err != nil {
		return nil, status.Error(codes.PermissionDenied, readersDenied(channel, err))
	}
	return ch, nil
}

func readersDenied(channel string, err error) string {
	reason := "implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Readers' sub-policies to be satisfied"
	if err != nil && (errors.Is(err, msp.ErrUnknownOrg) || errors.Is(err, msp.ErrMalformed)) {
		reason = "failed deserializing signed data identity: " + err.Error()
	}
	return fmt.Sprintf("failed evaluating policy on signed data during check policy on channel [%s] with policy [/Channel/Application/Readers]: [%s]", channel, reason)
}

// toRPCError keeps a gRPC or context status and gives other errors code.
func toRPCError(err error, code codes.Code) error {
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	if st := status.FromContextError(err); st.Code() != codes.Unknown {
		return st.Err()
	}
	return status.Error(code, err.Error())
}
