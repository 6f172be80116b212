package devnet_test

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/kaiban-platform/kaiban/network/cryptogen"
	"github.com/kaiban-platform/kaiban/network/devnet"
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
// distort). Run:
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
				assets := k.issuer(b)
				cpu0, self0 := proc.cpuTime(), selfCPU()
				b.ResetTimer()
				lat, elapsed := runLoad(clients, *benchDuration, func(ctx context.Context) error {
					st, _, err := k.issue(ctx, b, assets)
					if err == nil && !st.Successful {
						err = fmt.Errorf("tx %s: %s", st.TransactionID, st.Code)
					}
					return err
				})
				b.StopTimer()
				report(b, lat, elapsed)
				b.ReportMetric(float64(proc.peakRSS())/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64((proc.cpuTime()-cpu0).Microseconds())/float64(len(lat)), "devnet-CPU-µs/tx")
				b.ReportMetric(float64((selfCPU()-self0).Microseconds())/float64(len(lat)), "client-CPU-µs/tx")
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
	assets := k.issuer(b)
	if _, _, err := k.issue(context.Background(), b, assets); err != nil {
		b.Fatal(err)
	}
	cpu0, self0 := proc.cpuTime(), selfCPU()
	b.ResetTimer()
	lat, elapsed := runLoad(64, *benchDuration, func(ctx context.Context) error {
		_, err := assets.EvaluateWithContext(ctx, "GetAssetType", client.WithArguments(licence))
		return err
	})
	b.StopTimer()
	report(b, lat, elapsed)
	b.ReportMetric(float64(proc.peakRSS())/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64((proc.cpuTime()-cpu0).Microseconds())/float64(len(lat)), "devnet-CPU-µs/op")
	b.ReportMetric(float64((selfCPU()-self0).Microseconds())/float64(len(lat)), "client-CPU-µs/op")
}

// selfCPU returns the CPU time the benchmark process (the clients) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDevnet_Verify measures `devnet verify` on a chain of many blocks.
func BenchmarkDevnet_Verify(b *testing.B) {
	dir := b.TempDir()
	proc := startProcess(b, dir, "--batch-timeout", "20ms")
	k := setupKaiban(b, dialAddr(b, proc.addr), cryptogen.Layout{Dir: filepath.Join(dir, "crypto")})
	assets := k.issuer(b)
	runLoad(16, *benchDuration, func(ctx context.Context) error {
		_, _, err := k.issue(ctx, b, assets)
		return err
	})
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

// runLoad runs op in a loop on clients goroutines for d and returns the
// latencies of successful calls and the time taken.
func runLoad(clients int, d time.Duration, op func(context.Context) error) ([]time.Duration, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				t0 := time.Now()
				if err := op(ctx); err == nil {
					mine = append(mine, time.Since(t0))
				}
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all, time.Since(start)
}

func report(b *testing.B, lat []time.Duration, elapsed time.Duration) {
	if len(lat) == 0 {
		b.Fatal("no call succeeded")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}
