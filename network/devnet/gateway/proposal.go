package gateway

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet/ledger"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// proposal is a signed proposal unpacked as a peer's endorser unpacks it.
type proposal struct {
	signed    *peer.SignedProposal
	header    *common.Header
	chdr      *common.ChannelHeader
	shdr      *common.SignatureHeader
	payload   *peer.ChaincodeProposalPayload
	spec      *peer.ChaincodeSpec
	chaincode string // from the chaincode header extension, which the peer runs
	hash      []byte
}

// unpackProposal parses a signed proposal with the checks of the gateway's
// getChannelAndChaincodeFromSignedProposal and the endorser's UnpackProposal;
// its errors carry the messages those functions give.
func unpackProposal(sp *peer.SignedProposal) (*proposal, error) {
	if len(sp.GetProposalBytes()) == 0 {
		return nil, errors.New("a signed proposal is required")
	}
	p := &proposal{signed: sp}
	prop := &peer.Proposal{}
	if err := proto.Unmarshal(sp.GetProposalBytes(), prop); err != nil {
		return nil, fmt.Errorf("error unmarshalling Proposal: %w", err)
	}
	p.header = &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), p.header); err != nil {
		return nil, fmt.Errorf("error unmarshalling Header: %w", err)
	}
	p.chdr = &common.ChannelHeader{}
	if err := proto.Unmarshal(p.header.GetChannelHeader(), p.chdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChannelHeader: %w", err)
	}
	p.shdr = &common.SignatureHeader{}
	if err := proto.Unmarshal(p.header.GetSignatureHeader(), p.shdr); err != nil {
		return nil, fmt.Errorf("error unmarshalling SignatureHeader: %w", err)
	}
	p.payload = &peer.ChaincodeProposalPayload{}
	if err := proto.Unmarshal(prop.GetPayload(), p.payload); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeProposalPayload: %w", err)
	}
	cis := &peer.ChaincodeInvocationSpec{}
	if err := proto.Unmarshal(p.payload.GetInput(), cis); err != nil {
		return nil, fmt.Errorf("error unmarshalling ChaincodeInvocationSpec: %w", err)
	}
	if p.chdr.GetChannelId() == "" {
		return nil, errors.New("no channel id provided")
	}
	p.spec = cis.GetChaincodeSpec()
	switch {
	case p.spec == nil:
		return nil, fmt.Errorf("no chaincode spec is provided, channel id [%s]", p.chdr.GetChannelId())
	case p.spec.GetChaincodeId() == nil:
		return nil, fmt.Errorf("no chaincode id is provided, channel id [%s]", p.chdr.GetChannelId())
	case p.spec.GetChaincodeId().GetName() == "":
		return nil, fmt.Errorf("no chaincode name is provided, channel id [%s]", p.chdr.GetChannelId())
	}
	return p, nil
}

// checkForPeer performs the checks a peer's endorser makes before it simulates
// (UnpackProposal, Validate and preProcess in Fabric's core/endorser). The error
// message is the one the peer returns, which the gateway puts in ErrorDetail.
func (p *proposal) checkForPeer(ch *Channel) error {
	if err := p.checkHeaderAndInput(); err != nil {
		return err
	}
	if err := p.validate(ch.Members); err != nil {
		return fmt.Errorf("error validating proposal: %w", err)
	}
	if _, err := ch.Ledger.TxStatus(p.chdr.GetTxId()); err == nil {
		return fmt.Errorf("duplicate transaction found [%s]. Creator [%x]", p.chdr.GetTxId(), p.shdr.GetCreator())
	} else if !errors.Is(err, ledger.ErrTxNotFound) {
		return err
	}
	return checkWriter(ch.Members, p.chdr.GetChannelId(), p.shdr.GetCreator())
}

// checkHeaderAndInput is the rest of the endorser's UnpackProposal: the chaincode
// header extension and input, and the proposal hash.
func (p *proposal) checkHeaderAndInput() error {
	ext := &peer.ChaincodeHeaderExtension{}
	if err := proto.Unmarshal(p.chdr.GetExtension(), ext); err != nil {
		return fmt.Errorf("error unmarshalling ChaincodeHeaderExtension: %w", err)
	}
	if ext.GetChaincodeId() == nil {
		return errors.New("ChaincodeHeaderExtension.ChaincodeId is nil")
	}
	if ext.GetChaincodeId().GetName() == "" {
		return errors.New("ChaincodeHeaderExtension.ChaincodeId.Name is empty")
	}
	p.chaincode = ext.GetChaincodeId().GetName()
	if p.spec.GetInput() == nil {
		return errors.New("chaincode input did not contain any input")
	}
	noTransient, err := proto.Marshal(&peer.ChaincodeProposalPayload{Input: p.payload.GetInput()})
	if err != nil {
		return fmt.Errorf("could not marshal non-transient portion of payload: %w", err)
	}
	h := sha256.New()
	h.Write(p.header.GetChannelHeader())
	h.Write(p.header.GetSignatureHeader())
	h.Write(noTransient)
	p.hash = h.Sum(nil)
	return nil
}

// validate is the endorser's UnpackedProposal.Validate.
func (p *proposal) validate(members *msp.Verifier) error {
	switch common.HeaderType(p.chdr.GetType()) {
	case common.HeaderType_ENDORSER_TRANSACTION, common.HeaderType_CONFIG:
	default:
		return fmt.Errorf("invalid header type %s", common.HeaderType(p.chdr.GetType()))
	}
	if p.chdr.GetEpoch() != 0 {
		return errors.New("epoch is non-zero")
	}
	if len(p.shdr.GetNonce()) == 0 {
		return errors.New("nonce is empty")
	}
	if len(p.shdr.GetCreator()) == 0 {
		return errors.New("creator is empty")
	}
	if want := computeTxID(p.shdr.GetNonce(), p.shdr.GetCreator()); p.chdr.GetTxId() != want {
		return fmt.Errorf("incorrectly computed txid '%s' -- expected '%s'", p.chdr.GetTxId(), want)
	}
	if len(p.signed.GetSignature()) == 0 {
		return errors.New("empty signature bytes")
	}
	return accessError(members, p.chdr.GetChannelId(), p.shdr.GetCreator(), p.signed.GetProposalBytes(), p.signed.GetSignature())
}

// accessError verifies creator and signature, with the endorser's messages: an
// identity that cannot be deserialized is "creator org unknown", any other
// failure (invalid or expired certificate, bad signature) a generic access denial.
func accessError(members *msp.Verifier, channel string, creator, msg, sig []byte) error {
	err := members.VerifyOnce(creator, msg, sig)
	if err == nil {
		return nil
	}
	if errors.Is(err, msp.ErrMalformed) || errors.Is(err, msp.ErrUnknownOrg) {
		return fmt.Errorf("access denied: channel [%s] creator org unknown, creator is malformed", channel)
	}
	return fmt.Errorf("access denied: channel [%s] creator org [%s]", channel, mspIDOf(creator))
}

// checkWriter applies the channel's Writers policy to a verified creator: as in
// Fabric's default channel configuration, only admin and client identities of a
// member organisation may transact.
func checkWriter(members *msp.Verifier, channel string, creator []byte) error {
	id, err := members.Deserialize(creator)
	if err == nil && (id.Role == cryptogen.RoleClient || id.Role == cryptogen.RoleAdmin) {
		return nil
	}
	return fmt.Errorf("failed evaluating policy on signed data during check policy on channel [%s] with policy [/Channel/Application/Writers]: [implicit policy evaluation failed - 0 sub-policies were satisfied, but this policy requires 1 of the 'Writers' sub-policies to be satisfied]", channel)
}

func mspIDOf(creator []byte) string {
	sid := &mspproto.SerializedIdentity{}
	if proto.Unmarshal(creator, sid) != nil {
		return ""
	}
	return sid.GetMspid()
}

// computeTxID is Fabric's transaction ID: hex SHA-256 of nonce and creator.
func computeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// binding is the proposal binding a chaincode reads with GetBinding: SHA-256 of
// nonce, creator and the epoch as 8 little-endian bytes.
func binding(nonce, creator []byte, epoch uint64) []byte {
	var e [8]byte
	binary.LittleEndian.PutUint64(e[:], epoch)
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	h.Write(e[:])
	return h.Sum(nil)
}
