package chain_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
)

// reportLatencies reports the median and 99th percentile of lat.
func reportLatencies(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// benchNet starts a devnet with the fixture consortium and returns the market
// department's asset contract and b.N signed licence issues.
func benchNet(b *testing.B, batchTimeout time.Duration) (*chain.Contract, [][]string) {
	n := chaintest.Start(b, chaintest.Options{BatchTimeout: batchTimeout, BatchSize: 500})
	c := n.Connect(b)
	k := chaintest.MustFound(b, c)
	assets, err := c.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		b.Fatal(err)
	}
	args := make([][]string, b.N)
	for i := range args {
		args[i] = chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence(fmt.Sprintf("bench-%d", i)))
	}
	return assets, args
}

// BenchmarkSubmit_Devnet is the latency of one IssueAsset submit (endorse,
// order, commit) from one client on an otherwise idle devnet over TLS. A lone
// transaction waits for the block timeout before its block is cut, so the
// latency follows the devnet's BatchTimeout.
func BenchmarkSubmit_Devnet(b *testing.B) {
	for _, bt := range []time.Duration{5 * time.Millisecond, 50 * time.Millisecond} {
		b.Run("batchTimeout="+bt.String(), func(b *testing.B) {
			assets, args := benchNet(b, bt)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				if _, err := assets.Submit(ctx, "IssueAsset", chain.WithArguments(args[i]...)); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			reportLatencies(b, lat)
		})
	}
}

// BenchmarkSubmitConcurrent_Devnet submits IssueAsset from many clients at
// once (50ms block timeout, blocks up to 500 transactions) and reports the
// committed transactions per second and the submit latency.
func BenchmarkSubmitConcurrent_Devnet(b *testing.B) {
	for _, clients := range []int{16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			assets, args := benchNet(b, 50*time.Millisecond)
			lat := make([]time.Duration, b.N)
			next := make(chan int, b.N)
			for i := range b.N {
				next <- i
			}
			close(next)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range next {
						t0 := time.Now()
						if _, err := assets.Submit(ctx, "IssueAsset", chain.WithArguments(args[i]...)); err != nil {
							b.Error(err)
							return
						}
						lat[i] = time.Since(t0)
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "tx/s")
			reportLatencies(b, lat)
		})
	}
}

// BenchmarkEvaluate_Devnet is the latency of a GetAsset query over TLS.
func BenchmarkEvaluate_Devnet(b *testing.B) {
	n := chaintest.Start(b, chaintest.Options{})
	c := n.Connect(b)
	k := chaintest.MustFound(b, c)
	assets, err := c.Contract(chaintest.Market, model.ChaincodeAsset)
	if err != nil {
		b.Fatal(err)
	}
	a, _, err := chain.SubmitJSON[model.Asset](ctx, assets, "IssueAsset", chain.WithArguments(chaintest.Signed(k.MarketKey, asset.ActionIssueAsset, k.Licence("q"))...))
	if err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := assets.Evaluate(ctx, "GetAsset", chain.WithArguments(a.ID)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}
