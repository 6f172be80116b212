package outbox_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kaiban-platform/kaiban/chaincode/asset"
	"github.com/kaiban-platform/kaiban/chaincode/model"
	"github.com/kaiban-platform/kaiban/services/internal/chain/chaintest"
	"github.com/kaiban-platform/kaiban/services/internal/outbox"
)

// BenchmarkOutbox_Throughput_Devnet measures the outbox end to end on devnet
// (50ms block timeout) and PostgreSQL: b.N licence issues are enqueued by
// requests of 10 writes each, and the clock stops when the last is done.
// It reports writes/s and each write's time from enqueue to done.
func BenchmarkOutbox_Throughput_Devnet(b *testing.B) {
	for _, workers := range []int{1, 4, 16, 64} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			e := newEnv(b, envOptions{workers: workers, net: chaintest.Options{BatchSize: 500}})
			writes := make([]outbox.Write, b.N)
			for i := range writes {
				key := fmt.Sprintf("bench-%d", i)
				writes[i] = outbox.Write{Key: key, Identity: chaintest.Market, Chaincode: model.ChaincodeAsset, Function: "IssueAsset",
					Args: chaintest.Signed(e.k.MarketKey, asset.ActionIssueAsset, e.k.Licence(key))}
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < len(writes); i += 10 {
				enqueue(b, e.pool, e.ob, writes[i:min(i+10, len(writes))]...)
			}
			for {
				var done, failed int
				if err := e.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') FROM chain_outbox`).Scan(&done, &failed); err != nil {
					b.Fatal(err)
				}
				if failed > 0 {
					b.Fatalf("%d writes failed", failed)
				}
				if done == b.N {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
			rows, err := e.pool.Query(ctx, `SELECT extract(epoch FROM updated_at - created_at) FROM chain_outbox`)
			if err != nil {
				b.Fatal(err)
			}
			var lat []float64
			for rows.Next() {
				var s float64
				rows.Scan(&s)
				lat = append(lat, s*1000)
			}
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)/2], "p50-ms")
			b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
		})
	}
}
