package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// checkedTx is one transaction of a block after the checks that need no state, which
// run in parallel. It keeps apart the two stages of Fabric's txvalidator between which
// the ledger's duplicate check falls: a transaction that fails the envelope checks
// keeps that code even when its ID is a duplicate, one that fails only the
// endorsement checks is DUPLICATE_TXID first.
type checkedTx struct {
	// txID is the channel header's transaction ID, when the header parsed; the tx
	// index records it whatever the validation code.
	txID      string
	timestamp *timestamppb.Timestamp
	// envelopeCode is the result of Fabric's ValidateTransaction and the channel and
	// type checks of txvalidator.validateTx.
	envelopeCode peer.TxValidationCode
	// endorser is set for an endorser transaction whose envelope checks passed.
	endorser bool
	// endorsementCode is the result of the validation plugin dispatch (chaincode
	// action, read/write set and endorsement policy checks).
	endorsementCode peer.TxValidationCode
	rwset           *rwset.TxReadWriteSet
}

// envelopeParts are the parsed layers of an endorser transaction envelope.
type envelopeParts struct {
	env     *common.Envelope
	payload *common.Payload
	chdr    *common.ChannelHeader
	shdr    *common.SignatureHeader
}

// parseEnvelope follows Fabric's ValidateTransaction up to the creator signature
// check: it returns the parsed envelope and VALID, or the code of the first failure.
func parseEnvelope(data []byte) (envelopeParts, peer.TxValidationCode) {
	var p envelopeParts
	p.env = &common.Envelope{}
	if err := proto.Unmarshal(data, p.env); err != nil {
		return p, peer.TxValidationCode_INVALID_OTHER_REASON
	}
	p.payload = &common.Payload{}
	if err := proto.Unmarshal(p.env.Payload, p.payload); err != nil {
		return p, peer.TxValidationCode_BAD_PAYLOAD
	}
	hdr := p.payload.Header
	if hdr == nil {
		return p, peer.TxValidationCode_BAD_COMMON_HEADER
	}
	chdr := &common.ChannelHeader{}
	if err := proto.Unmarshal(hdr.ChannelHeader, chdr); err != nil {
		return p, peer.TxValidationCode_BAD_COMMON_HEADER
	}
	p.chdr = chdr
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(hdr.SignatureHeader, shdr); err != nil {
		return p, peer.TxValidationCode_BAD_COMMON_HEADER
	}
	p.shdr = shdr
	switch common.HeaderType(chdr.Type) {
	case common.HeaderType_ENDORSER_TRANSACTION, common.HeaderType_CONFIG_UPDATE, common.HeaderType_CONFIG:
	default:
		return p, peer.TxValidationCode_BAD_COMMON_HEADER
	}
	if chdr.Epoch != 0 || len(shdr.Nonce) == 0 || len(shdr.Creator) == 0 {
		return p, peer.TxValidationCode_BAD_COMMON_HEADER
	}
	return p, peer.TxValidationCode_VALID
}

// computeTxID returns hex(SHA-256(nonce || creator)), Fabric's transaction ID.
func computeTxID(nonce, creator []byte) string {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	return hex.EncodeToString(h.Sum(nil))
}

// endorserAction is the chaincode action of an endorser transaction.
type endorserAction struct {
	actionPayload *peer.ChaincodeActionPayload
	prpBytes      []byte
	action        *peer.ChaincodeAction
}

// checkEndorserTransaction follows Fabric's validateEndorserTransaction: one action,
// a well-formed signature header, and a proposal hash in the response payload that
// matches the transaction's header and proposal payload.
func checkEndorserTransaction(p envelopeParts) (*peer.ChaincodeActionPayload, error) {
	if p.payload.Data == nil {
		return nil, errors.New("nil transaction")
	}
	tx := &peer.Transaction{}
	if err := proto.Unmarshal(p.payload.Data, tx); err != nil {
		return nil, err
	}
	if len(tx.Actions) != 1 || tx.Actions[0] == nil {
		return nil, errors.New("only one action per transaction is supported")
	}
	act := tx.Actions[0]
	shdr := &common.SignatureHeader{}
	if err := proto.Unmarshal(act.Header, shdr); err != nil {
		return nil, err
	}
	if len(shdr.Nonce) == 0 || len(shdr.Creator) == 0 {
		return nil, errors.New("invalid action signature header")
	}
	ccPayload := &peer.ChaincodeActionPayload{}
	if err := proto.Unmarshal(act.Payload, ccPayload); err != nil {
		return nil, err
	}
	if ccPayload.Action == nil {
		return nil, errors.New("nil chaincode endorsed action")
	}
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(ccPayload.Action.ProposalResponsePayload, prp); err != nil {
		return nil, err
	}
	if p.payload.Header.ChannelHeader == nil || act.Header == nil || ccPayload.ChaincodeProposalPayload == nil {
		return nil, errors.New("nil arguments")
	}
	h := sha256.New()
	h.Write(p.payload.Header.ChannelHeader)
	h.Write(act.Header)
	h.Write(ccPayload.ChaincodeProposalPayload)
	if !bytes.Equal(h.Sum(nil), prp.ProposalHash) {
		return nil, errors.New("proposal hash does not match")
	}
	return ccPayload, nil
}

// chaincodeAction returns the chaincode action of an endorser transaction whose
// envelope checks passed, as protoutil.GetActionFromEnvelope does.
func chaincodeAction(ccPayload *peer.ChaincodeActionPayload) (*peer.ChaincodeAction, error) {
	prp := &peer.ProposalResponsePayload{}
	if err := proto.Unmarshal(ccPayload.Action.ProposalResponsePayload, prp); err != nil {
		return nil, err
	}
	if prp.Extension == nil {
		return nil, errors.New("response payload is missing extension")
	}
	action := &peer.ChaincodeAction{}
	if err := proto.Unmarshal(prp.Extension, action); err != nil {
		return nil, err
	}
	return action, nil
}

// decodeRWSet unmarshals a transaction's read/write set and each namespace's KV set,
// as rwsetutil.TxRwSet.FromProtoBytes does.
func decodeRWSet(results []byte) (*rwset.TxReadWriteSet, []*kvrwset.KVRWSet, error) {
	txrws := &rwset.TxReadWriteSet{}
	if err := proto.Unmarshal(results, txrws); err != nil {
		return nil, nil, err
	}
	kvs := make([]*kvrwset.KVRWSet, len(txrws.NsRwset))
	for i, ns := range txrws.NsRwset {
		kvs[i] = &kvrwset.KVRWSet{}
		if err := proto.Unmarshal(ns.Rwset, kvs[i]); err != nil {
			return nil, nil, err
		}
	}
	return txrws, kvs, nil
}

// checkTx runs every check of one transaction that needs no state: the envelope and
// creator checks of Fabric's ValidateTransaction, the channel and type checks of
// txvalidator, and the validation plugin's checks of the chaincode action and the
// endorsements against the endorsement policy of each namespace written.
func (l *Ledger) checkTx(data []byte) checkedTx {
	var c checkedTx
	p, code := parseEnvelope(data)
	if p.chdr != nil {
		c.txID, c.timestamp = p.chdr.TxId, p.chdr.Timestamp
	}
	if code != peer.TxValidationCode_VALID {
		c.envelopeCode = code
		return c
	}
	if p.env.Signature == nil || p.env.Payload == nil {
		c.envelopeCode = peer.TxValidationCode_BAD_CREATOR_SIGNATURE
		return c
	}
	if err := l.cfg.Identities.Verify(p.shdr.Creator, p.env.Payload, p.env.Signature); err != nil {
		c.envelopeCode = peer.TxValidationCode_BAD_CREATOR_SIGNATURE
		return c
	}
	var ccPayload *peer.ChaincodeActionPayload
	switch common.HeaderType(p.chdr.Type) {
	case common.HeaderType_ENDORSER_TRANSACTION:
		if p.chdr.TxId != computeTxID(p.shdr.Nonce, p.shdr.Creator) {
			c.envelopeCode = peer.TxValidationCode_BAD_PROPOSAL_TXID
			return c
		}
		var err error
		if ccPayload, err = checkEndorserTransaction(p); err != nil {
			c.envelopeCode = peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION
			return c
		}
	case common.HeaderType_CONFIG:
		// devnet's channel configuration is fixed at genesis; a configuration
		// transaction in a later block could not be applied.
		c.envelopeCode = peer.TxValidationCode_INVALID_CONFIG_TRANSACTION
		return c
	default:
		c.envelopeCode = peer.TxValidationCode_UNSUPPORTED_TX_PAYLOAD
		return c
	}
	if p.chdr.ChannelId != l.cfg.ChannelID {
		c.envelopeCode = peer.TxValidationCode_TARGET_CHAIN_NOT_FOUND
		return c
	}
	c.envelopeCode, c.endorser = peer.TxValidationCode_VALID, true
	c.endorsementCode, c.rwset = l.checkEndorsements(p, ccPayload)
	return c
}

// checkEndorsements follows Fabric's plugin dispatcher and default validation plugin:
// the chaincode action must name the invoked chaincode with a version, its event (if
// any) must come from it, the read/write set must parse with each namespace once, and
// the endorsements must satisfy the endorsement policy of the invoked chaincode and of
// every namespace the transaction writes.
func (l *Ledger) checkEndorsements(p envelopeParts, ccPayload *peer.ChaincodeActionPayload) (peer.TxValidationCode, *rwset.TxReadWriteSet) {
	hdrExt := &peer.ChaincodeHeaderExtension{}
	if err := proto.Unmarshal(p.chdr.Extension, hdrExt); err != nil {
		return peer.TxValidationCode_BAD_HEADER_EXTENSION, nil
	}
	action, err := chaincodeAction(ccPayload)
	if err != nil {
		return peer.TxValidationCode_BAD_RESPONSE_PAYLOAD, nil
	}
	txrws, kvs, err := decodeRWSet(action.Results)
	if err != nil {
		return peer.TxValidationCode_BAD_RWSET, nil
	}
	if hdrExt.ChaincodeId == nil || action.ChaincodeId == nil {
		return peer.TxValidationCode_INVALID_OTHER_REASON, nil
	}
	ccID := hdrExt.ChaincodeId.Name
	if ccID == "" || ccID != action.ChaincodeId.Name || action.ChaincodeId.Version == "" {
		return peer.TxValidationCode_INVALID_CHAINCODE, nil
	}
	if action.Events != nil {
		ev := &peer.ChaincodeEvent{}
		if err := proto.Unmarshal(action.Events, ev); err != nil || ev.ChaincodeId != ccID {
			return peer.TxValidationCode_INVALID_OTHER_REASON, nil
		}
	}
	written := []string{ccID}
	seen := map[string]bool{}
	for i, ns := range txrws.NsRwset {
		if seen[ns.Namespace] {
			return peer.TxValidationCode_ILLEGAL_WRITESET, nil
		}
		seen[ns.Namespace] = true
		if len(ns.CollectionHashedRwset) > 0 {
			// Private data is not supported by devnet, so no chaincode can have
			// produced this read/write set.
			return peer.TxValidationCode_INVALID_OTHER_REASON, nil
		}
		if (len(kvs[i].Writes) > 0 || len(kvs[i].MetadataWrites) > 0) && ns.Namespace != ccID {
			written = append(written, ns.Namespace)
		}
	}
	slices.Sort(written[1:])

	endorsers := l.validEndorsers(ccPayload)
	for _, ns := range written {
		if err := l.cfg.Policy.Evaluate(ns, endorsers); err != nil {
			if errors.Is(err, ErrUnknownNamespace) {
				return peer.TxValidationCode_INVALID_CHAINCODE, nil
			}
			return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE, nil
		}
	}
	return peer.TxValidationCode_VALID, txrws
}

// validEndorsers returns the distinct endorsers whose signature over the proposal
// response payload verifies. As in Fabric's policy evaluation, an endorsement that
// does not verify is not an error by itself; it just does not count.
func (l *Ledger) validEndorsers(ccPayload *peer.ChaincodeActionPayload) [][]byte {
	var out [][]byte
	prp := ccPayload.Action.ProposalResponsePayload
	dv, _ := l.cfg.Identities.(DigestVerifier)
	var prefix *msp.Prefix
	for _, e := range ccPayload.Action.Endorsements {
		if e == nil || len(e.Endorser) == 0 {
			continue
		}
		if slices.ContainsFunc(out, func(b []byte) bool { return bytes.Equal(b, e.Endorser) }) {
			continue
		}
		// An endorser signs the response payload followed by its identity.
		var err error
		if dv != nil {
			if prefix == nil {
				prefix = msp.NewPrefix(prp)
			}
			digest := prefix.Digest(e.Endorser)
			err = dv.VerifyDigest(e.Endorser, &digest, e.Signature)
		} else {
			msg := make([]byte, 0, len(prp)+len(e.Endorser))
			msg = append(append(msg, prp...), e.Endorser...)
			err = l.cfg.Identities.Verify(e.Endorser, msg, e.Signature)
		}
		if err != nil {
			continue
		}
		out = append(out, e.Endorser)
	}
	return out
}
