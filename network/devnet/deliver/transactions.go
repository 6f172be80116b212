package deliver

import (
	"fmt"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Transaction is one transaction of a block as the deliver and event services see it.
type Transaction struct {
	// TxID and Type come from the channel header; both are empty for an envelope
	// that does not parse.
	TxID string
	Type common.HeaderType
	// Code is the transaction's validation code from the block's TRANSACTIONS_FILTER.
	Code peer.TxValidationCode
	// Events are the chaincode events of the transaction's actions that name a
	// chaincode, as Fabric's filtered blocks keep them.
	Events []*peer.ChaincodeEvent
}

// Transactions parses the transactions of a committed block.
func Transactions(block *common.Block) ([]Transaction, error) {
	filter := block.GetMetadata().GetMetadata()
	var codes []byte
	if len(filter) > int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		codes = filter[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	}
	data := block.GetData().GetData()
	if len(codes) != len(data) {
		return nil, fmt.Errorf("block %d: %d transactions but %d validation codes", block.GetHeader().GetNumber(), len(data), len(codes))
	}
	txs := make([]Transaction, len(data))
	for i, envBytes := range data {
		txs[i] = parseTransaction(envBytes)
		txs[i].Code = peer.TxValidationCode(codes[i])
	}
	return txs, nil
}

func parseTransaction(envBytes []byte) Transaction {
	var tx Transaction
	env := &common.Envelope{}
	if proto.Unmarshal(envBytes, env) != nil {
		return tx
	}
	payload := &common.Payload{}
	if proto.Unmarshal(env.GetPayload(), payload) != nil {
		return tx
	}
	chdr := &common.ChannelHeader{}
	if proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr) != nil {
		return tx
	}
	tx.TxID = chdr.GetTxId()
	tx.Type = common.HeaderType(chdr.GetType())
	if tx.Type != common.HeaderType_ENDORSER_TRANSACTION {
		return tx
	}
	transaction := &peer.Transaction{}
	if proto.Unmarshal(payload.GetData(), transaction) != nil {
		return tx
	}
	for _, action := range transaction.GetActions() {
		if ev := actionEvent(action); ev != nil {
			tx.Events = append(tx.Events, ev)
		}
	}
	return tx
}

func actionEvent(action *peer.TransactionAction) *peer.ChaincodeEvent {
	cap := &peer.ChaincodeActionPayload{}
	if proto.Unmarshal(action.GetPayload(), cap) != nil {
		return nil
	}
	prp := &peer.ProposalResponsePayload{}
	if proto.Unmarshal(cap.GetAction().GetProposalResponsePayload(), prp) != nil {
		return nil
	}
	cca := &peer.ChaincodeAction{}
	if proto.Unmarshal(prp.GetExtension(), cca) != nil {
		return nil
	}
	ev := &peer.ChaincodeEvent{}
	if proto.Unmarshal(cca.GetEvents(), ev) != nil {
		return nil
	}
	if ev.GetChaincodeId() == "" {
		return nil
	}
	return ev
}

// Filter returns the filtered block Fabric's DeliverFiltered sends for block:
// every transaction's ID, type and validation code and, for endorser
// transactions, their chaincode events without payloads.
func Filter(channelID string, block *common.Block) (*peer.FilteredBlock, error) {
	txs, err := Transactions(block)
	if err != nil {
		return nil, err
	}
	fb := &peer.FilteredBlock{ChannelId: channelID, Number: block.GetHeader().GetNumber()}
	for _, tx := range txs {
		ft := &peer.FilteredTransaction{Txid: tx.TxID, Type: tx.Type, TxValidationCode: tx.Code}
		if tx.Type == common.HeaderType_ENDORSER_TRANSACTION {
			actions := &peer.FilteredTransactionActions{}
			for _, ev := range tx.Events {
				actions.ChaincodeActions = append(actions.ChaincodeActions, &peer.FilteredChaincodeAction{
					ChaincodeEvent: &peer.ChaincodeEvent{ChaincodeId: ev.ChaincodeId, TxId: ev.TxId, EventName: ev.EventName},
				})
			}
			ft.Data = &peer.FilteredTransaction_TransactionActions{TransactionActions: actions}
		}
		fb.FilteredTransactions = append(fb.FilteredTransactions, ft)
	}
	return fb, nil
}
