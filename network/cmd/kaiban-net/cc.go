package main

import (
	"flag"

	"github.com/kaiban-platform/kaiban/network/kaibannet"
)

// runCC runs `kaiban-net cc deploy|upgrade|promote` (A.4).
func runCC(args []string) error {
	return subcommand("cc", args, map[string]func([]string) error{
		"deploy":  func(a []string) error { return runCCDefine("deploy", a) },
		"upgrade": func(a []string) error { return runCCDefine("upgrade", a) },
		"promote": runCCPromote,
	})
}

func chaincodeFlag(fs *flag.FlagSet) *string {
	return fs.String("chaincodes", "", "comma-separated chaincodes (default: subject, asset, authorization, approval)")
}

// runCCDefine runs cc deploy (first definition on every channel) and cc
// upgrade (a new version, new sequence, on the test channel by default).
func runCCDefine(sub string, args []string) error {
	defaultChannels := "every channel"
	if sub == "upgrade" {
		defaultChannels = "the test channel"
	}
	fs := newFlagSet("cc "+sub, "cc "+sub+" --version V [--dir DIR] [--channel NAME] [--chaincodes LIST] [--cc-bin DIR]")
	dir := dirFlag(fs)
	version := fs.String("version", "", "chaincode version, e.g. 1.0; required")
	channel := fs.String("channel", "", "comma-separated channels (default: "+defaultChannels+")")
	chaincodes := chaincodeFlag(fs)
	bin := fs.String("cc-bin", "bin", "directory with the chaincode binaries (make build puts them in ./bin); native runtime only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	n, err := openNetwork(*dir, false)
	if err != nil {
		return err
	}
	defer n.Close()
	ctx, cancel := signalContext()
	defer cancel()
	opts := kaibannet.DeployOptions{Channels: splitList(*channel), Version: *version, Chaincodes: splitList(*chaincodes), BinDir: *bin}
	if sub == "upgrade" {
		return n.Upgrade(ctx, opts)
	}
	return n.Deploy(ctx, opts)
}

// runCCPromote runs cc promote: the versions tested on the test channel
// defined on the production channel.
func runCCPromote(args []string) error {
	fs := newFlagSet("cc promote", "cc promote [--dir DIR] [--from TEST] [--to PRODUCTION] [--chaincodes LIST]")
	dir := dirFlag(fs)
	from := fs.String("from", "", "test channel (default: the test channel of network.yaml)")
	to := fs.String("to", "", "production channel (default: the production channel of network.yaml)")
	chaincodes := chaincodeFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	n, err := openNetwork(*dir, false)
	if err != nil {
		return err
	}
	defer n.Close()
	if *from == "" {
		c, err := n.Spec.TestChannel()
		if err != nil {
			return err
		}
		*from = c.Name
	}
	if *to == "" {
		c, err := n.Spec.ProductionChannel()
		if err != nil {
			return err
		}
		*to = c.Name
	}
	ctx, cancel := signalContext()
	defer cancel()
	return n.Promote(ctx, *from, *to, splitList(*chaincodes))
}
