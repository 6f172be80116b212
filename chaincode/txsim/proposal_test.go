package txsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type proposalParts struct {
	headerType common.HeaderType
	txID       string
	chaincode  string
	epoch      uint64
}

func buildProposal(t *testing.T, p proposalParts, nonce, creator []byte) *peer.SignedProposal {
	t.Helper()
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cis := must(proto.Marshal(&peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		ChaincodeId: &peer.ChaincodeID{Name: p.chaincode},
		Input:       &peer.ChaincodeInput{Args: [][]byte{[]byte("Fn"), []byte("a")}, Decorations: map[string][]byte{"d": []byte("1")}},
	}}))
	ext := must(proto.Marshal(&peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: p.chaincode}}))
	payload := must(proto.Marshal(&peer.ChaincodeProposalPayload{Input: cis, TransientMap: map[string][]byte{"k": []byte("secret")}}))
	chdr := must(proto.Marshal(&common.ChannelHeader{
		Type: int32(p.headerType), ChannelId: "ch1", TxId: p.txID, Epoch: p.epoch,
		Timestamp: timestamppb.New(testTime), Extension: ext,
	}))
	shdr := must(proto.Marshal(&common.SignatureHeader{Creator: creator, Nonce: nonce}))
	hdr := must(proto.Marshal(&common.Header{ChannelHeader: chdr, SignatureHeader: shdr}))
	return &peer.SignedProposal{ProposalBytes: must(proto.Marshal(&peer.Proposal{Header: hdr, Payload: payload})), Signature: []byte("sig")}
}

func TestParseSignedProposal_Valid(t *testing.T) {
	nonce, creator := []byte("nonce"), []byte("creator")
	txID := ComputeTxID(nonce, creator)
	sp := buildProposal(t, proposalParts{common.HeaderType_ENDORSER_TRANSACTION, txID, "asset", 7}, nonce, creator)
	p, err := ParseSignedProposal(sp)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte("nonce"), creator...), binary.LittleEndian.AppendUint64(nil, 7)...))
	switch {
	case p.ChaincodeName != "asset", p.Context.ChannelID != "ch1", p.Context.TxID != txID:
		t.Fatalf("names = %q %q %q", p.ChaincodeName, p.Context.ChannelID, p.Context.TxID)
	case !slices.EqualFunc(p.Args, [][]byte{[]byte("Fn"), []byte("a")}, bytes.Equal):
		t.Fatalf("args = %q", p.Args)
	case !bytes.Equal(p.Context.Creator, creator), string(p.Context.Transient["k"]) != "secret":
		t.Fatalf("creator/transient = %q %q", p.Context.Creator, p.Context.Transient)
	case !bytes.Equal(p.Context.Binding, sum[:]):
		t.Fatalf("binding = %x, want %x", p.Context.Binding, sum)
	case !p.Context.Timestamp.AsTime().Equal(testTime), string(p.Context.Decorations["d"]) != "1", p.Context.SignedProposal != sp:
		t.Fatalf("context = %+v", p.Context)
	}
}

func TestParseSignedProposal_Rejects(t *testing.T) {
	nonce, creator := []byte("nonce"), []byte("creator")
	txID := ComputeTxID(nonce, creator)
	tests := map[string]*peer.SignedProposal{
		"nil":               nil,
		"garbage":           {ProposalBytes: []byte{0xff}},
		"no header":         {ProposalBytes: []byte{}},
		"wrong tx id":       buildProposal(t, proposalParts{common.HeaderType_ENDORSER_TRANSACTION, "forged", "asset", 0}, nonce, creator),
		"config type":       buildProposal(t, proposalParts{common.HeaderType_CONFIG, txID, "asset", 0}, nonce, creator),
		"no chaincode name": buildProposal(t, proposalParts{common.HeaderType_ENDORSER_TRANSACTION, txID, "", 0}, nonce, creator),
	}
	for name, sp := range tests {
		if _, err := ParseSignedProposal(sp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
