package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/kaibannet"
)

// The commands in init.go, up.go, channel.go, cc.go, member.go, node.go and
// status.go operate a real Fabric network (DB37/T 4431-2021 Annex A) kept in
// a consortium directory; this file holds what they share.

// envDir names the default consortium directory.
const envDir = "KAIBAN_NET_DIR"

func defaultDir() string {
	if d := os.Getenv(envDir); d != "" {
		return d
	}
	return "fabric-network"
}

// dirFlag adds --dir to a flag set.
func dirFlag(fs *flag.FlagSet) *string {
	return fs.String("dir", defaultDir(), "consortium directory (network.yaml, crypto material, configuration); default $"+envDir+" or ./fabric-network")
}

// newFlagSet returns a flag set whose usage names the command.
func newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: kaiban-net %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// openNetwork loads the consortium directory, checking an explicit runtime
// choice (--docker) against it.
func openNetwork(dir string, docker bool) (*kaibannet.Network, error) {
	n, err := kaibannet.Open(dir, os.Stdout)
	if err != nil {
		return nil, err
	}
	if docker && n.Spec.Runtime != consortium.Docker {
		n.Close()
		return nil, fmt.Errorf("%s was initialised for the %s runtime; --docker needs `kaiban-net init --docker` in a new directory", dir, n.Spec.Runtime)
	}
	return n, nil
}

// signalContext is cancelled by SIGINT or SIGTERM, so that a long command
// stops between steps; running it again resumes.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// noArgs fails when a flag set left positional arguments.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	return nil
}

// subcommand dispatches `kaiban-net <group> <sub> ...`.
func subcommand(group string, args []string, subs map[string]func([]string) error) error {
	if len(args) == 0 {
		return fmt.Errorf("missing subcommand: kaiban-net %s %s", group, keys(subs))
	}
	run, ok := subs[args[0]]
	if !ok {
		return fmt.Errorf("unknown subcommand %q: kaiban-net %s %s", args[0], group, keys(subs))
	}
	return run(args[1:])
}

func keys(m map[string]func([]string) error) string {
	s := ""
	for _, k := range []string{"create", "deploy", "upgrade", "promote", "add", "remove"} {
		if _, ok := m[k]; ok {
			if s != "" {
				s += "|"
			}
			s += k
		}
	}
	return s
}
