package txsim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Proposal is a chaincode proposal unpacked the way a peer and the shim unpack it.
type Proposal struct {
	Context       Context
	ChaincodeName string
	// Args are the chaincode input arguments, function name first.
	Args   [][]byte
	IsInit bool
}

// ParseSignedProposal unpacks sp into the transaction context the chaincode sees and
// the invocation it asks for. It checks what the endorser and shim check about the
// proposal's structure: an endorser transaction header, a chaincode name, and a
// transaction ID equal to hex(SHA-256(nonce || creator)). It does not verify the
// signature or the creator; that is the caller's policy.
func ParseSignedProposal(sp *peer.SignedProposal) (*Proposal, error) {
	if sp == nil {
		return nil, errors.New("parse proposal: signed proposal is nil")
	}
	prop := &peer.Proposal{}
	if err := proto.Unmarshal(sp.ProposalBytes, prop); err != nil {
		return nil, fmt.Errorf("parse proposal: %w", err)
	}
	if len(prop.Header) == 0 {
		return nil, errors.New("parse proposal: proposal header is nil")
	}
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.Header, hdr); err != nil {
		return nil, fmt.Errorf("parse proposal header: %w", err)
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(hdr.ChannelHeader, chdr); err != nil {
		return nil, fmt.Errorf("parse proposal channel header: %w", err)
	}
	if common.HeaderType(chdr.Type) != common.HeaderType_ENDORSER_TRANSACTION {
		return nil, fmt.Errorf("parse proposal: header type %s is not %s", common.HeaderType(chdr.Type), common.HeaderType_ENDORSER_TRANSACTION)
	}
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.SignatureHeader, shdr); err != nil {
		return nil, fmt.Errorf("parse proposal signature header: %w", err)
	}
	if want := ComputeTxID(shdr.Nonce, shdr.Creator); chdr.TxId != want {
		return nil, fmt.Errorf("parse proposal: transaction ID %q does not match nonce and creator (want %q)", chdr.TxId, want)
	}
	ext := &peer.ChaincodeHeaderExtension{}
	if err := proto.Unmarshal(chdr.Extension, ext); err != nil {
		return nil, fmt.Errorf("parse proposal header extension: %w", err)
	}
	if ext.GetChaincodeId().GetName() == "" {
		return nil, errors.New("parse proposal: no chaincode name in header extension")
	}
	payload := &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.Payload, payload); err != nil {
		return nil, fmt.Errorf("parse proposal payload: %w", err)
	}
	cis := &peer.ChaincodeInvocationSpec{}
	if err := proto.Unmarshal(payload.Input, cis); err != nil {
		return nil, fmt.Errorf("parse proposal invocation spec: %w", err)
	}
	input := cis.GetChaincodeSpec().GetInput()
	return &Proposal{
		Context: Context{
			ChannelID:      chdr.ChannelId,
			TxID:           chdr.TxId,
			Timestamp:      chdr.Timestamp,
			Creator:        shdr.Creator,
			Transient:      payload.TransientMap,
			Binding:        ComputeBinding(shdr.Nonce, shdr.Creator, chdr.Epoch),
			Decorations:    input.GetDecorations(),
			SignedProposal: sp,
		},
		ChaincodeName: ext.ChaincodeId.Name,
		Args:          input.GetArgs(),
		IsInit:        input.GetIsInit(),
	}, nil
}

// ComputeTxID returns the transaction ID Fabric requires for a nonce and creator:
// hex(SHA-256(nonce || creator)).
func ComputeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// ComputeBinding returns the proposal binding the shim computes:
// SHA-256(nonce || creator || epoch as 8 little-endian bytes).
func ComputeBinding(nonce, creator []byte, epoch uint64) []byte {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	var e [8]byte
	binary.LittleEndian.PutUint64(e[:], epoch)
	h.Write(e[:])
	return h.Sum(nil)
}
