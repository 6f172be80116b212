package main

// runUp runs `kaiban-net up`: every node (and deployed chaincode server) started.
func runUp(args []string) error {
	fs := newFlagSet("up", "up [--dir DIR] [--docker]")
	dir := dirFlag(fs)
	docker := fs.Bool("docker", false, "assert that the directory uses the docker runtime")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	n, err := openNetwork(*dir, *docker)
	if err != nil {
		return err
	}
	defer n.Close()
	ctx, cancel := signalContext()
	defer cancel()
	return n.Up(ctx)
}

// runDown runs `kaiban-net down`: every process stopped; --purge deletes the ledgers.
func runDown(args []string) error {
	fs := newFlagSet("down", "down [--dir DIR] [--docker] [--purge]")
	dir := dirFlag(fs)
	docker := fs.Bool("docker", false, "assert that the directory uses the docker runtime")
	purge := fs.Bool("purge", false, "also delete var/: ledgers, logs, chaincode binaries")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	n, err := openNetwork(*dir, *docker)
	if err != nil {
		return err
	}
	defer n.Close()
	ctx, cancel := signalContext()
	defer cancel()
	return n.Down(ctx, *purge)
}
