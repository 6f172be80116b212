// Command kaiban-net runs and operates Kaiban's chain networks: the embedded
// devnet, and (in other files of this package) real Fabric networks.
package main

import (
	"fmt"
	"os"
)

// command is one subcommand of kaiban-net.
type command struct {
	name    string
	summary string
	run     func(args []string) error
}

// commands is the command table; each command lives in its own file.
var commands = []command{
	{"devnet", "run the embedded development network; 'devnet verify' checks its data", runDevnet},
	{"init", "create a consortium directory: orgs, crypto material, node configs (Annex A.1)", runInit},
	{"up", "start the Fabric nodes and chaincode servers (native or --docker)", runUp},
	{"down", "stop the Fabric nodes and chaincode servers (--purge deletes ledgers)", runDown},
	{"channel", "channel create: test and production channels, orderers and peers joined", runChannel},
	{"cc", "cc deploy|upgrade|promote: chaincodes as a service (Annex A.4)", runCC},
	{"member", "member add: admit an organisation by majority-signed config update (Annex A.2)", runMember},
	{"node", "node add|remove: peers and orderer consenters", runNode},
	{"status", "heights, nodes, chaincodes, health and key metrics", runStatus},
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	for _, c := range commands {
		if c.name == os.Args[1] {
			if err := c.run(os.Args[2:]); err != nil {
				fmt.Fprintf(os.Stderr, "kaiban-net %s: %v\n", c.name, err)
				os.Exit(1)
			}
			return
		}
	}
	fmt.Fprintf(os.Stderr, "kaiban-net: unknown command %q\n", os.Args[1])
	usage()
	os.Exit(2)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: kaiban-net <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", c.name, c.summary)
	}
}
