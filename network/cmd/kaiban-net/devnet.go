package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/internal/devnetcmd"
)

// runDevnet runs `kaiban-net devnet [flags]` with the four Kaiban chaincodes
// and `kaiban-net devnet verify --data DIR`.
func runDevnet(args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return runDevnetVerify(args[1:])
	}
	chaincodes, err := devnet.KaibanChaincodes()
	if err != nil {
		return err
	}
	return devnetcmd.Run(args, chaincodes)
}

func runDevnetVerify(args []string) error {
	fs := flag.NewFlagSet("devnet verify", flag.ContinueOnError)
	data := fs.String("data", "", "data directory of a stopped devnet; required")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data is required")
	}
	reports, err := devnet.Verify(*data)
	for _, r := range reports {
		fmt.Printf("channel %s: %d blocks, %d transactions (%d valid), %d keys verified in %s (%.0f blocks/s)\n",
			r.Channel, r.Blocks, r.Transactions, r.Valid, r.Keys, r.Duration.Round(time.Millisecond), r.BlocksPerSecond())
	}
	if err != nil {
		return err
	}
	fmt.Println("verify: OK")
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
