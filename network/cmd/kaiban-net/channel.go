package main

// runChannel runs `kaiban-net channel create`: the test and production
// channels (A.1, A.4) created, orderers and peers joined.
func runChannel(args []string) error {
	return subcommand("channel", args, map[string]func([]string) error{"create": runChannelCreate})
}

func runChannelCreate(args []string) error {
	fs := newFlagSet("channel create", "channel create [--dir DIR] [--channel NAME]")
	dir := dirFlag(fs)
	channel := fs.String("channel", "", "comma-separated channels to create (default: every channel of network.yaml)")
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
	return n.CreateChannels(ctx, splitList(*channel)...)
}
