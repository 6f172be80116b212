package kaibannet

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/network/consortium"
	"github.com/kaiban-platform/kaiban/network/internal/loadtest"
)

var (
	anchorDuration = flag.Duration("fabric.duration", 10*time.Second, "how long each real-Fabric benchmark configuration runs its load")
	anchorTimeout  = flag.Duration("fabric.batch-timeout", 200*time.Millisecond, "batch timeout of the real-Fabric benchmarks' channel (issue #3's anchor: 200ms)")
)

// anchorLicence is the asset type the anchor's workload issues.
const anchorLicence = "business-licence"

// anchor is a real Fabric network in the shape of issue #3's anchor, which
// devnet's speed is judged against: one Raft orderer, the operator and the
// market department with one peer each (majority endorsement = both), TLS,
// chaincodes as a service, 500 transactions per block at most.
type anchor struct {
	net     *Network
	channel string
	procs   []anchorProc
}

// anchorProc is one process of the network: an orderer, a peer or a
// chaincode server.
type anchorProc struct {
	role string
	pid  int
}

// startAnchor brings up the anchor network in a temporary directory, with
// its ports from basePort, and deploys chaincodes (the spec's, the four
// Kaiban chaincodes, when none are named) from the binaries in ccBin on its
// production channel.
func startAnchor(b *testing.B, ccBin string, basePort int, chaincodes ...string) *anchor {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	net, err := Init(filepath.Join(b.TempDir(), "anchor"), consortium.Options{
		BasePort:     basePort,
		Orderers:     1,
		Departments:  []string{model.DeptMarket},
		BatchTimeout: *anchorTimeout,
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := net.Down(context.Background(), false); err != nil {
			b.Errorf("down: %v", err)
		}
		net.Close()
	})
	if len(chaincodes) > 0 {
		// A consortium's chaincodes are whatever its network.yaml lists.
		net.Spec.Chaincodes = chaincodes
		if err := consortium.Save(net.Layout, net.Spec); err != nil {
			b.Fatal(err)
		}
	}
	prod, err := net.Spec.ProductionChannel()
	if err != nil {
		b.Fatal(err)
	}
	if err := net.Up(ctx); err != nil {
		b.Fatal(err)
	}
	if err := net.CreateChannels(ctx, prod.Name); err != nil {
		b.Fatal(err)
	}
	if err := net.Deploy(ctx, DeployOptions{Channels: []string{prod.Name}, Version: "1.0", BinDir: ccBin}); err != nil {
		b.Fatal(err)
	}
	a := &anchor{net: net, channel: prod.Name, procs: anchorProcs(b, net)}
	b.Logf("anchor network (batch timeout %s, chaincodes %v) ready in %s: %d processes",
		*anchorTimeout, net.Spec.Chaincodes, time.Since(start).Round(time.Millisecond), len(a.procs))
	return a
}

// licences sets up the load of devnet's BenchmarkDevnet_Issue through the
// gateway: the company's locker opened, the licence type defined, one
// licence issued; and returns the market department's licences.
func (a *anchor) licences(b *testing.B) *loadtest.Licences {
	b.Helper()
	window := connectProfile(b, a.net, a.net.Layout.ProfileFile("OperatorMSP"), "")
	market := connectProfile(b, a.net, a.net.Layout.ProfileFile("MarketMSP"), "")
	firm, firmKey := openLocker(b, window, "anchor")
	market.submit(nil, model.ChaincodeAsset, "DefineAssetType", canonical(b, &model.AssetTypeDefinition{
		Code: anchorLicence, Name: "营业执照", Schema: `{"type":"object"}`, Issuers: []string{"MarketMSP"},
	}))
	wrapped, err := loadtest.WrapKey(firm.ID, &firmKey.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	l := &loadtest.Licences{
		Assets: market.gw.GetNetwork(a.channel).GetContract(model.ChaincodeAsset),
		Key:    market.key, Issuer: "MarketMSP", Type: anchorLicence,
		Owner: firm.ID, OwnerKey: wrapped,
	}
	if err := l.IssueCommitted(context.Background()); err != nil {
		b.Fatalf("first licence: %v", err)
	}
	return l
}

// anchorProcs finds the network's processes by their PID files.
func anchorProcs(b *testing.B, net *Network) []anchorProc {
	b.Helper()
	files, err := filepath.Glob(net.Layout.PIDFile("*"))
	if err != nil {
		b.Fatal(err)
	}
	var procs []anchorProc
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil {
			b.Fatalf("%s: %v", f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		role := "cc"
		switch {
		case strings.HasPrefix(name, "orderer"):
			role = "orderer"
		case strings.HasPrefix(name, "peer"):
			role = "peer"
		}
		procs = append(procs, anchorProc{role: role, pid: pid})
	}
	return procs
}

// cpu returns the CPU time each role's processes have used.
func (a *anchor) cpu() map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, p := range a.procs {
		out[p.role] += loadtest.ProcessCPU(p.pid)
	}
	return out
}

// run drives op from clients concurrent clients for -fabric.duration and
// reports what loadtest reports, then per operation (unit) the CPU time of
// the clients, of the peers, the orderer and the chaincode servers (and
// their sum, the figure to set against devnet's one process), and the sum
// of each role's peak RSS.
func (a *anchor) run(b *testing.B, clients int, op func(context.Context) error, unit string) {
	b.Helper()
	before, self0 := a.cpu(), loadtest.SelfCPU()
	b.ResetTimer()
	res := loadtest.Run(clients, *anchorDuration, op)
	b.StopTimer()
	res.Report(b)
	ops := len(res.Latencies)
	b.ReportMetric(float64((loadtest.SelfCPU()-self0).Microseconds())/float64(ops), "client-CPU-µs/"+unit)
	after := a.cpu()
	var total time.Duration
	for _, role := range []string{"peer", "orderer", "cc"} {
		d := after[role] - before[role]
		total += d
		b.ReportMetric(float64(d.Microseconds())/float64(ops), role+"-CPU-µs/"+unit)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(ops), "fabric-CPU-µs/"+unit)
	rss := map[string]int64{}
	var all int64
	for _, p := range a.procs {
		r := loadtest.PeakRSS(p.pid)
		rss[p.role] += r
		all += r
	}
	for _, role := range []string{"peer", "orderer", "cc"} {
		b.ReportMetric(float64(rss[role])/(1<<20), role+"-peak-RSS-MB")
	}
	b.ReportMetric(float64(all)/(1<<20), "peak-RSS-MB")
}

// BenchmarkFabric_Issue measures the anchor of issue #3 — real Fabric from
// FABRIC_BIN, started by kaiban-net — under the load of
// BenchmarkDevnet_Issue: clients that each issue licences one after the
// other through the fabric-gateway client (endorse, submit, wait for
// commit). A fresh network per configuration; each runs for
// -fabric.duration and reports committed tx/s, p50 and p99 latency, the CPU
// time per committed transaction of the peers, the orderer, the chaincode
// servers and the clients, and peak RSS. Run:
//
//	FABRIC_BIN=/path/to/fabric/bin go test -run '^$' -bench Fabric_Issue -benchtime 1x ./kaibannet/
func BenchmarkFabric_Issue(b *testing.B) {
	requireFabric(b)
	ccBin := buildChaincodes(b, "1.0")
	for i, clients := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("timeout=%s/size=500/clients=%d", *anchorTimeout, clients), func(b *testing.B) {
			a := startAnchor(b, ccBin, 29000+40*i)
			licences := a.licences(b)
			a.run(b, clients, licences.IssueCommitted, "tx")
		})
	}
}

// BenchmarkFabric_Evaluate measures evaluations per second of GetAssetType
// by 64 concurrent clients on the anchor, as BenchmarkDevnet_Evaluate does
// on devnet.
func BenchmarkFabric_Evaluate(b *testing.B) {
	requireFabric(b)
	a := startAnchor(b, buildChaincodes(b, "1.0"), 29200)
	licences := a.licences(b)
	a.run(b, 64, func(ctx context.Context) error {
		_, err := licences.Assets.EvaluateWithContext(ctx, "GetAssetType", client.WithArguments(anchorLicence))
		return err
	}, "op")
}
