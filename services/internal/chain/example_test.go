package chain_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
)

// Connect as an organisation with the keys of the profile kaiban-net wrote
// for it (fabric-network/connection/MarketMSP.yaml, the chain section of
// kaiban's configuration), then read a record as a model type.
func ExampleConnect() {
	users := "fabric-network/organizations/peerOrganizations/market.kaiban.local/users/User1@market.kaiban.local/msp/"
	c, err := chain.Connect(chain.Config{Orgs: []chain.OrgConfig{{
		MSPID:            "MarketMSP",
		PeerEndpoint:     "127.0.0.1:17012",
		PeerHostOverride: "peer0.market.kaiban.local",
		TLSRootCert:      "fabric-network/organizations/peerOrganizations/market.kaiban.local/tlsca/tlsca.market.kaiban.local-cert.pem",
		CertPath:         users + "signcerts",
		KeyPath:          users + "keystore",
		Channel:          "kaiban",
	}}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	subjects, err := c.Contract("MarketMSP", model.ChaincodeSubject)
	if err != nil {
		log.Fatal(err)
	}
	m, err := chain.EvaluateJSON[model.Member](context.Background(), subjects, "GetMember", chain.WithArguments("MarketMSP"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Status)
}

// Branch on a failed submit by the chaincode's code and by the step that
// failed, as an HTTP handler mapping errors to statuses does.
func ExampleError() {
	var approval *chain.Contract // c.Contract("OperatorMSP/clerk", model.ChaincodeApproval)
	_, err := approval.Submit(context.Background(), "StartProcess", chain.WithArguments(`{"application":"a-1"}`))
	var ce *chain.Error
	switch {
	case err == nil:
	case errors.Is(err, model.ErrDenied):
		fmt.Println("403: the chaincode refused the caller")
	case errors.Is(err, model.ErrNotFound):
		fmt.Println("404")
	case errors.Is(err, model.ErrInvalid), errors.Is(err, model.ErrSignature):
		fmt.Println("400 or 422")
	case errors.Is(err, model.ErrConflict), errors.Is(err, model.ErrState):
		fmt.Println("409")
	case errors.As(err, &ce) && ce.Transient():
		fmt.Printf("503: %s failed for tx %s; try again\n", ce.Step, ce.TxID)
	default:
		fmt.Println("500")
	}
}
