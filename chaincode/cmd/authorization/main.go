// Command authorization runs the authorization chaincode (package
// chaincode/authorization).
//
// contractapi's Start (fabric-contract-api-go v2.2.0, contract_chaincode.go)
// chooses how to run from the environment:
//
//   - CHAINCODE_SERVER_ADDRESS (host:port to listen on) and
//     CORE_CHAINCODE_ID_NAME (the package ID the peer knows it by) both set:
//     chaincode as a service (CCaaS, shim.ChaincodeServer). TLS is off unless
//     CORE_PEER_TLS_ENABLED=true; then the server reads its key from
//     CORE_TLS_CLIENT_KEY_FILE and its certificate from
//     CORE_TLS_CLIENT_CERT_FILE, and, when CORE_PEER_TLS_ROOTCERT_FILE names a
//     CA file, requires peer client certificates signed by it. (The
//     CHAINCODE_TLS_* names some Fabric samples use are not read by this
//     version.)
//   - otherwise: the classic mode, where the peer launches the process and
//     the shim dials it: CORE_CHAINCODE_ID_NAME and the -peer.address flag,
//     TLS through the shim's CORE_PEER_TLS_* variables.
package main

import (
	"log"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/authorization"
)

func main() {
	cc, err := contractapi.NewChaincode(authorization.New())
	if err != nil {
		log.Fatalf("authorization chaincode: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("authorization chaincode: %v", err)
	}
}
