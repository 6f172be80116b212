package main

import (
	"os"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/kaibannet"
)

// runInit runs `kaiban-net init`: the consortium (A.1) — organisations,
// crypto material and configuration — written into a directory.
func runInit(args []string) error {
	fs := newFlagSet("init", "init [--dir DIR] [--docker] [--consensus etcdraft|BFT] [--departments market,seal,...] [flags]")
	dir := dirFlag(fs)
	docker := fs.Bool("docker", false, "run the nodes as containers of the official Fabric images instead of native processes")
	consensus := fs.String("consensus", string(consortium.Raft), "ordering consensus: etcdraft or BFT (SmartBFT, Fabric 3)")
	orderers := fs.Int("orderers", 0, "number of orderers (default 3 for etcdraft, 4 for BFT)")
	peers := fs.Int("peers", 1, "peers per organisation")
	departments := fs.String("departments", "", "comma-separated department codes that found the consortium (default: all seven)")
	host := fs.String("host", "127.0.0.1", "address at which this machine reaches the nodes")
	basePort := fs.Int("base-port", 17000, "first host port handed out to nodes and chaincode servers")
	batchTimeout := fs.Duration("batch-timeout", 0, "block cutting timeout (default 500ms)")
	capability := fs.String("channel-capability", "V3_0", "channel capability: V3_0 (Fabric 3) or V2_0 (Fabric 2.5 nodes; etcdraft only)")
	channel := fs.String("channel", "kaiban", "production channel")
	testChannel := fs.String("test-channel", "kaiban-test", "test channel (A.4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	opts := consortium.Options{
		Consensus:         consortium.Consensus(*consensus),
		Orderers:          *orderers,
		PeersPerOrg:       *peers,
		Host:              *host,
		BasePort:          *basePort,
		BatchTimeout:      *batchTimeout,
		ChannelCapability: *capability,
		Channel:           *channel,
		TestChannel:       *testChannel,
	}
	if *docker {
		opts.Runtime = consortium.Docker
	}
	if *departments != "" {
		opts.Departments = splitList(*departments)
	}
	n, err := kaibannet.Init(*dir, opts, os.Stdout)
	if err != nil {
		return err
	}
	return n.Close()
}
