// Command approval runs the Kaiban approval chaincode: process instances, department steps with
// their time limits and overruns, manual interventions and unified issuance bundles
// (DB37/T 4431-2021 7.3 b-d, 7.5 c-d, 7.6.6, 7.6.7).
//
// It serves as chaincode-as-a-service when CHAINCODE_SERVER_ADDRESS and
// CHAINCODE_ID are set and as a classic peer-launched chaincode otherwise;
// package launch documents every variable, TLS included.
package main

import (
	"log"
	"os"

	"github.com/kaiban-platform/kaiban/chaincode/approval"
	"github.com/kaiban-platform/kaiban/chaincode/launch"
)

func main() {
	cfg, err := launch.FromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("approval chaincode: %v", err)
	}
	if err := launch.Run(approval.New(), cfg); err != nil {
		log.Fatalf("approval chaincode: %v", err)
	}
}
