// Command devnet-putstate is `kaiban-net devnet` (same flags, same ready
// line) serving the anchor's one-PutState chaincode beside the four Kaiban
// chaincodes, for devnet's BenchmarkDevnet_PutState. It is not built by
// `make build`: the benchmark chaincode stays out of what is shipped.
package main

import (
	"fmt"
	"os"

	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/internal/devnetcmd"
	"github.com/kaiban-platform/kaiban/network/internal/putstate"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "devnet-putstate: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	chaincodes, err := devnet.KaibanChaincodes()
	if err != nil {
		return err
	}
	cc, err := putstate.Chaincode()
	if err != nil {
		return err
	}
	chaincodes[putstate.Name] = cc
	return devnetcmd.Run(args, chaincodes)
}
