// Package putstate is the chaincode of issue #3's speed anchor: a
// transaction that does one PutState and nothing else, and a read for
// evaluations. It is for benchmarks only (kaibannet's BenchmarkFabric_PutState,
// devnet's BenchmarkDevnet_PutState) and is not among the chaincodes
// kaiban-net or kaiban deploy: cmd/putstate serves it as a service to real
// Fabric, cmd/devnet-putstate is kaiban-net devnet serving it as well.
package putstate

import (
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/kaiban-platform/kaiban/chaincode/launch"
)

// Name is the chaincode's deployed name, and its binary's.
const Name = "putstate"

// Contract writes and reads plain keys, with no rules.
type Contract struct{ contractapi.Contract }

// New returns the contract.
func New() *Contract { return &Contract{} }

// Put writes value under key: the transaction's one PutState.
func (*Contract) Put(ctx contractapi.TransactionContextInterface, key, value string) error {
	if err := ctx.GetStub().PutState(key, []byte(value)); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// Get returns the value of key.
func (*Contract) Get(ctx contractapi.TransactionContextInterface, key string) (string, error) {
	v, err := ctx.GetStub().GetState(key)
	if err != nil {
		return "", fmt.Errorf("get %s: %w", key, err)
	}
	if v == nil {
		return "", fmt.Errorf("key %s not found", key)
	}
	return string(v), nil
}

// Chaincode returns the chaincode built the way every Kaiban chaincode is
// (launch.NewChaincode), so that Fabric and devnet serve the same code.
func Chaincode() (shim.Chaincode, error) {
	cc, err := launch.NewChaincode(New())
	if err != nil {
		return nil, fmt.Errorf("chaincode %s: %w", Name, err)
	}
	return cc, nil
}
