package ledger

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/kaiban-platform/kaiban/chaincode/txsim"
	"google.golang.org/protobuf/proto"
)

// TestLedger_ValidationCodes sends one transaction per way of being invalid, each in
// a block with a valid transaction, and checks the code Fabric's committer gives and
// that nothing the invalid transaction wrote reached the state.
func TestLedger_ValidationCodes(t *testing.T) {
	n := newNetwork(t)
	stranger := newIdentity(t, "Org9MSP")
	otherClient := newIdentity(t, "Org1MSP")
	n.verifier.known[string(otherClient.serialized)] = otherClient
	write := writeSet("asset", map[string]string{"bad": "written"})
	tests := []struct {
		name string
		spec txSpec
		want peer.TxValidationCode
	}{
		{"creator signature by another key", txSpec{tamper: func(p *txParts) { p.signer = otherClient }}, peer.TxValidationCode_BAD_CREATOR_SIGNATURE},
		{"creator of an unknown organisation", txSpec{creator: stranger}, peer.TxValidationCode_BAD_CREATOR_SIGNATURE},
		{"no creator signature", txSpec{tamper: func(p *txParts) { p.envSignature = []byte{} }}, peer.TxValidationCode_BAD_CREATOR_SIGNATURE},
		{"transaction ID not derived from nonce and creator", txSpec{tamper: func(p *txParts) { p.chdr.TxId = "0123abcd" }}, peer.TxValidationCode_BAD_PROPOSAL_TXID},
		{"no nonce", txSpec{tamper: func(p *txParts) { p.shdr.Nonce = nil }}, peer.TxValidationCode_BAD_COMMON_HEADER},
		{"non-zero epoch", txSpec{tamper: func(p *txParts) { p.chdr.Epoch = 1 }}, peer.TxValidationCode_BAD_COMMON_HEADER},
		{"proposal hash mismatch", txSpec{tamper: func(p *txParts) { p.proposalHash = make([]byte, 32) }}, peer.TxValidationCode_INVALID_ENDORSER_TRANSACTION},
		{"no endorsements", txSpec{endorsers: []*identity{}}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"one organisation of two", txSpec{endorsers: []*identity{n.peer1, n.peer1}}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"endorsement signature over other bytes", txSpec{tamper: func(p *txParts) {
			p.endorsements = []*peer.Endorsement{
				{Endorser: n.peer1.serialized, Signature: n.peer1.mustSign([]byte("x"))},
				{Endorser: n.peer2.serialized, Signature: n.peer2.mustSign([]byte("y"))},
			}
		}}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"endorser of an unknown organisation", txSpec{endorsers: []*identity{n.peer1, stranger}}, peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"write to a namespace the endorsers cannot satisfy", txSpec{chaincode: "subject", endorsers: []*identity{n.peer1},
			rwset: rwsetOf(kv{ns: "subject", writes: map[string]string{"s": "1"}}, kv{ns: "asset", writes: map[string]string{"bad": "written"}})},
			peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE},
		{"unknown chaincode", txSpec{chaincode: "nosuch"}, peer.TxValidationCode_INVALID_CHAINCODE},
		{"no chaincode version", txSpec{version: "-", tamper: func(p *txParts) { p.action.ChaincodeId.Version = "" }}, peer.TxValidationCode_INVALID_CHAINCODE},
		{"action of another chaincode", txSpec{tamper: func(p *txParts) { p.action.ChaincodeId.Name = "subject" }}, peer.TxValidationCode_INVALID_CHAINCODE},
		{"event of another chaincode", txSpec{event: &peer.ChaincodeEvent{ChaincodeId: "subject", EventName: "e"}}, peer.TxValidationCode_INVALID_OTHER_REASON},
		{"bad read/write set", txSpec{tamper: func(p *txParts) { p.action.Results = []byte{0xff, 0xff} }}, peer.TxValidationCode_BAD_RWSET},
		{"namespace twice", txSpec{rwset: append(write, write...)}, peer.TxValidationCode_ILLEGAL_WRITESET},
		{"private data", txSpec{tamper: func(p *txParts) {
			kvb, _ := proto.Marshal(&kvrwset.KVRWSet{Writes: []*kvrwset.KVWrite{{Key: "bad", Value: []byte("written")}}})
			p.action.Results, _ = proto.Marshal(&rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{{
				Namespace: "asset", Rwset: kvb, CollectionHashedRwset: []*rwset.CollectionHashedReadWriteSet{{CollectionName: "c"}},
			}}})
		}}, peer.TxValidationCode_INVALID_OTHER_REASON},
		{"bad header extension", txSpec{tamper: func(p *txParts) { p.chdr.Extension = []byte{0xff} }}, peer.TxValidationCode_BAD_HEADER_EXTENSION},
	}
	cfg := inOneBlock(n.config(t.TempDir()), 2)
	l := openLedger(t, cfg)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec.rwset == nil {
				tt.spec.rwset = write
			}
			if tt.spec.version == "-" {
				tt.spec.version = ""
			}
			bad, _ := n.build(t, tt.spec)
			good, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"good": tt.name})})
			sts := submit(t, l, bad, good)
			if sts[0].Code != tt.want {
				t.Fatalf("code %v, want %v", sts[0].Code, tt.want)
			}
			if sts[1].Code != peer.TxValidationCode_VALID || sts[1].BlockNumber != sts[0].BlockNumber {
				t.Fatalf("companion tx: %+v", sts[1])
			}
			for _, ns := range []string{"asset", "subject"} {
				for _, key := range []string{"bad", "s"} {
					if v := value(t, l, ns, key); v != nil {
						t.Fatalf("%s/%s written by an invalid transaction: %q", ns, key, v.Value)
					}
				}
			}
		})
	}
	if _, err := Verify(cfg.Dir); err == nil {
		t.Fatal("Verify on an open ledger succeeded")
	}
}

// TestCheckTx_Malformed covers envelopes that Broadcast refuses, as a block from
// another orderer could still carry them.
func TestCheckTx_Malformed(t *testing.T) {
	n := newNetwork(t)
	l := &Ledger{cfg: n.config("").withDefaults()}
	good, _ := n.build(t, txSpec{rwset: writeSet("asset", map[string]string{"k": "v"})})
	other, _ := n.build(t, txSpec{channel: "other", rwset: writeSet("asset", map[string]string{"k": "v"})})
	cfgEnv := func(typ common.HeaderType) []byte {
		chdr, _ := proto.Marshal(&common.ChannelHeader{Type: int32(typ), ChannelId: testChannel, TxId: "x"})
		shdr, _ := proto.Marshal(&common.SignatureHeader{Creator: n.client.serialized, Nonce: []byte("n")})
		payload, _ := proto.Marshal(&common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: []byte{}})
		return mustMarshal(&common.Envelope{Payload: payload, Signature: n.client.mustSign(payload)})
	}
	tests := []struct {
		name string
		data []byte
		want peer.TxValidationCode
	}{
		{"valid", mustMarshal(good), peer.TxValidationCode_VALID},
		{"not an envelope", []byte{0xff, 0x01}, peer.TxValidationCode_INVALID_OTHER_REASON},
		{"payload not a payload", mustMarshal(&common.Envelope{Payload: []byte{0xff}, Signature: []byte("s")}), peer.TxValidationCode_BAD_PAYLOAD},
		{"no header", mustMarshal(&common.Envelope{Payload: []byte{}, Signature: []byte("s")}), peer.TxValidationCode_BAD_COMMON_HEADER},
		{"other channel", mustMarshal(other), peer.TxValidationCode_TARGET_CHAIN_NOT_FOUND},
		{"config transaction", cfgEnv(common.HeaderType_CONFIG), peer.TxValidationCode_INVALID_CONFIG_TRANSACTION},
		{"config update", cfgEnv(common.HeaderType_CONFIG_UPDATE), peer.TxValidationCode_UNSUPPORTED_TX_PAYLOAD},
		{"message type", cfgEnv(common.HeaderType_MESSAGE), peer.TxValidationCode_BAD_COMMON_HEADER},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := l.checkTx(tt.data)
			code := c.envelopeCode
			if code == peer.TxValidationCode_VALID {
				code = c.endorsementCode
			}
			if code != tt.want {
				t.Fatalf("code %v, want %v", code, tt.want)
			}
		})
	}
}

var _ = txsim.Version{}
