package gateway

import (
	"errors"
	"io"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	gp "github.com/hyperledger/fabric-protos-go-apiv2/gateway"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/devnet/deliver"
)

// ChaincodeEvents streams the events of one chaincode from valid transactions,
// block by block, from a start position or after a given transaction, with the
// resume semantics of Fabric's gateway: with AfterTransactionId found in the
// ledger, streaming starts at that transaction's block and skips every event up
// to and including that transaction's.
func (s *Server) ChaincodeEvents(signed *gp.SignedChaincodeEventsRequest, stream gp.Gateway_ChaincodeEventsServer) error {
	if len(signed.GetRequest()) == 0 {
		return status.Error(codes.InvalidArgument, "a chaincode events request is required")
	}
	req := &gp.ChaincodeEventsRequest{}
	if err := proto.Unmarshal(signed.GetRequest(), req); err != nil {
		return status.Errorf(codes.InvalidArgument, "invalid chaincode events request: %v", err)
	}
	ch, err := s.checkReader(req.GetChannelId(), req.GetIdentity(), signed.GetRequest(), signed.GetSignature())
	if err != nil {
		return err
	}
	start, err := eventsStartBlock(ch, req)
	if err != nil {
		return err
	}
	match := eventMatcher(req)
	err = deliver.Follow(stream.Context(), ch.Ledger, start, func(block *common.Block) (bool, error) {
		txs, err := deliver.Transactions(block)
		if err != nil {
			return false, status.Error(codes.Aborted, err.Error())
		}
		var events []*peer.ChaincodeEvent
		for _, tx := range txs {
			if tx.Code != peer.TxValidationCode_VALID {
				continue
			}
			for _, ev := range tx.Events {
				if ev.GetEventName() != "" && ev.GetTxId() != "" && match(ev) {
					events = append(events, ev)
				}
			}
		}
		if len(events) == 0 {
			return false, nil
		}
		err = stream.Send(&gp.ChaincodeEventsResponse{Events: events, BlockNumber: block.GetHeader().GetNumber()})
		if errors.Is(err, io.EOF) {
			return false, status.Error(codes.Canceled, err.Error())
		}
		return false, err
	})
	return toRPCError(err, codes.Aborted)
}

func eventsStartBlock(ch *Channel, req *gp.ChaincodeEventsRequest) (uint64, error) {
	if after := req.GetAfterTransactionId(); after != "" {
		if st, err := ch.Ledger.TxStatus(after); err == nil {
			return st.BlockNumber, nil
		}
	}
	switch seek := req.GetStartPosition().GetType().(type) {
	case nil, *ab.SeekPosition_NextCommit:
		return ch.Ledger.Height(), nil
	case *ab.SeekPosition_Specified:
		return seek.Specified.GetNumber(), nil
	default:
		return 0, status.Errorf(codes.InvalidArgument, "invalid start position type: %T", seek)
	}
}

// eventMatcher selects the requested chaincode's events, skipping everything up to
// and including the events of AfterTransactionId when one is given.
func eventMatcher(req *gp.ChaincodeEventsRequest) func(*peer.ChaincodeEvent) bool {
	chaincode := req.GetChaincodeId()
	after := req.GetAfterTransactionId()
	if after == "" {
		return func(ev *peer.ChaincodeEvent) bool { return ev.GetChaincodeId() == chaincode }
	}
	passed := false
	return func(ev *peer.ChaincodeEvent) bool {
		if !passed {
			passed = ev.GetTxId() == after
			return false
		}
		return ev.GetChaincodeId() == chaincode
	}
}
