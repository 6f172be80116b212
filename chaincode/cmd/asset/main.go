// Command asset runs the Kaiban asset chaincode (package asset).
//
// It serves chaincode-as-a-service (CCaaS), the way Kaiban deploys on Fabric,
// when both of these are set (as fabric-contract-api-go reads them):
//
//	CHAINCODE_SERVER_ADDRESS  host:port to listen on, e.g. 0.0.0.0:9999
//	CORE_CHAINCODE_ID_NAME    the package ID the peer knows the chaincode by
//
// with TLS when CORE_PEER_TLS_ENABLED=true, reading files named by
//
//	CORE_TLS_CLIENT_KEY_FILE   the server's TLS private key (PEM)
//	CORE_TLS_CLIENT_CERT_FILE  the server's TLS certificate (PEM)
//	CORE_PEER_TLS_ROOTCERT_FILE optional CA of the peers, which then must
//	                           present client certificates
//
// Without CHAINCODE_SERVER_ADDRESS it starts as a classic peer-launched
// chaincode (shim.Start), which reads the peer's CORE_* variables itself.
package main

import (
	"log"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/kaiban-platform/kaiban/chaincode/asset"
)

func main() {
	cc, err := contractapi.NewChaincode(asset.New())
	if err != nil {
		log.Fatalf("asset chaincode: %v", err)
	}
	if err := cc.Start(); err != nil {
		log.Fatalf("asset chaincode: %v", err)
	}
}
