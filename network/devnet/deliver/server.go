package deliver

import (
	"context"
	"errors"
	"io"
	"math"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	ab "github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Verifier checks that a creator is a valid identity of the channel and sig its
// signature over msg; *msp.Verifier implements it.
type Verifier interface {
	Verify(creator, msg, sig []byte) error
}

// Channel is one channel the deliver service serves.
type Channel struct {
	Ledger  Source
	Members Verifier
}

// Server implements peer.DeliverServer.
type Server struct {
	peer.UnimplementedDeliverServer
	channels map[string]*Channel
}

// NewServer returns a deliver service for channels, by name.
func NewServer(channels map[string]*Channel) *Server {
	return &Server{channels: channels}
}

// Deliver streams full blocks.
func (s *Server) Deliver(stream peer.Deliver_DeliverServer) error {
	return s.serve(stream.Context(), stream.Recv, func(channel string, b *common.Block) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Block{Block: b}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// DeliverFiltered streams filtered blocks: transaction IDs, types, validation
// codes and chaincode events without payloads.
func (s *Server) DeliverFiltered(stream peer.Deliver_DeliverFilteredServer) error {
	return s.serve(stream.Context(), stream.Recv, func(channel string, b *common.Block) error {
		fb, err := Filter(channel, b)
		if err != nil {
			return err
		}
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_FilteredBlock{FilteredBlock: fb}})
	}, func(st common.Status) error {
		return stream.Send(&peer.DeliverResponse{Type: &peer.DeliverResponse_Status{Status: st}})
	})
}

// DeliverWithPrivateData is not offered: devnet has no private data.
func (s *Server) DeliverWithPrivateData(peer.Deliver_DeliverWithPrivateDataServer) error {
	return status.Error(codes.Unimplemented, "devnet does not support private data")
}

// serve answers the seek requests of one stream in turn, as Fabric's deliver
// handler does: each request gets its blocks and then a status.
func (s *Server) serve(ctx context.Context, recv func() (*common.Envelope, error), send func(string, *common.Block) error, sendStatus func(common.Status) error) error {
	for {
		env, err := recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		st, err := s.deliverBlocks(ctx, env, send)
		if err != nil {
			return err
		}
		if err := sendStatus(st); err != nil {
			return err
		}
	}
}

// deliverBlocks serves one seek request and returns the status that ends it.
func (s *Server) deliverBlocks(ctx context.Context, env *common.Envelope, send func(string, *common.Block) error) (common.Status, error) {
	payload := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), payload); err != nil || payload.GetHeader() == nil {
		return common.Status_BAD_REQUEST, nil
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	ch, ok := s.channels[chdr.GetChannelId()]
	if !ok {
		return common.Status_NOT_FOUND, nil
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(payload.GetHeader().GetSignatureHeader(), shdr); err != nil {
		return common.Status_BAD_REQUEST, nil
	}
	if err := ch.Members.Verify(shdr.GetCreator(), env.GetPayload(), env.GetSignature()); err != nil {
		return common.Status_FORBIDDEN, nil
	}
	seek := &ab.SeekInfo{}
	if err := proto.Unmarshal(payload.GetData(), seek); err != nil || seek.GetStart() == nil || seek.GetStop() == nil {
		return common.Status_BAD_REQUEST, nil
	}
	height := ch.Ledger.Height()
	start, ok := position(seek.GetStart(), height, true)
	if !ok {
		return common.Status_BAD_REQUEST, nil
	}
	stop, ok := position(seek.GetStop(), height, false)
	if !ok || stop < start {
		return common.Status_BAD_REQUEST, nil
	}
	for n := start; n <= stop; {
		height, next := ch.Ledger.Watch()
		if n >= height {
			if seek.GetBehavior() == ab.SeekInfo_FAIL_IF_NOT_READY {
				return common.Status_NOT_FOUND, nil
			}
			select {
			case <-ctx.Done():
				return 0, status.FromContextError(ctx.Err()).Err()
			case <-next:
				if h, _ := ch.Ledger.Watch(); h <= n {
					return common.Status_SERVICE_UNAVAILABLE, nil
				}
			}
			continue
		}
		b, err := ch.Ledger.Block(n)
		if err != nil {
			return common.Status_INTERNAL_SERVER_ERROR, nil
		}
		if err := send(chdr.GetChannelId(), b); err != nil {
			return 0, err
		}
		if n == math.MaxUint64 {
			break
		}
		n++
	}
	return common.Status_SUCCESS, nil
}

// position resolves a seek position against the current height. NextCommit and
// Newest as a start mean the next block and the last block; Oldest is block 0.
func position(p *ab.SeekPosition, height uint64, isStart bool) (uint64, bool) {
	switch t := p.GetType().(type) {
	case *ab.SeekPosition_Oldest:
		return 0, true
	case *ab.SeekPosition_Newest:
		return height - 1, true
	case *ab.SeekPosition_Specified:
		return t.Specified.GetNumber(), true
	case *ab.SeekPosition_NextCommit:
		if isStart {
			return height, true
		}
		return math.MaxUint64, true
	}
	return 0, false
}
