package main

import "errors"

// runNode runs `kaiban-net node add|remove`: peers and orderer consenters.
func runNode(args []string) error {
	return subcommand("node", args, map[string]func([]string) error{"add": runNodeAdd, "remove": runNodeRemove})
}

func runNodeAdd(args []string) error {
	fs := newFlagSet("node add", "node add --org MSPID [--dir DIR]")
	dir := dirFlag(fs)
	org := fs.String("org", "", "MSP ID of the organisation that gets the node: a member (a peer) or the ordering organisation (an orderer); required")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *org == "" {
		return errors.New("--org is required")
	}
	n, err := openNetwork(*dir, false)
	if err != nil {
		return err
	}
	defer n.Close()
	ctx, cancel := signalContext()
	defer cancel()
	_, err = n.AddNode(ctx, *org)
	return err
}

func runNodeRemove(args []string) error {
	fs := newFlagSet("node remove", "node remove [--dir DIR] NODE (e.g. peer1.market.kaiban.local)")
	dir := dirFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("name exactly one node, e.g. kaiban-net node remove orderer3.orderer.kaiban.local")
	}
	n, err := openNetwork(*dir, false)
	if err != nil {
		return err
	}
	defer n.Close()
	ctx, cancel := signalContext()
	defer cancel()
	return n.RemoveNode(ctx, fs.Arg(0))
}
