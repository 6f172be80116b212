package devnet_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
	"github.com/kaiban-platform/kaiban/network/internal/loadtest"
)

var benchDuration = flag.Duration("devnet.duration", 10*time.Second, "how long each devnet benchmark configuration runs its load")

// benchArgs are extra kaiban-net devnet flags for the benchmarks, to measure
// other shapes than the default eight organisations with majority
// endorsement: -devnet.args="--orgs OperatorMSP,MarketMSP" is the shape of
// the Fabric anchor in the issue (two peer organisations, majority = both).
var benchArgs = flag.String("devnet.args", "", "extra kaiban-net devnet flags for the benchmarks, space-separated")

// BenchmarkDevnet_Issue measures kaiban-net devnet, run as a child process, under
// clients that each issue assets one after the other through the gateway client
// (endorse, submit, wait for commit). Each configuration runs for
// -devnet.duration and reports committed tx/s, p50 and p99 submit-to-commit
// latency (endorsement included), the devnet process's peak RSS and its CPU time
// per committed transaction (a figure that other load on the machine does not
// distort). kaibannet's BenchmarkFabric_Issue runs the same load, through the
// same driver (internal/loadtest), against real Fabric. Run:
//
//	go test -run '^$' -bench Devnet -benchtime 1x ./devnet/
func BenchmarkDevnet_Issue(b *testing.B) {
	configs := []struct {
		timeout time.Duration
		size    int
	}{
		{2 * time.Second, 500},
		{100 * time.Millisecond, 500},
		// With fewer transactions per block, blocks are cut as soon as enough
		// clients have submitted instead of after the timeout.
		{100 * time.Millisecond, 100},
	}
	for _, cfg := range configs {
		for _, clients := range []int{1, 16, 64, 256} {
			b.Run(fmt.Sprintf("timeout=%s/size=%d/clients=%d", cfg.timeout, cfg.size, clients), func(b *testing.B) {
				dir := b.TempDir()
				args := append([]string{"--batch-timeout", cfg.timeout.String(), "--batch-size", fmt.Sprint(cfg.size)}, strings.Fields(*benchArgs)...)
				proc := startProcess(b, dir, args...)
				defer proc.stop(b)
				k := setupKaiban(b, dialAddr(b, proc.addr), cryptogen.Layout{Dir: filepath.Join(dir, "crypto")})
				licences := k.issuer(b)
				proc.measure(b, clients, licences.IssueCommitted, "tx")
			})
		}
	}
}

// BenchmarkDevnet_Evaluate measures evaluations per second of GetAsset by 64
// concurrent clients.
func BenchmarkDevnet_Evaluate(b *testing.B) {
	dir := b.TempDir()
	proc := startProcess(b, dir, strings.Fields(*benchArgs)...)
	defer proc.stop(b)
	k := setupKaiban(b, dialAddr(b, proc.addr), cryptogen.Layout{Dir: filepath.Join(dir, "crypto")})
	licences := k.issuer(b)
	if err := licences.IssueCommitted(context.Background()); err != nil {
		b.Fatal(err)
	}
	proc.measure(b, 64, func(ctx context.Context) error {
		_, err := licences.Assets.EvaluateWithContext(ctx, "GetAssetType", client.WithArguments(licence))
		return err
	}, "op")
}

// BenchmarkDevnet_Verify measures `devnet verify` on a chain of many blocks.
func BenchmarkDevnet_Verify(b *testing.B) {
	dir := b.TempDir()
	proc := startProcess(b, dir, "--batch-timeout", "20ms")
	k := setupKaiban(b, dialAddr(b, proc.addr), cryptogen.Layout{Dir: filepath.Join(dir, "crypto")})
	loadtest.Run(16, *benchDuration, k.issuer(b).IssueCommitted)
	proc.stop(b)
	b.ResetTimer()
	var blocks, txs uint64
	var took time.Duration
	for range b.N {
		reports, err := devnet.Verify(dir)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range reports {
			blocks += r.Blocks
			txs += r.Transactions
			took += r.Duration
		}
	}
	b.ReportMetric(float64(blocks)/took.Seconds(), "blocks/s")
	b.ReportMetric(float64(txs)/took.Seconds(), "tx/s")
	b.ReportMetric(float64(blocks)/float64(b.N), "blocks")
}
