// Command subject runs the Kaiban subject chaincode: alliance members, chain nodes and trusted subjects (DB37/T 4431-2021 7.4.2 a, b, c).
//
// It serves as chaincode-as-a-service when CHAINCODE_SERVER_ADDRESS and
// CHAINCODE_ID are set and as a classic peer-launched chaincode otherwise;
// package launch documents every variable, TLS included.
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
	if err := launch.Run(subject.New(), cfg, subject.LaunchOptions()...); err != nil {
		log.Fatalf("subject chaincode: %v", err)
	}
}
