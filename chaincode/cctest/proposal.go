package cctest

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kaiban-platform/kaiban/chaincode/txsim"
)

// signer is a Creator that can also sign proposals, like *Identity.
type signer interface {
	Sign(msg []byte) ([]byte, error)
}

// signedProposal builds the proposal a Fabric client (fabric-gateway, protoutil) sends
// for an invocation, signed by creator when it can sign, so the chaincode sees a real
// proposal, binding and transaction ID.
func signedProposal(channel, chaincode string, args [][]byte, transient map[string][]byte,
	creatorBytes []byte, creator Creator, ts time.Time, nonce []byte,
) (*peer.SignedProposal, error) {
	cis, err := proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type:        peer.ChaincodeSpec_GOLANG,
		ChaincodeId: &peer.ChaincodeID{Name: chaincode},
		Input:       &peer.ChaincodeInput{Args: args},
	}})
	if err != nil {
		return nil, fmt.Errorf("marshal invocation spec: %w", err)
	}
	ext, err := proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: chaincode}})
	if err != nil {
		return nil, fmt.Errorf("marshal header extension: %w", err)
	}
	payload, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: cis, TransientMap: transient})
	if err != nil {
		return nil, fmt.Errorf("marshal proposal payload: %w", err)
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(common.HeaderType_ENDORSER_TRANSACTION),
		ChannelId: channel,
		TxId:      txsim.ComputeTxID(nonce, creatorBytes),
		Timestamp: timestamp(ts),
		Extension: ext,
	})
	if err != nil {
		return nil, fmt.Errorf("marshal channel header: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: creatorBytes, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("marshal signature header: %w", err)
	}
	hdr, err := proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr})
	if err != nil {
		return nil, fmt.Errorf("marshal header: %w", err)
	}
	propBytes, err := proto.Marshal(&peer.Proposal{Header: hdr, Payload: payload})
	if err != nil {
		return nil, fmt.Errorf("marshal proposal: %w", err)
	}
	sp := &peer.SignedProposal{ProposalBytes: propBytes}
	if s, ok := creator.(signer); ok {
		if sp.Signature, err = s.Sign(propBytes); err != nil {
			return nil, err
		}
	}
	return sp, nil
}

func timestamp(t time.Time) *timestamppb.Timestamp {
	return timestamppb.New(t)
}

func kvWrite(key string, value []byte) *kvrwset.KVRWSet {
	return &kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: key, Value: value, IsDelete: len(value) == 0}}}
}
