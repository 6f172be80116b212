package devnet

import (
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/approval"
	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/launch"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
)

// KaibanChaincodes returns the four Kaiban chaincodes by their deployed names.
func KaibanChaincodes() (map[string]shim.Chaincode, error) {
	contracts := map[string]struct {
		contract contractapi.ContractInterface
		opts     []launch.Option
	}{
		model.ChaincodeSubject:       {subject.New(), subject.LaunchOptions()},
		model.ChaincodeAsset:         {asset.New(), nil},
		model.ChaincodeAuthorization: {authorization.New(), nil},
		model.ChaincodeApproval:      {approval.New(), nil},
	}
	out := make(map[string]shim.Chaincode, len(contracts))
	for name, c := range contracts {
		// As deployed: launch builds every Kaiban chaincode the same way.
		cc, err := launch.NewChaincode(c.contract, c.opts...)
		if err != nil {
			return nil, fmt.Errorf("chaincode %s: %w", name, err)
		}
		out[name] = cc
	}
	return out, nil
}
