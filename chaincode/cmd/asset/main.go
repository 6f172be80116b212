// Command asset runs the Kaiban asset chaincode: asset types and digital assets through the four issuance channels (7.4.2 e, 7.4.4 a, d, 7.6.2 c).
//
// It serves as chaincode-as-a-service when CHAINCODE_SERVER_ADDRESS and
// CHAINCODE_ID are set and as a classic peer-launched chaincode otherwise;
// package launch documents every variable, TLS included.
package main

import (
	"log"
	"os"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/launch"
)

func main() {
	cfg, err := launch.FromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("asset chaincode: %v", err)
	}
	if err := launch.Run(asset.New(), cfg); err != nil {
		log.Fatalf("asset chaincode: %v", err)
	}
}
