// Command putstate serves the anchor's one-PutState chaincode
// (internal/putstate) as chaincode-as-a-service, for the real-Fabric
// benchmarks; package launch documents its environment.
package main

import (
	"log"
	"os"

	"github.com/kaiban-platform/kaiban/chaincode/launch"
	"github.com/kaiban-platform/kaiban/network/internal/putstate"
)

func main() {
	cfg, err := launch.FromEnv(os.Getenv)
	if err != nil {
		log.Fatalf("putstate chaincode: %v", err)
	}
	if err := launch.Run(putstate.New(), cfg); err != nil {
		log.Fatalf("putstate chaincode: %v", err)
	}
}
