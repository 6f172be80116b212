// Command subject runs the Kaiban subject chaincode: alliance members, chain
// nodes and trusted subjects (DB37/T 4431-2021 7.4.2 a, b, c).
//
// It serves as a chaincode-as-a-service gRPC server (how Kaiban deploys it)
// when both of these are set:
//
//	CHAINCODE_SERVER_ADDRESS  address to listen on, e.g. 0.0.0.0:9999
//	CHAINCODE_ID              the package ID the peer knows the chaincode by
//
// TLS between the peer and the server is off unless CHAINCODE_TLS_DISABLED
// is "false"; then
//
//	CHAINCODE_TLS_KEY         PEM file of the server's TLS private key
//	CHAINCODE_TLS_CERT        PEM file of the server's TLS certificate
//	CHAINCODE_CLIENT_CA_CERT  optional PEM file of the CA a connecting peer's
//	                          client certificate must chain to (mutual TLS)
//
// With neither of the first two set it runs as a classic chaincode and dials
// the peer named by CORE_PEER_ADDRESS (shim.Start). The environment is read
// by package launch, not by contractapi's own Start, which in
// fabric-contract-api-go v2.2.0 expects CORE_CHAINCODE_ID_NAME and
// CORE_PEER_TLS_ENABLED instead.
package main

import (
	"log"
	"os"

	"github.com/kaiban-platform/kaiban/chaincode/launch"
	"github.com/kaiban-platform/kaiban/chaincode/subject"
)

func main() {
	cfg, err := launch.FromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("subject chaincode: %v", err)
	}
	if err := launch.Run(subject.New(), cfg); err != nil {
		log.Fatalf("subject chaincode: %v", err)
	}
}
