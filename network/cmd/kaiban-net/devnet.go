package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// gcPercent is the garbage collector's target of devnet unless GOGC is set.
const gcPercent = 300

// runDevnet runs `kaiban-net devnet [flags]` and `kaiban-net devnet verify --data DIR`.
func runDevnet(args []string) error {
	if len(args) > 0 && args[0] == "verify" {
		return runDevnetVerify(args[1:])
	}
	fs := flag.NewFlagSet("devnet", flag.ContinueOnError)
	data := fs.String("data", "", "data directory (crypto material and ledgers); required")
	listen := fs.String("listen", devnet.DefaultListen, "gRPC address of the Gateway and Deliver services")
	ops := fs.String("ops", devnet.DefaultOpsListen, "address of /healthz and /metrics ('-' disables)")
	batchSize := fs.Int("batch-size", devnet.DefaultBatchSize, "most transactions per block")
	batchTimeout := fs.Duration("batch-timeout", devnet.DefaultBatchTimeout, "longest wait before a block is cut")
	orgs := fs.String("orgs", "", "comma-separated MSP IDs of the peer organisations (default: OperatorMSP and the seven departments)")
	channels := fs.String("channels", devnet.DefaultChannel, "comma-separated channel names")
	endorsement := fs.String("endorsement", "majority", "endorsement policy over the organisations: majority, any or all")
	useTLS := fs.Bool("tls", false, "serve gRPC over TLS (trust crypto/.../operator.../tlsca)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" {
		return errors.New("--data is required")
	}
	rule, err := msp.ParseRule(*endorsement)
	if err != nil {
		return err
	}
	chaincodes, err := devnet.KaibanChaincodes()
	if err != nil {
		return err
	}
	cfg := devnet.Config{
		Dir:          *data,
		Listen:       *listen,
		OpsListen:    *ops,
		TLS:          *useTLS,
		Channels:     splitList(*channels),
		Chaincodes:   chaincodes,
		Endorsement:  rule,
		BatchSize:    *batchSize,
		BatchTimeout: *batchTimeout,
	}
	if *orgs != "" {
		cfg.Orgs = orgSpecs(splitList(*orgs))
	}
	if os.Getenv("GOGC") == "" {
		// devnet's live heap is small and its garbage large (protobuf and JSON per
		// transaction): collecting less often saves about a tenth of its CPU time
		// for a peak RSS still below a Fabric peer's.
		debug.SetGCPercent(gcPercent)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	began := time.Now()
	n, err := devnet.Start(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("devnet ready in %s: grpc=%s ops=%s tls=%t channels=%s data=%s\n",
		time.Since(began).Round(time.Millisecond), n.Addr(), n.OpsAddr(), *useTLS, strings.Join(n.Channels(), ","), *data)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	fmt.Println("devnet stopping")
	return n.Close()
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

// orgSpecs returns the default organisation of each MSP ID, or a new one named
// after it (FooMSP: domain foo.kaiban.local).
func orgSpecs(mspIDs []string) []cryptogen.OrgSpec {
	defaults := map[string]cryptogen.OrgSpec{}
	for _, o := range devnet.DefaultOrgs() {
		defaults[o.MSPID] = o
	}
	var specs []cryptogen.OrgSpec
	for _, id := range mspIDs {
		if o, ok := defaults[id]; ok {
			specs = append(specs, o)
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(id, "MSP"))
		specs = append(specs, cryptogen.OrgSpec{MSPID: id, Domain: name + "." + devnet.LocalDomain, Hosts: []string{"localhost", "127.0.0.1", "::1"}})
	}
	return specs
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
