package deliver

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// envelope builds an envelope of type typ whose one action carries ev.
func envelope(t *testing.T, typ common.HeaderType, txID string, ev *peer.ChaincodeEvent) []byte {
	t.Helper()
	var events []byte
	if ev != nil {
		events = mustMarshal(t, ev)
	}
	action := mustMarshal(t, &peer.ChaincodeAction{Events: events})
	prp := mustMarshal(t, &peer.ProposalResponsePayload{Extension: action})
	cap := mustMarshal(t, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{ProposalResponsePayload: prp}})
	tx := mustMarshal(t, &peer.Transaction{Actions: []*peer.TransactionAction{{Payload: cap}}})
	chdr := mustMarshal(t, &common.ChannelHeader{Type: int32(typ), TxId: txID})
	payload := mustMarshal(t, &common.Payload{Header: &common.Header{ChannelHeader: chdr}, Data: tx})
	return mustMarshal(t, &common.Envelope{Payload: payload})
}

func TestFilter_CodesEventsWithoutPayloads(t *testing.T) {
	ev := &peer.ChaincodeEvent{ChaincodeId: "cc", TxId: "t1", EventName: "put", Payload: []byte("secret")}
	block := &common.Block{
		Header: &common.BlockHeader{Number: 7},
		Data: &common.BlockData{Data: [][]byte{
			envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t1", ev),
			envelope(t, common.HeaderType_ENDORSER_TRANSACTION, "t2", nil),
			envelope(t, common.HeaderType_CONFIG, "t3", nil),
			{0xff, 0xff},
		}},
		Metadata: &common.BlockMetadata{Metadata: [][]byte{nil, nil, {
			byte(peer.TxValidationCode_VALID), byte(peer.TxValidationCode_MVCC_READ_CONFLICT),
			byte(peer.TxValidationCode_VALID), byte(peer.TxValidationCode_BAD_PAYLOAD),
		}}},
	}
	fb, err := Filter("ch", block)
	if err != nil {
		t.Fatal(err)
	}
	if fb.ChannelId != "ch" || fb.Number != 7 || len(fb.FilteredTransactions) != 4 {
		t.Fatalf("filtered block = %v", fb)
	}
	first := fb.FilteredTransactions[0]
	actions := first.GetTransactionActions().GetChaincodeActions()
	if first.Txid != "t1" || first.TxValidationCode != peer.TxValidationCode_VALID || len(actions) != 1 ||
		actions[0].ChaincodeEvent.EventName != "put" || actions[0].ChaincodeEvent.Payload != nil {
		t.Errorf("first = %v", first)
	}
	if got := fb.FilteredTransactions[1]; got.TxValidationCode != peer.TxValidationCode_MVCC_READ_CONFLICT || len(got.GetTransactionActions().GetChaincodeActions()) != 0 {
		t.Errorf("second = %v", got)
	}
	if got := fb.FilteredTransactions[2]; got.Type != common.HeaderType_CONFIG || got.GetTransactionActions() != nil {
		t.Errorf("config = %v", got)
	}
	if got := fb.FilteredTransactions[3]; got.Txid != "" || got.TxValidationCode != peer.TxValidationCode_BAD_PAYLOAD {
		t.Errorf("unparsable = %v", got)
	}
	txs, _ := Transactions(block)
	if len(txs[0].Events) != 1 || string(txs[0].Events[0].Payload) != "secret" {
		t.Errorf("full transactions lost the event payload: %v", txs[0].Events)
	}
}

func TestTransactions_RefusesMissingCodes(t *testing.T) {
	block := &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{Data: [][]byte{{1}}}}
	if _, err := Transactions(block); err == nil {
		t.Fatal("a block without validation codes parsed")
	}
}
