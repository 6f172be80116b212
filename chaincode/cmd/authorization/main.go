// Command authorization runs the Kaiban authorization chaincode: grants, delegations, authorization codes, access records and access requests (7.4.4 b, c, d, 7.6.2 b, d, f).
//
// It serves as chaincode-as-a-service when CHAINCODE_SERVER_ADDRESS and
// CHAINCODE_ID are set and as a classic peer-launched chaincode otherwise;
// package launch documents every variable, TLS included.
package main

import (
	"log"
	"os"

	"github.com/kaiban-platform/kaiban/chaincode/authorization"
	"github.com/kaiban-platform/kaiban/chaincode/launch"
)

func main() {
	cfg, err := launch.FromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("authorization chaincode: %v", err)
	}
	if err := launch.Run(authorization.New(), cfg); err != nil {
		log.Fatalf("authorization chaincode: %v", err)
	}
}
