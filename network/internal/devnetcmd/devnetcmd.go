// Package devnetcmd is `kaiban-net devnet` without its choice of chaincodes:
// the flags, the ready line that scripts and tests wait for, and the run
// until SIGINT or SIGTERM. kaiban-net serves the Kaiban chaincodes with it;
// a benchmark's own command may serve others (internal/putstate), so that
// it measures the same process a user runs.
package devnetcmd

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

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/devnet/msp"
)

// gcPercent is the garbage collector's target of devnet unless GOGC is set.
const gcPercent = 300

// Run parses the flags of `kaiban-net devnet` from args, serves chaincodes
// (by their deployed names) on a devnet until SIGINT or SIGTERM and closes
// it. Once the network serves it prints one line, "devnet ready in D:
// grpc=ADDR ops=ADDR tls=BOOL channels=LIST data=DIR".
func Run(args []string, chaincodes map[string]shim.Chaincode) error {
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
